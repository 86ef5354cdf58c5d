"""The one clock. Every "now" and "today (JST)" in business logic comes from here, so tests
and the demo clock can move time.

With PORTAL_DEMO_CLOCK on, now() is real time plus the demo clock's offset (a DemoClock row that
operators move forward). Each process re-reads the offset at most every CACHE_SECONDS; the
process that moves the clock forgets its cached value at once.
"""

import datetime as dt
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

JST = ZoneInfo("Asia/Tokyo")
CACHE_SECONDS = 1.0
_cache: dict[str, float | None] = {"offset": None, "read_at": 0.0}


def offset() -> dt.timedelta:
    if not settings.PORTAL_DEMO_CLOCK:
        return dt.timedelta(0)
    if _cache["offset"] is None or time.monotonic() - _cache["read_at"] > CACHE_SECONDS:
        from portal.models import DemoClock

        seconds = DemoClock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first()
        _cache["offset"], _cache["read_at"] = float(seconds or 0), time.monotonic()
    return dt.timedelta(seconds=_cache["offset"])


def forget() -> None:
    """Drop the cached offset (after moving the clock, and between tests)."""
    _cache["offset"] = None


def now() -> dt.datetime:
    return timezone.now() + offset()


def today() -> dt.date:
    """Today's date in Japan."""
    return now().astimezone(JST).date()
