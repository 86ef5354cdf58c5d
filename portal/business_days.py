"""Japanese business days: Monday–Friday, not a public holiday, not the year-end closure
(12/29–1/3). Dates are Japan dates (see portal.clock)."""

import datetime as dt
from functools import lru_cache

import holidays
from django.utils.translation import get_language
from django.utils.translation import gettext as _


@lru_cache(maxsize=64)
def _holidays(year: int, language: str = "ja") -> holidays.HolidayBase:
    return holidays.Japan(years=year, language=language)


def is_year_end_closure(day: dt.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_business_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year) and not is_year_end_closure(day)


def holiday_name(day: dt.date) -> str | None:
    """The day's holiday in the active language (the holidays package names Japan's holidays in
    Japanese and English)."""
    if is_year_end_closure(day):
        return _("年末年始休業")
    language = "en_US" if (get_language() or "ja").startswith("en") else "ja"
    return _holidays(day.year, language).get(day)


def add_business_days(day: dt.date, count: int) -> dt.date:
    """The date `count` business days after `day` (day itself need not be a business day)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_business_day(current):
            remaining -= 1
    return current


def next_business_day(day: dt.date) -> dt.date:
    """`day` if it is a business day, else the next one."""
    while not is_business_day(day):
        day += dt.timedelta(days=1)
    return day
