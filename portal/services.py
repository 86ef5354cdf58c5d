"""Writes that belong to the portal as a whole: the demo clock."""

import datetime as dt
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
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
        row.offset_seconds += math.ceil(delta.total_seconds())  # never short of the moment asked for
        row.save()
    clock.forget()
    return due_work_run() if run_due else {}


def demo_clock_set_date(*, day: dt.date) -> dict:
    """Move the demo clock forward to the same time of day on `day` (JST)."""
    now = clock.now().astimezone(clock.JST)
    target = dt.datetime.combine(day, now.time(), tzinfo=clock.JST)
    return demo_clock_advance(delta=target - now)


@transaction.atomic
def demo_clock_reset() -> dict:
    """Back to real time. What was recorded while the clock ran ahead (orders placed, activated and
    completed, events, mails, numbers issued, codes used) would lie in a future that no longer
    exists: each such time is brought back to the moment of the reset (dates to today), so every
    history stays in order and nothing is dated ahead of the clock. Planned dates (工事日, 竣工予定日)
    are plans, not records, and stay as they are."""
    DemoClock.objects.filter(pk=1).delete()
    clock.forget()
    done: dict = {}
    for _receiver, result in clock_reset.send(sender=DemoClock, now=clock.now()):
        done.update(result or {})
    return done


# Sent after the demo clock moved: the apps above the kernel run what became due (orders: scheduled
# activation, 竣工) and return a summary dict. The kernel imports none of them.
clock_moved = Signal()
# Asked for the next date something becomes due (an activation, a 竣工): each app answers
# {"next_due": date or None}; the demo clock can jump there.
next_due_asked = Signal()


def demo_clock_next_due() -> dt.datetime | None:
    """The next moment (JST) something waits for, from every app's answer."""
    moments = [r.get("next_due") for _receiver, r in next_due_asked.send(sender=DemoClock) if r]
    return min((m for m in moments if m), default=None)


def demo_clock_jump() -> dict:
    """Move the demo clock to the next moment something is due and run it: that day, at the time
    of day the clock shows or later if the work waits for a time (工事希望時間); {} when nothing waits."""
    moment = demo_clock_next_due()
    if moment is None:
        return {}
    now = clock.now().astimezone(clock.JST)
    target = dt.datetime.combine(moment.date(), max(moment.timetz().replace(tzinfo=None), now.time()),
                                 tzinfo=clock.JST)
    return {"day": target.date(), **demo_clock_advance(delta=max(target - now, dt.timedelta(seconds=1)))}


# Asked for the demo accounts (demo mode's sign-in page): the app that loads the demo answers
# {"accounts": [{"username", "organisation", "role", "hint"}]}, existing users only.
demo_accounts_asked = Signal()


def demo_accounts() -> list[dict]:
    if not settings.PORTAL_DEMO_MODE:
        return []
    return [a for _receiver, r in demo_accounts_asked.send(sender=DemoClock) if r for a in r.get("accounts", [])]


# Sent when the demo clock goes back to real time, with `now`: each app brings its records that lie
# after `now` back to it and returns how many it moved.
clock_reset = Signal()


def records_clamp(rows, *, now: dt.datetime, fields: tuple[str, ...]) -> int:
    """Bring every value of these date/time fields later than `now` back to it (dates to its day),
    in a model's rows or a queryset's."""
    rows = rows if isinstance(rows, QuerySet) else rows.objects.all()
    moved = 0
    today = now.astimezone(clock.JST).date()
    for name in fields:
        field = rows.model._meta.get_field(name)
        limit = now if field.get_internal_type() == "DateTimeField" else today
        moved += rows.filter(**{f"{name}__gt": limit}).update(**{name: limit})
    return moved


def due_work_run() -> dict:
    """What beat runs on each tick; moving the demo clock runs it at once."""
    done: dict = {}
    for _receiver, result in clock_moved.send(sender=DemoClock):
        done.update(result or {})
    return done
