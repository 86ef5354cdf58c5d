"""Telephone numbers as the portal stores them: national digits, no separators."""

import unicodedata
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KIND_0AJ = "0AJ"
KIND_050 = "050"

# Format guards, repeated as check constraints in the database.
REGEX_0AJ = r"^0[1-9][0-9]{8}$"
REGEX_050 = r"^050[1-9][0-9]{7}$"

_SEPARATORS = str.maketrans("", "", "-‐‑‒–—―−ー－ ()（）")


def normalise(raw: str) -> str:
    """Full-width digits and hyphens (as typed on a Japanese keyboard) become plain digits."""
    return unicodedata.normalize("NFKC", raw or "").translate(_SEPARATORS).strip()


def kind_of(number: str) -> str | None:
    """The number kind by format alone: 0AJ (ten digits) or 050 (eleven), else None."""
    if not (number.isascii() and number.isdigit()):  # str.isdigit() also takes ১, ٣ … (not numbers here)
        return None
    if len(number) == 11 and number.startswith("050") and number[3] != "0":
        return KIND_050
    if len(number) == 10 and number[0] == "0" and number[1] != "0":
        return KIND_0AJ
    return None


@lru_cache(maxsize=4096)
def _parse_type(prefix_number: str) -> int:
    parsed = phonenumbers.parse(prefix_number, "JP")
    if not phonenumbers.is_valid_number(parsed):
        return phonenumbers.PhoneNumberType.UNKNOWN
    return phonenumbers.number_type(parsed)


def validate(raw: str, *, kind: str | None = None) -> str:
    """Return the normalised number or raise ValidationError with a Japanese message.

    phonenumbers also calls 0120 or mobile numbers valid, so the *type* is checked:
    0AJ numbers are fixed lines, 050 numbers are VoIP.
    """
    number = normalise(raw)
    found = kind_of(number)
    if found is None:
        raise ValidationError(
            _("電話番号「%(number)s」の形式が正しくありません。0AJ番号は10桁、050番号は11桁の数字で入力してください。"),
            code="format",
            params={"number": raw},
        )
    if kind is not None and found != kind:
        raise ValidationError(
            _("電話番号「%(number)s」は%(kind)s番号ではありません。"),
            code="kind",
            params={"number": raw, "kind": kind},
        )
    expected = (
        phonenumbers.PhoneNumberType.FIXED_LINE
        if found == KIND_0AJ
        else phonenumbers.PhoneNumberType.VOIP
    )
    if _parse_type(number) != expected:
        raise ValidationError(
            _("電話番号「%(number)s」は%(kind)s番号として利用できない番号です。"),
            code="type",
            params={"number": raw, "kind": found},
        )
    return number


@lru_cache(maxsize=4096)
def _area_code_for_prefix(prefix: str) -> str:
    parsed = phonenumbers.parse(prefix.ljust(10, "0"), "JP")
    length = phonenumbers.length_of_geographical_area_code(parsed)
    return "0" + str(parsed.national_number)[:length] if length else ""


def area_code(number: str) -> str:
    """The area code new numbers are drawn from: "03", "045" … for 0AJ, "050" for 050."""
    if kind_of(number) == KIND_050:
        return "050"
    # Japanese area codes are decided by at most the first six digits.
    return _area_code_for_prefix(number[:6])


def display(number: str) -> str:
    """Human format with hyphens, e.g. 03-1234-5678."""
    try:
        parsed = phonenumbers.parse(number, "JP")
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
