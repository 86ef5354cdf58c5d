"""Per-language date formats (FORMAT_MODULE_PATH): Japanese screens keep the guide's
2026年12月09日; English screens read 9 Dec 2026. Templates use `|date:"DATE_FORMAT"` and friends."""

from functools import cache

from django.utils.formats import get_format

_STRFTIME = {"Y": "%Y", "m": "%m", "d": "%d", "H": "%H", "i": "%M", "s": "%S", "j": "%-d", "n": "%-m", "M": "%b",
             "F": "%B"}


@cache
def _pattern(django_format: str) -> str:
    return "".join(_STRFTIME.get(c, c.replace("%", "%%")) for c in django_format)


def strftime_pattern(name: str) -> str:
    """The active language's format `name` as a strftime pattern: for pages that write many rows
    (the history), where formatting each date through the template filter costs too much."""
    return _pattern(get_format(name))
