"""Earliest construction date (最短納期日) of a scheduled order: the longest standard lead time of
its items, counted in Japanese business days from today (JST)."""

import datetime as dt

from orders.models import LeadTime
from portal import business_days, clock

# The standard lead times until an operator sets them in admin (the migration seeds the same).
DEFAULT_DAYS = {
    LeadTime.Item.DIALIN: 5,
    LeadTime.Item.PORTING: 10,
    LeadTime.Item.SPECIAL_OPTION: 7,
    LeadTime.Item.NW_ADDRESS: 5,
    LeadTime.Item.AML: 8,
}


def earliest_date(*, items: set[str], today: dt.date | None = None) -> dt.date:
    """If the order is completed today, the earliest date it can be constructed."""
    today = today or clock.today()
    leads = {**DEFAULT_DAYS, **dict(LeadTime.objects.filter(item__in=items).values_list("item", "business_days"))}
    days = max((leads.get(item, DEFAULT_DAYS[LeadTime.Item.DIALIN]) for item in items),
               default=DEFAULT_DAYS[LeadTime.Item.DIALIN])
    return business_days.add_business_days(today, days)
