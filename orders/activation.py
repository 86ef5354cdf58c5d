"""Activation (the network issues the numbers), 竣工, and the due work beat sweeps: scheduled
activation, lost tasks, undelivered e-mails."""

import datetime as dt
import logging
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import Q, Sum

from numbering import phone
from numbering.models import NetworkAddress, ReservationCode, VoiceContract
from numbering.services import (
    InsufficientStock,
    IssueRow,
    TargetRow,
    numbers_issue_rows,
    pool_for,
    ported_numbers_issue,
    representative_groups_grow,
    reserved_numbers_issue,
)
from orders import dispatch, network, rules
from orders.mail import mail_compose
from orders.models import (
    OPTION_FIELDS,
    PORTING_REJECTIONS,
    EventNote,
    Flow,
    Order,
    OrderEvent,
    SentMail,
    Status,
)
from orders.scheduled_checks import (
    o4_unlinked,
)
from orders.status import on_order_clock, order_set_status
from portal import clock

logger = logging.getLogger(__name__)


@on_order_clock
def order_activate(*, order_id, actor: str = OrderEvent.Actor.WORKER, user=None) -> bool:
    """Activate an accepted order: issue its numbers (new, reserved, ported) with their options,
    apply NW address changes, set the 0AJ flag and 開通日, complete it and store the completion
    e-mail. The worker, the sweep and an operator's action all come here. Claimed with a
    conditional update, so a task that runs twice does nothing twice. What the network does
    (orders.network): a transient failure keeps the order 工事中 with a retry planned; a permanent
    one, or a stock pool short of numbers, puts it in エラー with nothing issued."""
    if Order.objects.filter(pk=order_id, status=Status.ACCEPTED, porting_answer_on__isnull=False).exists():
        porting_answer_run(order_id=order_id)  # the losing carrier answers before the construction
    with transaction.atomic():
        order = Order.objects.select_related("contract").get(pk=order_id)
        if not order_set_status(order=order, to=Status.IN_CONSTRUCTION, actor=actor, user=user,
                                expected=Status.ACCEPTED, code=EventNote.CONSTRUCTION_STARTED):
            return False
        _attempt(order, actor=actor, user=user)
    return True


@on_order_clock
def order_attempt_again(*, order_id, actor: str = OrderEvent.Actor.WORKER, user=None) -> bool:
    """The next activation attempt after a transient failure: its own delayed task, or the sweep
    when that task was lost. Claimed under the order's row lock (the attempt's time is cleared in
    the same transaction), so two runs never attempt twice and a killed worker's attempt comes back."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("contract").get(pk=order_id)
        slack = dt.timedelta(seconds=1)  # a delayed task may arrive a moment early
        if (order.status != Status.IN_CONSTRUCTION or order.next_attempt_at is None
                or order.next_attempt_at > clock.now() + slack):
            return False
        Order.objects.filter(pk=order.pk).update(next_attempt_at=None)
        order.next_attempt_at = None
        _attempt(order, actor=actor, user=user)
    return True


def _attempt(order: Order, *, actor: str, user=None) -> None:
    """One activation attempt of an order 工事中, in the caller's transaction."""
    fault = network.activation_fault(order)
    if fault == network.TRANSIENT:
        attempt = order.activation_attempts + 1
        if attempt >= network.MAX_ATTEMPTS:
            Order.objects.filter(pk=order.pk).update(activation_attempts=attempt, network_failures=0)
            order_set_status(order=order, to=Status.ERROR, actor=actor, user=user, expected=Status.IN_CONSTRUCTION,
                             code=EventNote.ACTIVATION_GAVE_UP, params={"attempt": attempt})
            return
        seconds = network.backoff(attempt)
        order.activation_attempts, order.network_failures = attempt, order.network_failures - 1
        order.next_attempt_at = clock.now() + dt.timedelta(seconds=seconds)
        Order.objects.filter(pk=order.pk).update(activation_attempts=attempt, network_failures=order.network_failures,
                                                 next_attempt_at=order.next_attempt_at)
        OrderEvent.objects.create(order=order, at=clock.now(), from_status=Status.IN_CONSTRUCTION,
                                  to_status=Status.IN_CONSTRUCTION, actor=OrderEvent.Actor.WORKER,
                                  note_code=EventNote.ACTIVATION_TRANSIENT,
                                  note_params={"seconds": seconds, "attempt": attempt})
        order_id = order.pk
        transaction.on_commit(lambda: dispatch.attempt_again_enqueue(order_id, seconds))
        return
    if fault == network.PERMANENT:
        order_set_status(order=order, to=Status.ERROR, actor=actor, user=user, expected=Status.IN_CONSTRUCTION,
                         code=EventNote.ACTIVATION_FAILED)
        return
    wanted: dict = {}  # the order's pools, read at most once

    def pools() -> dict:
        if not wanted:
            wanted.update(_pools_wanted(order))
        return wanted

    empty = network.pool_outage(order, pools)
    if empty:
        order_set_status(order=order, to=Status.ERROR, actor=actor, user=user, code=EventNote.POOL_EMPTY,
                         params={"pool": network.pool_name(*empty), "wanted": wanted[empty], "free": 0},
                         expected=Status.IN_CONSTRUCTION)
        return
    mail_ids: list[int] = []
    try:
        with transaction.atomic():
            issued, dropped = _issue_items(order)
            mail_ids += _activated(order, issued, actor=actor, user=user)
            if dropped:
                OrderEvent.objects.create(
                    order=order, at=clock.now(), from_status=Status.ACTIVATED, to_status=Status.ACTIVATED,
                    actor=OrderEvent.Actor.SYSTEM, note_code=EventNote.OPTION_DROPPED,
                    note_params={"numbers": dropped})
                mail = mail_compose(order=order, kind=SentMail.Kind.OPTION_CANCELLED,
                                    extra={"numbers": dropped})
                if mail:
                    mail_ids.append(mail.pk)
    except InsufficientStock as exc:
        logger.warning("order %s could not be activated: %s", order.request_id, exc)
        order_set_status(order=order, to=Status.ERROR, actor=actor, user=user, code=EventNote.POOL_EMPTY,
                         params={"pool": network.pool_name(exc.kind, exc.area), "wanted": exc.wanted,
                                 "free": exc.got},
                         expected=Status.IN_CONSTRUCTION)  # the savepoint undid any later move
    except (ValidationError, IntegrityError, DataError) as exc:
        logger.warning("order %s could not be activated: %s", order.request_id, exc)
        order_set_status(order=order, to=Status.ERROR, actor=actor, user=user, code=EventNote.ISSUE_FAILED,
                         expected=Status.IN_CONSTRUCTION)
    if mail_ids:
        transaction.on_commit(lambda: dispatch.mails_enqueue(mail_ids))


@on_order_clock
def order_retry(*, order_id, actor: str = OrderEvent.Actor.OPERATOR, user=None) -> bool:
    """An order in エラー goes back to 受付済 and is activated again, by the same service as the
    worker's, once the operator has put right what failed (stock added, the network back). A
    scheduled order whose porting the losing carrier rejected is asked again on its date's eve."""
    with transaction.atomic():
        order = Order.objects.get(pk=order_id)
        rejected = order.error_code in PORTING_REJECTIONS
        if not order_set_status(order=order, to=Status.ACCEPTED, actor=actor, user=user, expected=Status.ERROR,
                                code=EventNote.RETRY):
            return False
        if order.scheduled_on and order.scheduled_on < clock.today():
            # Activated on the day it really happens, so 竣工 is two business days from then.
            Order.objects.filter(pk=order.pk).update(scheduled_on=clock.today())
            order.scheduled_on = clock.today()
        if rejected:  # the losing carrier answers again (by the next business day)
            order.porting_answer_on = network.porting_answer_day(clock.now(), order.scheduled_on or clock.today())
            Order.objects.filter(pk=order.pk).update(porting_answer_on=order.porting_answer_on)
    if rejected and order.porting_answer_on > clock.today():
        return True  # waits for the carrier's answer
    if rejected:
        porting_answer_run(order_id=order_id)
        order.refresh_from_db(fields=["status"])
        if order.status != Status.ACCEPTED:
            return True
    if order.flow != Flow.IMMEDIATE and order.scheduled_on and order.scheduled_on > clock.today():
        return True  # a scheduled order waits for its date again
    order_activate(order_id=order_id, actor=actor, user=user)
    return True


@on_order_clock
def porting_answer_run(*, order_id) -> bool:
    """The losing carrier's answer to an accepted order's porting (the business day after the
    order, before its construction date): accepted, written on the timeline; or rejected with a
    reason, and the whole order goes to エラー (none of its items is issued)."""
    with transaction.atomic():
        claimed = Order.objects.filter(pk=order_id, status=Status.ACCEPTED, porting_answer_on__isnull=False).update(
            porting_answer_on=None)
        if not claimed:
            return False
        order = Order.objects.get(pk=order_id)
        rejection = network.porting_answer(order)
        if rejection is None:
            OrderEvent.objects.create(order=order, at=clock.now(), from_status=Status.ACCEPTED,
                                      to_status=Status.ACCEPTED, actor=OrderEvent.Actor.WORKER,
                                      note_code=EventNote.PORTING_ACCEPTED)
            return True
        order_set_status(order=order, to=Status.ERROR, actor=OrderEvent.Actor.WORKER, expected=Status.ACCEPTED,
                         code=rejection.code, params={"numbers": rejection.numbers})
    return True


def _pools_wanted(order: Order) -> dict[tuple[str, str], int]:
    """New numbers the order takes from each stock pool (kind, area code)."""
    wanted: dict[tuple[str, str], int] = defaultdict(int)
    rows = (order.items.filter(reservation_code__isnull=True, ported_number="")
            .values("base_number__kind", "base_number__number", "kind").annotate(n=Sum("quantity")))
    for row in rows:
        wanted[pool_for(base_kind=row["base_number__kind"], base_number=row["base_number__number"],
                        contract_area=order.contract.area_code, kind=row["kind"])] += row["n"]
    return dict(wanted)


def _activation_day(order: Order) -> dt.date:
    """開通日: today for an immediate order; a scheduled or sales order's own date (also when the
    demo clock jumped past it)."""
    if order.flow != Flow.IMMEDIATE and order.scheduled_on:
        return min(order.scheduled_on, clock.today())
    return clock.today()


def _issue_items(order: Order) -> tuple[int, list[str]]:
    """Issue the order's numbers with their options; return the count and the 特定番号通知
    numbers dropped by O4. Items are read as plain values (10,000 rows stay cheap) and each kind
    of item goes in one statement: new numbers per stock pool, reserved numbers per code, ported
    numbers all at once."""
    day = _activation_day(order)
    fields = ("base_number_id", "kind", "quantity", "reservation_code_id", "reserved_number", "ported_number",
              *OPTION_FIELDS, "base_number__kind", "base_number__number")
    items = list(order.items.order_by("position").values_list(*fields, named=True))
    notify = {item.specific_number_notification for item in items if item.specific_number_notification}
    # O4: 特定番号通知 needs its freephone / navi-dial link complete by the construction date.
    dropped = set(o4_unlinked(contract=order.contract, day=day, numbers=notify)) if notify else set()
    by_code: dict[int, list[TargetRow]] = defaultdict(list)
    rows: list[IssueRow] = []
    ported: list[TargetRow] = []
    added: dict[int, int] = defaultdict(int)  # numbers per base number, for its representative group
    for item in items:
        options = {name: getattr(item, name) for name in OPTION_FIELDS}
        if options["specific_number_notification"] in dropped:
            options["specific_number_notification"] = ""  # O4: cancelled automatically
        added[item.base_number_id] += item.quantity
        if item.ported_number:
            ported.append(TargetRow(item.ported_number, item.base_number_id, **options))
        elif item.reservation_code_id:
            by_code[item.reservation_code_id].append(TargetRow(item.reserved_number, item.base_number_id, **options))
        else:
            kind, area = pool_for(base_kind=item.base_number__kind, base_number=item.base_number__number,
                                  contract_area=order.contract.area_code, kind=item.kind)
            rows.append(IssueRow(item.base_number_id, kind, area, item.quantity, **options))
    issued = 0
    if rows:
        issued += numbers_issue_rows(rows=rows, source=order.request_id, day=day)
    codes = {c.pk: c for c in ReservationCode.objects.filter(pk__in=by_code).order_by("pk")}
    for code_id, targets in sorted(by_code.items()):
        issued += reserved_numbers_issue(code=codes[code_id], numbers=targets, source=order.request_id, day=day)
    if ported:
        issued += ported_numbers_issue(numbers=ported, source=order.request_id, day=day)
    representative_groups_grow(added=added)  # E8: issued numbers join their base number's group
    if any(item.kind == phone.KIND_0AJ for item in items) and not order.contract.oaj_used:
        VoiceContract.objects.filter(pk=order.contract_id).update(oaj_used=True)
    if order.network_changes:
        network_changes_apply(order=order)
    return issued, sorted(dropped)


def _activated(order: Order, issued: int, *, actor: str, user=None) -> list[int]:
    day = _activation_day(order)
    order.activated_on = day
    if order.flow == Flow.IMMEDIATE:
        order.completed_on = day  # B2: an immediate order completes (竣工) at activation
        order.completion_due_on = day
    else:
        order.completion_due_on = rules.completion_date(day)
    order.save(update_fields=["activated_on", "completed_on", "completion_due_on"])
    order_set_status(order=order, to=Status.ACTIVATED, actor=actor, user=user,
                     code=EventNote.ISSUED, params={"count": issued})
    if order.flow == Flow.IMMEDIATE:
        order_set_status(order=order, to=Status.COMPLETED, actor=OrderEvent.Actor.SYSTEM,
                         code=EventNote.COMPLETED_AT_ACTIVATION)
    mail = mail_compose(order=order, kind=SentMail.Kind.COMPLETED, extra={"issued": issued})
    return [mail.pk] if mail else []


@on_order_clock
def order_complete(*, order_id, actor: str = OrderEvent.Actor.SYSTEM, user=None) -> bool:
    """竣工: two business days after activation (scheduled and sales orders)."""
    with transaction.atomic():
        order = Order.objects.get(pk=order_id)
        if not order_set_status(order=order, to=Status.COMPLETED, actor=actor, user=user,
                                expected=Status.ACTIVATED, code=EventNote.COMPLETED_DUE
                                if actor == OrderEvent.Actor.SYSTEM else EventNote.COMPLETED_BY_OPERATOR):
            return False
        Order.objects.filter(pk=order.pk).update(completed_on=order.completion_due_on or clock.today())
    return True


def orders_run_due(*, organisation_id: int | None = None) -> dict[str, int]:
    """Activate every scheduled or sales order whose date has come (JST), then complete every
    activated order whose 竣工 date has come — each organisation's by its own clock: those with a
    test clock one by one on it, the others on the installation's. `organisation_id`: that one
    organisation's only. Each step claims its order, so two runs at once (beat and a clock move)
    never do anything twice."""
    from portal.models import OrganisationClock

    own = set(OrganisationClock.objects.values_list("organisation_id", flat=True))
    done = {"activated": 0, "completed": 0}
    groups = [organisation_id] if organisation_id is not None else [None, *sorted(own)]
    for group in groups:
        orders = Order.objects.filter(organisation_id=group) if group is not None else \
            Order.objects.exclude(organisation_id__in=own)
        with clock.of(group):
            for name, count in _run_due_of(orders).items():
                done[name] = done.get(name, 0) + count
    return done


def _run_due_of(orders) -> dict[str, int]:
    today = clock.today()
    lost = clock.now() - dt.timedelta(seconds=settings.PORTAL_LOST_TASK_SECONDS)
    now_hhmm = clock.now().astimezone(clock.JST).strftime("%H:%M")
    due = orders.filter(status=Status.ACCEPTED, scheduled_on__lte=today).filter(
        # Immediate orders are activated by their own task; one whose task was lost (broker down,
        # worker killed mid-activation: its transaction rolled back) is picked up here.
        ~Q(flow=Flow.IMMEDIATE) | Q(submitted_at__lt=lost)).filter(
        # A desired time (工事希望時間, "HH:MM" JST) holds the activation until that time of its day.
        Q(scheduled_on__lt=today) | Q(desired_time="") | Q(desired_time__lte=now_hhmm))
    # The losing carriers answer first: a porting they reject is never activated.
    answers = orders.filter(status=Status.ACCEPTED, porting_answer_on__lte=today)
    answered = sum(_safely(porting_answer_run, pk) for pk in answers.order_by("submitted_at", "request_id")
                   .values_list("pk", flat=True))
    activated = sum(_safely(order_activate, pk) for pk in due.order_by("scheduled_on").values_list("pk", flat=True))
    # Attempts after a transient failure whose own delayed task is late or was lost.
    again = orders.filter(status=Status.IN_CONSTRUCTION, next_attempt_at__lte=clock.now())
    attempted = sum(_safely(order_attempt_again, pk) for pk in again.order_by("next_attempt_at")
                    .values_list("pk", flat=True))
    done = orders.filter(status=Status.ACTIVATED, completion_due_on__lte=today)
    completed = sum(_safely(order_complete, pk) for pk in done.values_list("pk", flat=True))
    result = {"activated": activated, "completed": completed}
    if answered or attempted:
        result |= {"porting_answered": answered, "attempted_again": attempted}
    return result


def mails_sweep() -> int:
    """Deliver every committed mail whose delivery task was lost (beat runs this)."""
    from orders.mail import mail_deliver, mails_undelivered

    delivered = 0
    for mail_id in mails_undelivered(older_than=dt.timedelta(seconds=settings.PORTAL_LOST_TASK_SECONDS)):
        try:
            delivered += mail_deliver(mail_id=mail_id)
        except Exception:
            logger.exception("sweep could not deliver mail %s", mail_id)
    return delivered


def _safely(work, order_id) -> bool:
    """One order's failure must not hold up the others due on this tick."""
    try:
        return work(order_id=order_id)
    except Exception:
        logger.exception("due work failed for order %s", order_id)
        return False


def network_changes_apply(*, order: Order) -> None:
    """At activation: the order's 0AJ site NW address additions and deletions."""
    for change in order.network_changes:
        if change["action"] == "add":
            NetworkAddress.objects.get_or_create(contract=order.contract, network=change["network"],
                                                 prefix_length=change["prefix"])
        else:
            NetworkAddress.objects.filter(contract=order.contract, network=change["network"],
                                          prefix_length=change["prefix"]).delete()
