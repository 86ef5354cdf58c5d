"""Writes that belong to the portal as a whole: the demo clock."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from portal import clock
from portal.models import DemoClock


def demo_clock_advance(*, delta: dt.timedelta, run_due: bool = True) -> dict:
    """Move the demo clock forward and run the work that became due (activation, 竣工) at once."""
    if not settings.PORTAL_DEMO_CLOCK:
        raise ValidationError(_("この環境ではデモ時計は使えません（PORTAL_DEMO_CLOCK）。"))
    if delta <= dt.timedelta(0):
        raise ValidationError(_("デモ時計は進めることだけができます。"))
    with transaction.atomic():
        row, _created = DemoClock.objects.select_for_update().get_or_create(pk=1)
        row.offset_seconds += int(delta.total_seconds())
        row.save()
    clock.forget()
    return due_work_run() if run_due else {}


def demo_clock_set_date(*, day: dt.date) -> dict:
    """Move the demo clock forward to the same time of day on `day` (JST)."""
    now = clock.now().astimezone(clock.JST)
    target = dt.datetime.combine(day, now.time(), tzinfo=clock.JST)
    return demo_clock_advance(delta=target - now)


def demo_clock_reset() -> None:
    DemoClock.objects.filter(pk=1).delete()
    clock.forget()


# Sent after the demo clock moved: the apps above the kernel run what became due (orders: scheduled
# activation, 竣工) and return a summary dict. The kernel imports none of them.
clock_moved = Signal()


def due_work_run() -> dict:
    """What beat runs on each tick; moving the demo clock runs it at once."""
    done: dict = {}
    for _receiver, result in clock_moved.send(sender=DemoClock):
        done.update(result or {})
    return done
