"""`{% render_jinja "name.jinja" key=value … %}`: a partial rendered by the Jinja2 engine inside a
Django template, for the few partials whose rendering is a page's cost (measured with
bench/pages.py). The Jinja2 template escapes every value itself (autoescape), and a node's output
is written as it is, so nothing is marked safe by hand."""

from django import template
from django.template import engines
from django.template.base import token_kwargs

register = template.Library()


class JinjaNode(template.Node):
    def __init__(self, name: template.base.FilterExpression, values: dict) -> None:
        self.name = name
        self.values = values

    def render(self, context: template.Context) -> str:
        jinja = engines["jinja2"].get_template(self.name.resolve(context))
        return jinja.render({key: value.resolve(context) for key, value in self.values.items()},
                            request=context.get("request"))


@register.tag
def render_jinja(parser: template.base.Parser, token: template.base.Token) -> JinjaNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("render_jinja takes a template name, then key=value pairs")
    values = token_kwargs(bits[2:], parser)
    if len(values) != len(bits) - 2:
        raise template.TemplateSyntaxError("render_jinja takes key=value pairs after the template name")
    return JinjaNode(parser.compile_filter(bits[1]), values)
