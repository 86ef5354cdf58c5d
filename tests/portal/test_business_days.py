import datetime as dt

import pytest

from portal.business_days import add_business_days, holiday_name, is_business_day, next_business_day

D = dt.date


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 11, 25), True),    # Wednesday
        (D(2026, 11, 28), False),   # Saturday
        (D(2026, 11, 23), False),   # 勤労感謝の日 (Monday)
        (D(2026, 12, 28), True),    # last business day of the year
        (D(2026, 12, 29), False),   # year-end closure, a Tuesday
        (D(2027, 1, 4), True),      # first business day
        (D(2027, 1, 11), False),    # 成人の日
        (D(2026, 5, 6), False),     # Golden Week substitute holiday
    ],
)
def test_business_days(day, expected):
    assert is_business_day(day) is expected


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (D(2026, 11, 25), 2, D(2026, 11, 27)),   # Wed + 2 = Fri
        (D(2026, 11, 26), 2, D(2026, 11, 30)),   # Thu + 2 = Mon over the weekend
        (D(2026, 11, 20), 1, D(2026, 11, 24)),   # Fri + 1 skips 11/23 (holiday)
        (D(2026, 12, 25), 2, D(2027, 1, 4)),     # Fri + 2 skips the year end: 12/28, 1/4
        (D(2026, 4, 30), 2, D(2026, 5, 7)),      # Golden Week
    ],
)
def test_add_business_days(start, count, expected):
    assert add_business_days(start, count) == expected


def test_next_business_day_and_names():
    assert next_business_day(D(2026, 12, 31)) == D(2027, 1, 4)
    assert holiday_name(D(2026, 12, 30)) == "年末年始休業"
    assert holiday_name(D(2026, 11, 23)) == "勤労感謝の日"
