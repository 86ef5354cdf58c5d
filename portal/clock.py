"""The one clock. Every "now" and "today (JST)" in business logic comes from here, so tests
and the demo clock can move time.

With PORTAL_DEMO_CLOCK on, now() is real time plus an offset: the organisation's own test clock
(OrganisationClock) when the work at hand is an organisation's and it has one, else the
installation's demo clock (DemoClock). Whose work is at hand is a context: a customer's request or
an API key sets it (portal.middleware), and so does every service that acts on an order
(`with clock.of(order.organisation_id)`). Each process re-reads an offset at most every
CACHE_SECONDS; the process that moves a clock forgets its cached value at once.
"""

import contextlib
import datetime as dt
import time
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

JST = ZoneInfo("Asia/Tokyo")
CACHE_SECONDS = 1.0
_cache: dict[str, float | None] = {"offset": None, "read_at": 0.0}
_own: dict[int, tuple[float | None, float]] = {}  # organisation → (its clock's seconds or None, read at)
# Bumped by forget(): a value read from the database before a clock moved is not kept after it
# (another thread of this process may read while one moves a clock and forgets).
_generation = [0]
_organisation: ContextVar[int | None] = ContextVar("clock_organisation", default=None)


@contextlib.contextmanager
def of(organisation_id: int | None):
    """Whose clock now() and today() read inside the block (None: the installation's)."""
    token = _organisation.set(organisation_id)
    try:
        yield
    finally:
        _organisation.reset(token)


def organisation() -> int | None:
    return _organisation.get()


def offset() -> dt.timedelta:
    if not settings.PORTAL_DEMO_CLOCK:
        return dt.timedelta(0)
    organisation_id = _organisation.get()
    if organisation_id is not None:
        own = _own_offset(organisation_id)
        if own is not None:
            return dt.timedelta(seconds=own)
    kept = _cache["offset"]
    if kept is None or time.monotonic() - _cache["read_at"] > CACHE_SECONDS:
        from portal.models import DemoClock

        generation = _generation[0]
        kept = float(DemoClock.objects.filter(pk=1).values_list("offset_seconds", flat=True).first() or 0)
        if generation == _generation[0]:
            _cache["offset"], _cache["read_at"] = kept, time.monotonic()
    return dt.timedelta(seconds=kept)


def _own_offset(organisation_id: int) -> float | None:
    seconds, read_at = _own.get(organisation_id, (None, 0.0))
    if time.monotonic() - read_at > CACHE_SECONDS:
        from portal.models import OrganisationClock

        generation = _generation[0]
        found = OrganisationClock.objects.filter(organisation_id=organisation_id).values_list(
            "offset_seconds", flat=True).first()
        seconds = None if found is None else float(found)
        if generation == _generation[0]:
            _own[organisation_id] = (seconds, time.monotonic())
    return seconds


def forget() -> None:
    """Drop the cached offsets (after moving a clock, and between tests)."""
    _generation[0] += 1
    _cache["offset"] = None
    _own.clear()


def now() -> dt.datetime:
    return timezone.now() + offset()


def today() -> dt.date:
    """Today's date in Japan."""
    return now().astimezone(JST).date()
