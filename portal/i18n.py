"""Texts in the reader's language: brand names, and punctuation — Japanese lists read 「A、B」 and
notes 「（注）」, English ones "A, B" and " (note)". Used by services, e-mails and (as filters,
portal.templatetags.portal_text) by templates."""

from django.conf import settings
from django.utils.translation import get_language, pgettext


def list_text(values) -> str:
    return pgettext("list separator", "、").join(str(v) for v in values)


def paren_text(value) -> str:
    return pgettext("brackets around a note", "（%s）") % value


def brand_names(language: str | None = None) -> tuple[str, str]:
    """The brand and company names in `language` (the active one by default): PORTAL_BRAND and
    PORTAL_COMPANY, or their PORTAL_BRAND_EN / PORTAL_COMPANY_EN versions on English pages."""
    suffix = "_" + (language or get_language() or settings.LANGUAGE_CODE).split("-")[0].upper()
    return (getattr(settings, "PORTAL_BRAND" + suffix, settings.PORTAL_BRAND),
            getattr(settings, "PORTAL_COMPANY" + suffix, settings.PORTAL_COMPANY))
