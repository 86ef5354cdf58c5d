"""Earliest construction date (最短納期日) of a scheduled order: the longest standard lead time of
its items, counted in Japanese business days from today (JST)."""

import datetime as dt

from orders.models import LeadTime
from portal import business_days, clock

FALLBACK_DAYS = 5


def earliest_date(*, items: set[str], today: dt.date | None = None) -> dt.date:
    """If the order is completed today, the earliest date it can be constructed."""
    today = today or clock.today()
    leads = dict(LeadTime.objects.filter(item__in=items).values_list("item", "business_days"))
    days = max((leads.get(item, FALLBACK_DAYS) for item in items), default=FALLBACK_DAYS)
    return business_days.add_business_days(today, days)
