"""The one clock. Every "now" and "today (JST)" in business logic comes from here,
so tests and the demo clock can move time."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

JST = ZoneInfo("Asia/Tokyo")


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    """Today's date in Japan."""
    return now().astimezone(JST).date()
