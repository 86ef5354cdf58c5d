"""Punctuation that follows the page's language (portal.i18n) as filters: a built-in library
(TEMPLATES builtins), so no {% load %} is needed. Values are escaped; the punctuation is not HTML."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from portal.i18n import list_text, paren_text

register = template.Library()


@register.filter
def paren(value) -> str:
    """「（value）」 in Japanese, " (value)" in English."""
    if value in (None, ""):
        return ""
    return mark_safe(paren_text(conditional_escape(value)))  # noqa: S308 - the value is escaped


@register.filter
def join_list(values) -> str:
    """Items joined as the language lists them: 「A、B」 in Japanese, "A, B" in English."""
    return mark_safe(list_text(conditional_escape(v) for v in values))  # noqa: S308 - each value is escaped
