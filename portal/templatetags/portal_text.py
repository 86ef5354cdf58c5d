"""Punctuation that follows the page's language (portal.i18n): a built-in library (TEMPLATES
builtins), so no {% load %} is needed."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def paren(value) -> str:
    """「（value）」 in Japanese, " (value)" in English; the value is escaped."""
    if value in (None, ""):
        return ""
    before, _sep, after = pgettext("brackets around a note", "（%s）").partition("%s")
    return mark_safe(conditional_escape(before) + conditional_escape(value) + conditional_escape(after))  # noqa: S308


@register.filter
def join_list(values) -> str:
    """Items joined as the language lists them: 「A、B」 in Japanese, "A, B" in English."""
    return mark_safe(conditional_escape(pgettext("list separator", "、")).join(  # noqa: S308
        conditional_escape(v) for v in values))
