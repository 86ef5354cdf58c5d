"""Order writes: drafts, submit, activation (issuance), cancel, request IDs and the status table."""

import datetime as dt
import logging
import random
import time
from collections import defaultdict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from numbering import phone
from numbering.models import BaseNumber, NetworkAddress, ReservationCode, VoiceContract, VoiceGroup
from numbering.services import (
    InsufficientStock,
    IssueRow,
    TargetRow,
    numbers_issue_rows,
    pool_for,
    ported_numbers_issue,
    representative_groups_grow,
    reservation_code_hold,
    reservation_code_release,
    reserved_numbers_issue,
)
from orders.content import Content, content_check
from orders.eligibility import Wish, eligibility_check
from orders.lead_times import earliest_date
from orders.mail import mail_compose
from orders.models import (
    OPTION_FIELDS,
    TRANSITIONS,
    Attachment,
    Channel,
    Draft,
    Flow,
    LeadTime,
    Order,
    OrderEvent,
    OrderItem,
    RequestIdSequence,
    SentMail,
    Status,
)
from orders.scheduled_checks import (
    MAX_QUANTITY_SCHEDULED,
    aml_applies,
    aml_check,
    date_check,
    network_rows_check,
    o4_unlinked,
    option_at,
    options_clean,
    porting_rows_check,
)
from orders.selectors import draft_expiry
from portal import business_days, clock
from portal.db import is_retryable

logger = logging.getLogger(__name__)


class InvalidTransition(Exception):
    pass


def request_id_new() -> str:
    """A unique request ID, made before any work on the order starts."""
    return f"2{RequestIdSequence.objects.create().pk:010d}"


@transaction.atomic
def order_set_status(
    *, order: Order, to: str, actor: str, user=None, note: str = "", expected: str | None = None
) -> bool:
    """Move an order along the status table and record it on the timeline.

    Claims the change with a conditional update, so a duplicated task changes nothing twice:
    returns False (and records nothing) when the order is no longer in `expected`.
    """
    current = expected or order.status
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(f"{order.request_id}: {current} → {to} is not allowed")
    changed = Order.objects.filter(pk=order.pk, status=current).update(status=to)
    if not changed:
        return False
    OrderEvent.objects.create(
        order=order, at=clock.now(), from_status=current, to_status=to, actor=actor, user=user,
        note=note,
    )
    order.status = to
    return True


@transaction.atomic
def order_sales_create(
    *, contract: VoiceContract, scheduled_on: dt.date, operator, kind_label: str = "ダイヤルイン番号の追加",
    note: str = "",
    contact: dict[str, str] | None = None,
) -> Order:
    """A sales-channel order (営業経由変更申込) entered by an operator; it blocks immediate
    orders on its N番 until 竣工 (B1)."""
    contracts_lock([contract.pk])  # the lock immediate submits check B1 under
    order = Order.objects.create(
        request_id=request_id_new(),
        organisation=contract.voice_group.organisation,
        contract=contract,
        channel=Channel.SALES,
        flow=Flow.SALES,
        kind_label=kind_label,
        submitted_at=clock.now(),
        scheduled_on=scheduled_on,
        completion_due_on=business_days.add_business_days(scheduled_on, 2),
        created_by=operator,
        **(contact or {}),
    )
    OrderEvent.objects.create(order=order, at=order.submitted_at, to_status=Status.ACCEPTED,
                              actor=OrderEvent.Actor.OPERATOR, user=operator, note=note or "営業経由変更申込")
    return order


# --- Drafts (作成中) --------------------------------------------------------------------------

def draft_create(*, user, voice_group: VoiceGroup, flow: str = Flow.IMMEDIATE) -> Draft:
    now = clock.now()
    return Draft.objects.create(
        organisation=user.organisation, created_by=user, voice_group=voice_group, flow=flow,
        created_at=now, updated_at=now,
        contact={
            "contact_name": user.get_full_name(), "contact_department": user.department,
            "contact_phone": user.phone, "contact_email": user.email,
        },
    )


def draft_save(*, draft: Draft, finished: int | None = None, **fields) -> None:
    """Save what a step holds; `finished` marks that step done. The confirm step re-checks
    everything, so a change in an earlier step can never slip through unchecked."""
    for name, value in fields.items():
        setattr(draft, name, value)
    if finished is not None:
        draft.step_done = max(draft.step_done, finished)
    draft.updated_at = clock.now()
    names = {*fields, "step_done", "updated_at"}
    # Only the fields this step holds, and never over a submitted draft: a request that read the
    # draft before another tab's submit committed must not make it submittable again.
    Draft.objects.filter(pk=draft.pk, submitted_at__isnull=True).update(
        **{name: getattr(draft, name) for name in names})


def drafts_expire() -> int:
    """Old unfinished drafts go away (a beat task runs this)."""
    deleted, _ = Draft.objects.filter(submitted_at__isnull=True, updated_at__lt=draft_expiry()).delete()
    return deleted


# --- Submit -----------------------------------------------------------------------------------

class ContentInvalid(Exception):
    def __init__(self, content: Content) -> None:
        super().__init__("order content is invalid")
        self.content = content


CONTACT_KEYS = ("contact_name", "contact_department", "contact_phone", "contact_email")


def draft_content_check(*, draft: Draft) -> Content:
    return content_check(
        organisation=draft.organisation, voice_group=draft.voice_group,
        red_rows=draft.red_rows, blue_rows=draft.blue_rows,
        chosen=draft.base_numbers if draft.method == Draft.Method.SCREEN else None,
        immediate=draft.flow == Flow.IMMEDIATE,
    )


SUBMIT_ATTEMPTS = 3


def _submit_retrying(work):
    """Run a submit; a deadlock or a lock wait that timed out is retried a few times, then the
    customer gets the step again with a message, never a 500."""
    for attempt in range(1, SUBMIT_ATTEMPTS + 1):
        try:
            return work()
        except OperationalError as exc:
            if not is_retryable(exc):
                raise
            logger.warning("submit attempt %s failed: %s", attempt, exc)
            if attempt == SUBMIT_ATTEMPTS:
                raise ContentInvalid(Content(non_field=[_(
                    "ただいま同じご契約へのお申し込みが集中しているため、受け付けられませんでした。"
                    "お申し込みは保存されていません。しばらくしてからもう一度「申し込む」を押してください。"),
                ])) from exc
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    raise AssertionError("unreachable")


def contracts_lock(contract_ids) -> None:
    """Serialise every submit on the N番 it places an order for: a row lock on each voice contract,
    taken in one stable order (by id). The E and B rules are then checked inside the lock, in the
    transaction that inserts the order, so B1 and E8 can never be beaten by timing."""
    list(VoiceContract.objects.select_for_update(no_key=True).filter(pk__in=contract_ids).order_by("pk")
         .values_list("pk", flat=True))


def _draft_contract_ids(draft: Draft) -> set[int]:
    """The N番 a draft's rows name (any base number of its voice group)."""
    numbers = {phone.normalise(str(row.get("base") or "")) for row in [*draft.red_rows, *draft.blue_rows]} - {""}
    return set(BaseNumber.objects.filter(number__in=numbers, contract__voice_group=draft.voice_group_id)
               .values_list("contract_id", flat=True))


def draft_submit(*, draft_id, user) -> list[Order]:
    """申し込む: one order per N番 of the draft, all or nothing, at most once per draft."""
    return _submit_retrying(lambda: _draft_submit(draft_id=draft_id, user=user))


@transaction.atomic
def _draft_submit(*, draft_id, user) -> list[Order]:
    # The draft row alone is locked (of=self: never the organisation), so a double click, a
    # reload or a second tab waits for the first submit and then gets its orders back; the
    # (draft, N番) unique constraint is the last guard.
    draft = Draft.objects.select_for_update(of=("self",)).get(pk=draft_id, organisation=user.organisation)
    if draft.submitted_at:
        return list(Order.objects.filter(draft_id=draft.pk).order_by("request_id"))
    contracts_lock(_draft_contract_ids(draft))
    content = draft_content_check(draft=draft)  # E1–E8, B1 and codes, inside the lock
    if not content.ok:
        raise ContentInvalid(content)
    now = clock.now()
    contact = {key: draft.contact.get(key, "") for key in CONTACT_KEYS}
    orders: list[Order] = []
    mails: list[int] = []
    codes_by_order: list[tuple[Order, dict]] = []
    for contract in content.contracts():
        order = Order.objects.create(
            request_id=request_id_new(), organisation=draft.organisation, contract=contract,
            channel=Channel.PORTAL, flow=draft.flow, kind_label="ダイヤルイン番号の追加",
            submitted_at=now, scheduled_on=clock.today(), draft_id=draft.pk, created_by=user, **contact,
        )
        position = 0
        items = []
        for line in content.red:
            if line.base.contract_id == contract.pk:
                position += 1
                items.append(OrderItem(order=order, position=position, base_number=line.base, kind=line.kind,
                                       quantity=line.quantity))
        codes = {}
        for line in content.blue:
            if line.base.contract_id == contract.pk:
                position += 1
                items.append(OrderItem(order=order, position=position, base_number=line.base,
                                       kind=phone.kind_of(line.number), quantity=1,
                                       reservation_code=line.code, reserved_number=line.number))
                codes[line.code.pk] = line.code
        OrderItem.objects.bulk_create(items, batch_size=2000)
        codes_by_order.append((order, codes))
        OrderEvent.objects.create(order=order, at=now, to_status=Status.ACCEPTED, actor=OrderEvent.Actor.CUSTOMER,
                                  user=user, note="お申し込みを受け付けました")
        mail = mail_compose(order=order, kind=SentMail.Kind.ACCEPTED)
        if mail:
            mails.append(mail.pk)
        orders.append(order)
    _codes_hold(codes_by_order)
    draft.submitted_at = now
    draft.updated_at = now
    draft.save(update_fields=["submitted_at", "updated_at"])
    transaction.on_commit(lambda: _after_submit([o.pk for o in orders], mails))
    return orders


def _codes_hold(codes_by_order: list[tuple[Order, dict]]) -> None:
    """Hold the orders' reservation codes, locked in one stable order (by id) in both flows; one
    taken meanwhile undoes the whole submit."""
    holder = {code_id: order for order, codes in codes_by_order for code_id in codes}
    locked = ReservationCode.objects.select_for_update(of=("self",)).filter(pk__in=holder).order_by("pk")
    for code in locked:
        if not reservation_code_hold(code=code, holder=holder[code.pk].request_id):
            raise ContentInvalid(Content(non_field=[
                _("番号予約コード「%(code)s」は他のお申し込みで使用中か、有効期限が切れています。")
                % {"code": code.code}]))


def _after_submit(order_ids: list, mail_ids: list[int]) -> None:
    from orders import tasks  # tasks import this module

    if _enqueue(tasks.order_activate, [str(order_id) for order_id in order_ids]):
        _enqueue(tasks.mail_deliver, mail_ids)


def _enqueue(task, ids: list) -> bool:
    """After commit the work is saved: a broker that cannot be reached must not turn that into an
    error page, nor keep the customer waiting. At the first failure the rest is left too; the
    sweeps (beat) find what was not enqueued and do it when the broker is back."""
    for item in ids:
        try:
            task.delay(item)
        except Exception:
            logger.warning("could not enqueue %s(%s) and what follows; the sweeps will pick them up", task.name,
                           item, exc_info=True)
            return False
    return True


# --- Activation: the network issues the numbers ------------------------------------------------

def order_activate(*, order_id, actor: str = OrderEvent.Actor.WORKER, user=None) -> bool:
    """Activate an accepted order: issue its numbers (new, reserved, ported) with their options,
    apply NW address changes, set the 0AJ flag and 開通日, complete it and store the completion
    e-mail. The worker, the sweep and an operator's action all come here. Claimed with a
    conditional update, so a task that runs twice does nothing twice. A shortfall of stock puts
    the order in エラー with nothing issued."""
    mail_ids: list[int] = []
    with transaction.atomic():
        order = Order.objects.select_related("contract").get(pk=order_id)
        if not order_set_status(order=order, to=Status.IN_CONSTRUCTION, actor=actor, user=user,
                                expected=Status.ACCEPTED, note="開通工事を開始しました"):
            return False
        try:
            with transaction.atomic():
                issued, dropped = _issue_items(order)
                mail_ids += _activated(order, issued, actor=actor, user=user)
                if dropped:
                    OrderEvent.objects.create(
                        order=order, at=clock.now(), from_status=Status.ACTIVATED, to_status=Status.ACTIVATED,
                        actor=OrderEvent.Actor.SYSTEM,
                        note="O4: フリーダイヤル・ナビダイヤル紐付が未完了のため特定番号通知をキャンセルしました（"
                             + "、".join(dropped) + "）")
                    mail = mail_compose(order=order, kind=SentMail.Kind.OPTION_CANCELLED,
                                        extra={"numbers": dropped})
                    if mail:
                        mail_ids.append(mail.pk)
        except (InsufficientStock, ValidationError, IntegrityError, DataError) as exc:
            logger.warning("order %s could not be activated: %s", order.request_id, exc)
            note = ("空き番号が不足したため開通できませんでした。" if isinstance(exc, InsufficientStock)
                    else "番号の払い出しに失敗しました。")
            order_set_status(order=order, to=Status.ERROR, actor=actor, user=user, note=note,
                             expected=Status.IN_CONSTRUCTION)  # the savepoint undid any later move
    if mail_ids:
        transaction.on_commit(lambda: _deliver(mail_ids))
    return True


def order_retry(*, order_id, actor: str = OrderEvent.Actor.OPERATOR, user=None) -> bool:
    """An order in エラー (e.g. stock ran out) goes back to 受付済 and is activated again, by the
    same service as the worker's, once the operator has added stock."""
    with transaction.atomic():
        order = Order.objects.get(pk=order_id)
        if not order_set_status(order=order, to=Status.ACCEPTED, actor=actor, user=user, expected=Status.ERROR,
                                note="エラーのお申し込みを再実行します"):
            return False
        if order.scheduled_on and order.scheduled_on < clock.today():
            # Activated on the day it really happens, so 竣工 is two business days from then.
            Order.objects.filter(pk=order.pk).update(scheduled_on=clock.today())
            order.scheduled_on = clock.today()
    if order.flow != Flow.IMMEDIATE and order.scheduled_on and order.scheduled_on > clock.today():
        return True  # a scheduled order waits for its date again
    order_activate(order_id=order_id, actor=actor, user=user)
    return True


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
    items = [list(item) for item in order.items.order_by("position").values_list(*fields)]
    notify = {item[9] for item in items if item[9]}
    # O4: 特定番号通知 needs its freephone / navi-dial link complete by the construction date.
    dropped = set(o4_unlinked(contract=order.contract, day=day, numbers=notify)) if notify else set()
    by_code: dict[int, list[TargetRow]] = defaultdict(list)
    rows: list[IssueRow] = []
    ported: list[TargetRow] = []
    added: dict[int, int] = defaultdict(int)  # numbers per base number, for its representative group
    for base_id, kind, quantity, code_id, reserved, ported_number, *options, base_kind, base_number in items:
        if options[3] in dropped:
            options[3] = ""  # O4: cancelled automatically
        added[base_id] += quantity
        if ported_number:
            ported.append(TargetRow(ported_number, base_id, *options))
        elif code_id:
            by_code[code_id].append(TargetRow(reserved, base_id, *options))
        else:
            kind_, area = pool_for(base_kind=base_kind, base_number=base_number,
                                   contract_area=order.contract.area_code, kind=kind)
            rows.append(IssueRow(base_id, kind_, area, quantity, *options))
    issued = 0
    if rows:
        issued += numbers_issue_rows(rows=rows, source=order.request_id, day=day)
    codes = {c.pk: c for c in ReservationCode.objects.filter(pk__in=by_code).order_by("pk")}
    for code_id, targets in sorted(by_code.items()):
        issued += reserved_numbers_issue(code=codes[code_id], numbers=targets, source=order.request_id, day=day)
    if ported:
        issued += ported_numbers_issue(numbers=ported, source=order.request_id, day=day)
    representative_groups_grow(added=added)  # E8: issued numbers join their base number's group
    if any(item[1] == phone.KIND_0AJ for item in items) and not order.contract.oaj_used:
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
        order.completion_due_on = business_days.add_business_days(day, 2)
    order.save(update_fields=["activated_on", "completed_on", "completion_due_on"])
    order_set_status(order=order, to=Status.ACTIVATED, actor=actor, user=user,
                     note=f"{issued:,}件の番号を払い出し、開通しました")
    if order.flow == Flow.IMMEDIATE:
        order_set_status(order=order, to=Status.COMPLETED, actor=OrderEvent.Actor.SYSTEM,
                         note="開通と同時に竣工しました（B2）")
    mail = mail_compose(order=order, kind=SentMail.Kind.COMPLETED, extra={"issued": issued})
    return [mail.pk] if mail else []


def _deliver(mail_ids: list[int]) -> None:
    from orders import tasks

    _enqueue(tasks.mail_deliver, mail_ids)


@transaction.atomic
def order_cancel(*, order: Order, actor: str, user=None, note: str = "") -> bool:
    """Cancel an order before its activation; its held reservation codes are released."""
    if not order_set_status(order=order, to=Status.CANCELLED, actor=actor, user=user,
                            note=note or "お申し込みをキャンセルしました"):
        return False
    reservation_code_release(holder=order.request_id)
    mail = mail_compose(order=order, kind=SentMail.Kind.CANCELLED)
    if mail:
        transaction.on_commit(lambda: _deliver([mail.pk]))
    return True


# --- Due work: scheduled activation and 竣工 (beat, or at once when the demo clock moves) -------

def order_complete(*, order_id, actor: str = OrderEvent.Actor.SYSTEM, user=None) -> bool:
    """竣工: two business days after activation (scheduled and sales orders)."""
    with transaction.atomic():
        order = Order.objects.get(pk=order_id)
        if not order_set_status(order=order, to=Status.COMPLETED, actor=actor, user=user,
                                expected=Status.ACTIVATED, note="竣工しました（開通日の2営業日後）"
                                if actor == OrderEvent.Actor.SYSTEM else "竣工にしました"):
            return False
        Order.objects.filter(pk=order.pk).update(completed_on=order.completion_due_on or clock.today())
    return True


def orders_run_due() -> dict[str, int]:
    """Activate every scheduled or sales order whose date has come (JST), then complete every
    activated order whose 竣工 date has come. Each step claims its order, so two runs at once
    (beat and a demo-clock move) never do anything twice."""
    today = clock.today()
    lost = clock.now() - dt.timedelta(seconds=settings.PORTAL_LOST_TASK_SECONDS)
    due = Order.objects.filter(status=Status.ACCEPTED, scheduled_on__lte=today).filter(
        # Immediate orders are activated by their own task; one whose task was lost (broker down,
        # worker killed mid-activation: its transaction rolled back) is picked up here.
        ~Q(flow=Flow.IMMEDIATE) | Q(submitted_at__lt=lost))
    activated = sum(_safely(order_activate, pk) for pk in due.order_by("scheduled_on").values_list("pk", flat=True))
    done = Order.objects.filter(status=Status.ACTIVATED, completion_due_on__lte=today)
    completed = sum(_safely(order_complete, pk) for pk in done.values_list("pk", flat=True))
    return {"activated": activated, "completed": completed}


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


# --- The scheduled flow (工事日を指定するお申し込み) -------------------------------------------

ITEM_DIALIN = "dialin"


ITEM_PORTING = "porting"


def scheduled_has_porting(draft: Draft) -> bool:
    return any(item.get("type") == ITEM_PORTING for item in draft.items)


def scheduled_item_kinds(draft: Draft) -> set[str]:
    kinds = set()
    for item in draft.items:
        if item.get("type") == ITEM_PORTING:
            kinds.add(phone.KIND_0AJ)
            continue
        kinds |= {r["kind"] for r in item.get("red", [])}
        kinds |= {phone.kind_of(phone.normalise(r["number"])) for r in item.get("blue", [])}
    return kinds - {None}


def scheduled_lead_items(draft: Draft) -> set[str]:
    """Which standard lead times apply to the draft's content."""
    items = {LeadTime.Item.DIALIN}
    if scheduled_has_porting(draft):
        items.add(LeadTime.Item.PORTING)
    options = [o for item in draft.items
               for o in [*item.get("red_options", []), *item.get("blue_options", []), *item.get("port_options", [])]]
    if any(o.get("specific_number_notification") or o.get("forwarding_specific_number") for o in options):
        items.add(LeadTime.Item.SPECIAL_OPTION)
    if draft.extra.get("network"):
        items.add(LeadTime.Item.NW_ADDRESS)
    if draft.contract and aml_applies(contract=draft.contract, items=draft.items):
        items.add(LeadTime.Item.AML)
    return set(items)


def scheduled_check(*, draft: Draft) -> tuple[list[dict], list[str]]:
    """Everything the confirm step and submit re-check. Returns the order's item rows as
    checked and normalised (OrderItem fields, options included) and every problem found."""
    contract = draft.contract
    problems: list[str] = []
    rows: list[dict] = []
    if contract is None or not draft.items:
        problems.append(_("お申し込み内容を1件以上保存してください。"))
        return rows, problems
    decision = eligibility_check(contract=contract, wish=Wish(kinds=frozenset(scheduled_item_kinds(draft))))
    if decision.flow == Flow.SALES:
        problems.append(f"[{decision.rule}] {decision.reason}")

    def with_options(number: int, label: str, kind: str, options: dict, **fields) -> None:
        clean, errors = options_clean(kind=kind, raw=_options_raw(options))
        problems.extend(_("お申し込み内容%(n)s %(label)s: %(message)s") % {
            "n": number, "label": label, "message": m} for m in errors.values())
        rows.append({**fields, "kind": kind, **clean})

    for number, item in enumerate(draft.items, start=1):
        if item.get("type") == ITEM_PORTING:
            clean, errors = porting_rows_check(
                contract=contract, bases=item.get("bases", []), rows=item.get("ports", []),
                remaining=item.get("remaining", ""), remaining_rows=item.get("remaining_rows", []))
            for error in errors.values():
                messages = error.values() if isinstance(error, dict) else [error]
                problems.extend(_("お申し込み内容%(n)s: %(message)s") % {"n": number, "message": m} for m in messages)
            for i, row in enumerate(clean):
                with_options(number, row["number"], phone.KIND_0AJ, option_at(item.get("port_options"), i),
                             base=row["base"], quantity=1, ported_number=row["number"],
                             port={k: v for k, v in row.items() if k not in ("base", "number")})
            continue
        content = content_check(
            organisation=draft.organisation, voice_group=draft.voice_group, red_rows=item.get("red", []),
            blue_rows=item.get("blue", []), chosen=item.get("bases", []), max_quantity=MAX_QUANTITY_SCHEDULED,
            immediate=False)
        for error in content.errors:
            problems.append(_("お申し込み内容%(n)s %(box)s No.%(row)s: %(message)s") % {
                "n": number, "box": "①" if error.box == "red" else "②", "row": error.index + 1,
                "message": error.message})
        problems.extend(content.non_field)
        for i, line in enumerate(content.red):
            with_options(number, f"No.{i + 1}", line.kind, option_at(item.get("red_options"), i),
                         base=line.base.number, quantity=line.quantity)
        for i, line in enumerate(content.blue):
            with_options(number, line.number, phone.kind_of(line.number), option_at(item.get("blue_options"), i),
                         base=line.base.number, quantity=1, reservation_code=line.code, reserved_number=line.number)
    _rows, nw_errors = network_rows_check(contract=contract, rows=draft.extra.get("network", []),
                                          required=phone.KIND_0AJ in scheduled_item_kinds(draft))
    problems.extend(nw_errors.values())
    day = _parse_date(draft.extra.get("date"))
    earliest = earliest_date(items=scheduled_lead_items(draft))
    problems.extend(date_check(day=day, earliest=earliest, time=draft.extra.get("time", ""),
                               reason=draft.extra.get("reason", ""), porting=scheduled_has_porting(draft)).values())
    if aml_applies(contract=contract, items=draft.items):
        aml = draft.extra.get("aml") or {}
        has_file = Attachment.objects.filter(pk=aml.get("attachment") or None, draft=draft).exists()
        problems.extend(aml_check(data=aml, has_file=has_file).values())
    ported = [r["ported_number"] for r in rows if r.get("ported_number")]
    if len(ported) != len(set(ported)):
        problems.append(_("番号ポータビリティの同じ番号が複数のお申し込み内容にあります。"))
    return rows, problems


def _parse_date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def scheduled_submit(*, draft_id, user) -> list[Order]:
    """申し込む (scheduled): one order for the N番 with all saved items; activated by beat on its date."""
    return _submit_retrying(lambda: _scheduled_submit(draft_id=draft_id, user=user))


@transaction.atomic
def _scheduled_submit(*, draft_id, user) -> list[Order]:
    draft = Draft.objects.select_for_update(of=("self",)).select_related("organisation", "voice_group", "contract").get(
        pk=draft_id, organisation=user.organisation, flow=Flow.SCHEDULED)
    if draft.submitted_at:
        return list(Order.objects.filter(draft_id=draft.pk))
    if draft.contract_id:
        contracts_lock([draft.contract_id])  # the same lock as the immediate submit (B1)
    rows, problems = scheduled_check(draft=draft)
    if problems:
        raise ContentInvalid(Content(non_field=problems))
    now = clock.now()
    day = _parse_date(draft.extra["date"])
    contract = draft.contract
    only_porting = all(item.get("type") == ITEM_PORTING for item in draft.items)
    porting_details = [{"remaining": item.get("remaining", ""), "remaining_rows": item.get("remaining_rows", [])}
                       for item in draft.items if item.get("type") == ITEM_PORTING]
    order = Order.objects.create(
        request_id=request_id_new(), organisation=draft.organisation, contract=contract, channel=Channel.PORTAL,
        flow=Flow.SCHEDULED, submitted_at=now, scheduled_on=day,
        kind_label="ダイヤルイン番号の追加（番号ポータビリティ）" if only_porting else "ダイヤルイン番号の追加",
        details={"porting": porting_details} if porting_details else {},
        completion_due_on=business_days.add_business_days(day, 2), draft_id=draft.pk, created_by=user,
        desired_time=draft.extra.get("time", ""), desired_reason=draft.extra.get("reason", ""),
        network_changes=draft.extra.get("network_clean", []),
        **{key: draft.contact.get(key, "") for key in CONTACT_KEYS},
    )
    bases = {b.number: b for b in BaseNumber.objects.filter(contract=contract)}
    # Built from the checked, normalised rows, never from the raw draft.
    items = [OrderItem(order=order, position=position, base_number=bases[base], **fields)
             for position, (base, fields) in enumerate(((r["base"], {k: v for k, v in r.items() if k != "base"})
                                                        for r in rows), start=1)]
    codes = {row["reservation_code"].pk: row["reservation_code"] for row in rows if row.get("reservation_code")}
    OrderItem.objects.bulk_create(items, batch_size=2000)
    _codes_hold([(order, codes)])
    aml = draft.extra.get("aml") or {}
    if aml.get("attachment"):
        Attachment.objects.filter(pk=aml["attachment"] or None, draft=draft).update(order=order)
        order.details = {**order.details, "aml": {k: v for k, v in aml.items() if k != "attachment"}}
        order.save(update_fields=["details"])
    OrderEvent.objects.create(order=order, at=now, to_status=Status.ACCEPTED, actor=OrderEvent.Actor.CUSTOMER,
                              user=user, note="お申し込みを受け付けました（工事日指定）")
    mail = mail_compose(order=order, kind=SentMail.Kind.ACCEPTED)
    draft.submitted_at = now
    draft.updated_at = now
    draft.save(update_fields=["submitted_at", "updated_at"])
    if mail:
        transaction.on_commit(lambda: _deliver([mail.pk]))
    return [order]


def _options_raw(options: dict) -> dict:
    return {**options, "notification_on": bool(options.get("specific_number_notification")),
            "forwarding_on": bool(options.get("forwarding_specific_number"))}


def network_changes_apply(*, order: Order) -> None:
    """At activation: the order's 0AJ site NW address additions and deletions."""
    for change in order.network_changes:
        if change["action"] == "add":
            NetworkAddress.objects.get_or_create(contract=order.contract, network=change["network"],
                                                 prefix_length=change["prefix"])
        else:
            NetworkAddress.objects.filter(contract=order.contract, network=change["network"],
                                          prefix_length=change["prefix"]).delete()
