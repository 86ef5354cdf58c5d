"""Punctuation in the reader's language: Japanese lists read 「A、B」 and notes 「（注）」; English
ones "A, B" and " (note)". Used by services' messages and (as filters) by templates."""

from django.utils.translation import pgettext


def list_text(values) -> str:
    return pgettext("list separator", "、").join(str(v) for v in values)


def paren_text(value) -> str:
    return pgettext("brackets around a note", "（%s）") % value
