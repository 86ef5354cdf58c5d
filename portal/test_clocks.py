"""Test clocks per organisation (Stripe's model): an organisation's clock moves forward on demand,
and the work that became due up to the new time — activations on their dates and desired times,
竣工 two business days on — runs in time order, each step stamped with its own moment, with its
events sent; no other organisation's orders move.

    POST /api/v1/test-clock/advance ─► clock_advance_start (status "advancing", test_clock.advancing)
                                     ─► task test_clock_advance ─► clock_advance_run ─► "ready"
"""

import contextlib
import datetime as dt
import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import clock
from portal.models import DemoClock, OrganisationClock
from portal.services import clock_moved, next_due_asked
from portal.webhooks import event_emit

MAX_STEPS = 10_000  # due moments run in one advance (each runs every order due at it)


def clock_of(organisation_id: int) -> OrganisationClock:
    """The organisation's own clock, made on first use at the time it reads now (the installation's
    demo clock), so it never jumps back."""
    if not settings.PORTAL_DEMO_CLOCK:
        raise ValidationError(_("この環境ではテスト時計は使えません（PORTAL_DEMO_CLOCK）。"))
    row = OrganisationClock.objects.filter(organisation_id=organisation_id).first()
    if row is None:
        with clock.of(None):
            start = max(0, math.ceil(clock.offset().total_seconds()))
        row, _created = OrganisationClock.objects.get_or_create(organisation_id=organisation_id,
                                                                defaults={"offset_seconds": start})
        clock.forget()
    return row


def clock_state(organisation_id: int) -> dict:
    own = OrganisationClock.objects.filter(organisation_id=organisation_id).first()
    with clock.of(organisation_id):
        now = clock.now()
    return {"now": now, "offset_seconds": own.offset_seconds if own else int(clock.offset().total_seconds()),
            "status": own.status if own else OrganisationClock.Status.READY,
            "advancing_to": own.advancing_to if own else None, "own": own is not None}


def clock_advance_start(*, organisation_id: int, to: dt.datetime, enqueue: bool = True) -> OrganisationClock:
    """Forward only; one advance at a time. Marks the clock `advancing` (and says so by webhook);
    the task runs the due work and marks it `ready` (`enqueue=False`: the caller runs it itself)."""
    clock_of(organisation_id)
    with transaction.atomic():
        row = OrganisationClock.objects.select_for_update().get(organisation_id=organisation_id)
        with clock.of(organisation_id):
            now = clock.now()
        if row.status == OrganisationClock.Status.ADVANCING:
            raise ClockBusy(_("テスト時計は進行中です。完了（ready）してからもう一度お試しください。"))
        if to <= now:
            raise ValidationError(_("テスト時計は進めることだけができます（今は %(now)s）。")
                                  % {"now": timezone.localtime(now).isoformat()})
        row.status, row.advancing_to = OrganisationClock.Status.ADVANCING, to
        row.save(update_fields=["status", "advancing_to", "updated_at"])
        with clock.of(organisation_id):
            event_emit(organisation_id=organisation_id, type="test_clock.advancing", subject="test_clock",
                       data=lambda: _event_data(row, now))
        if enqueue:
            transaction.on_commit(lambda: _enqueue(organisation_id))
    return row


class ClockBusy(ValidationError):
    pass


def _enqueue(organisation_id: int) -> None:
    from portal import tasks
    from portal.dispatch import enqueue

    enqueue(tasks.test_clock_advance, [organisation_id])


def clock_advance_run(*, organisation_id: int) -> dict:
    """Run an advance: step the clock to each moment something is due up to the target, in time
    order, running what is due there; then to the target; then `ready` (and say so). One runner at
    a time per organisation (its task, the sweep's for a stuck one, an operator's in admin): the
    others return {} at once."""
    with _runner(organisation_id) as alone:
        return _advance_run(organisation_id) if alone else {}


@contextlib.contextmanager
def _runner(organisation_id: int):
    """This organisation's advance is run here alone: a PostgreSQL session advisory lock, let go
    at the end (or by the database when the process dies). SQLite: one writer anyway."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUNNER_LOCK, organisation_id])
        alone = cursor.fetchone()[0]
    try:
        yield alone
    finally:
        if alone:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUNNER_LOCK, organisation_id])


RUNNER_LOCK = 82  # advisory lock class of test-clock advances (81: the number-block guard)


def _advance_run(organisation_id: int) -> dict:
    row = OrganisationClock.objects.filter(organisation_id=organisation_id,
                                           status=OrganisationClock.Status.ADVANCING).first()
    if row is None or row.advancing_to is None:
        return {}
    target, done = row.advancing_to, {"steps": 0}
    with clock.of(organisation_id):
        for _step in range(MAX_STEPS):
            moments = [r.get("next_due") for _receiver, r in next_due_asked.send(
                sender=DemoClock, organisation_id=organisation_id) if r]
            moment = min((m for m in moments if m), default=None)
            if moment is None or moment > target:
                break
            _set(organisation_id, max(moment, clock.now()))
            _run(organisation_id, done)
        _set(organisation_id, target)
        _run(organisation_id, done)
        now = clock.now()
        OrganisationClock.objects.filter(pk=row.pk).update(status=OrganisationClock.Status.READY, advancing_to=None)
        row.refresh_from_db()
        event_emit(organisation_id=organisation_id, type="test_clock.ready", subject="test_clock",
                   data=lambda: _event_data(row, now))
    return done


def _set(organisation_id: int, moment: dt.datetime) -> None:
    """The organisation's clock to `moment` (never back)."""
    seconds = math.ceil((moment - timezone.now()).total_seconds())
    OrganisationClock.objects.filter(organisation_id=organisation_id, offset_seconds__lt=seconds).update(
        offset_seconds=seconds)
    clock.forget()


def _run(organisation_id: int, done: dict) -> None:
    done["steps"] += 1
    for _receiver, result in clock_moved.send(sender=DemoClock, organisation_id=organisation_id):
        for name, value in (result or {}).items():
            if isinstance(value, int):
                done[name] = done.get(name, 0) + value


@transaction.atomic
def clock_reset(*, organisation_id: int) -> dict:
    """Back to the installation's clock: the organisation's own clock is removed, and what it
    recorded ahead of that time (orders placed, activated, completed, events, mails) comes back to
    now (portal.services.demo_clock_reset does the same for the installation)."""
    from portal.services import clock_reset as reset_signal

    OrganisationClock.objects.filter(organisation_id=organisation_id).delete()
    clock.forget()
    done: dict = {}
    with clock.of(organisation_id):
        now = clock.now()
    for _receiver, result in reset_signal.send(sender=OrganisationClock, now=now, organisation_id=organisation_id):
        done.update(result or {})
    return done


def clock_advance_now(*, organisation_id: int, to: dt.datetime) -> dict:
    """Advance and run it here (an operator in admin waits for it)."""
    clock_advance_start(organisation_id=organisation_id, to=to, enqueue=False)
    return clock_advance_run(organisation_id=organisation_id)


def clock_jump(*, organisation_id: int) -> dict:
    """To the organisation's next due moment (its time of day or later), running what is due; {}
    when nothing waits."""
    clock_of(organisation_id)
    with clock.of(organisation_id):
        moments = [r.get("next_due") for _receiver, r in next_due_asked.send(
            sender=DemoClock, organisation_id=organisation_id) if r]
        moment = min((m for m in moments if m), default=None)
        if moment is None:
            return {}
        now = clock.now().astimezone(clock.JST)
    target = dt.datetime.combine(moment.date(), max(moment.timetz().replace(tzinfo=None), now.time()),
                                 tzinfo=clock.JST)
    return {"day": target.date(), **clock_advance_now(organisation_id=organisation_id,
                                                      to=max(target, now + dt.timedelta(seconds=1)))}


def _event_data(row: OrganisationClock, now: dt.datetime) -> dict:
    return {"now": timezone.localtime(now).isoformat(), "status": row.status,
            "advancing_to": timezone.localtime(row.advancing_to).isoformat() if row.advancing_to else None}


def clocks_stuck(*, older_than: dt.timedelta = dt.timedelta(seconds=60)) -> list[int]:
    """Advances whose task was lost (broker down, worker killed): the beat sweep runs them."""
    return list(OrganisationClock.objects.filter(status=OrganisationClock.Status.ADVANCING,
                                                 updated_at__lt=timezone.now() - older_than)
                .values_list("organisation_id", flat=True))
