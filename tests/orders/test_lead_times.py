"""最短納期日: lead times per item kind, set by operators, counted in business days."""

import datetime as dt

import pytest

from orders.lead_times import earliest_date
from orders.models import LeadTime


@pytest.mark.parametrize(("today", "items", "expected"), [
    (dt.date(2026, 11, 25), {"dialin"}, dt.date(2026, 12, 2)),            # Wed + 5: over a weekend
    (dt.date(2026, 12, 25), {"dialin"}, dt.date(2027, 1, 7)),              # over 12/29–1/3
    (dt.date(2027, 4, 28), {"dialin"}, dt.date(2027, 5, 11)),              # Golden Week
    (dt.date(2026, 11, 25), {"dialin", "porting"}, dt.date(2026, 12, 9)),  # the longest item wins
    (dt.date(2026, 11, 20), {"dialin"}, dt.date(2026, 11, 30)),            # 11/23 勤労感謝の日
])
def test_earliest_date_counts_business_days_of_the_longest_item(db, today, items, expected):
    assert earliest_date(items=items, today=today) == expected


def test_operators_lead_times_are_used(db):
    LeadTime.objects.filter(item="dialin").update(business_days=1)
    assert earliest_date(items={"dialin"}, today=dt.date(2026, 11, 27)) == dt.date(2026, 11, 30)
