"""Placing orders: the submit of both flows (one order per N番, rules re-checked under the
N番's lock, retried on deadlock), the scheduled flow's full check, and sales-channel orders."""

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from numbering import phone
from numbering.models import BaseNumber, ReservationCode, VoiceContract
from numbering.services import (
    reservation_code_hold,
)
from orders import dispatch, rules
from orders.content import Content
from orders.events import order_event
from orders.kinds import KINDS, kind_of
from orders.mail import mail_compose
from orders.models import (
    Channel,
    Draft,
    EventNote,
    Flow,
    Order,
    OrderEvent,
    OrderItem,
    OrderKind,
    SentMail,
    Status,
)
from orders.network import porting_answer_day
from orders.scheduled_checks import (
    parse_date,
)
from orders.spec import ImmediateSpec, ScheduledSpec, immediate_check, scheduled_check, spec_of, spec_uploads
from orders.state import dump
from orders.status import request_id_new
from portal import clock
from portal.db import is_retryable

logger = logging.getLogger(__name__)


def order_sales_create(
    *, contract: VoiceContract, scheduled_on: dt.date, operator, kind_label: str = OrderKind.DIALIN,
    note: str = "",
    contact: dict[str, str] | None = None,
) -> Order:
    """A sales-channel order (営業経由変更申込) entered by an operator, on the customer's clock; it
    blocks immediate orders on its N番 until 竣工 (B1)."""
    with clock.of(contract.voice_group.organisation_id):
        return _sales_create(contract=contract, scheduled_on=scheduled_on, operator=operator, kind_label=kind_label,
                             note=note, contact=contact)


@transaction.atomic
def _sales_create(*, contract, scheduled_on, operator, kind_label, note, contact) -> Order:
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
        completion_due_on=rules.completion_date(scheduled_on),
        created_by=operator,
        **(contact or {}),
    )
    OrderEvent.objects.create(order=order, at=order.submitted_at, to_status=Status.ACCEPTED,
                              actor=OrderEvent.Actor.OPERATOR, user=operator, note_code=EventNote.SALES,
                              note=note)
    order_event(order, Status.ACCEPTED)
    return order


def _language() -> str:
    """The language the customer ordered in: their e-mails are written in it."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class ContentInvalid(Exception):
    def __init__(self, content: Content) -> None:
        super().__init__("order content is invalid")
        self.content = content


def draft_content_check(*, draft: Draft) -> Content:
    """The immediate check of what a draft specifies (its confirm step)."""
    return immediate_check(spec_of(draft))


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


def _immediate_contract_ids(spec: ImmediateSpec) -> set[int]:
    """The N番 the rows name (any base number of the voice group)."""
    numbers = {phone.normalise(str(row.base)) for row in [*spec.red, *spec.blue]} - {""}
    return set(BaseNumber.objects.filter(number__in=numbers, contract__voice_group=spec.voice_group)
               .values_list("contract_id", flat=True))


@dataclass
class Placed:
    """One order a submit places: its N番, the Order's own fields, its item rows (OrderItem fields,
    base numbers resolved) as checked inside the N番's lock, and the draft's attachments it takes."""

    contract: VoiceContract
    fields: dict
    items: list[dict]
    code: str
    attachments: list[str] = field(default_factory=list)


def draft_submit(*, draft_id, user, site_url: str = "") -> list[Order]:
    """申し込む (both flows): the orders of a draft, one per N番, all or nothing, at most once per
    draft. The flow's rules are checked under the N番 locks, in the transaction that inserts."""
    return _submit_retrying(lambda: _submit(draft_id=draft_id, user=user, site_url=site_url))


def spec_place(*, spec, user, site_url: str = "") -> list[Order]:
    """The orders of a specification entered by a program (the API), one per N番, all or nothing:
    the same checks under the same locks as a draft's submit. At most once per Idempotency-Key
    (portal.api), as a draft's is at most once per draft."""
    return _submit_retrying(lambda: transaction.atomic(_place)(spec=spec, user=user, site_url=site_url))


@transaction.atomic
def _submit(*, draft_id, user, site_url: str) -> list[Order]:
    # The draft row alone is locked (of=self: never the organisation), so a double click, a
    # reload or a second tab waits for the first submit and then gets its orders back; the
    # (draft, N番) unique constraint is the last guard.
    draft = Draft.objects.select_for_update(of=("self",)).get(pk=draft_id, organisation=user.organisation)
    if draft.submitted_at:
        return list(Order.objects.filter(draft_id=draft.pk).order_by("request_id"))
    orders = _place(spec=spec_of(draft), user=user, site_url=site_url, draft=draft)
    draft.submitted_at = draft.updated_at = orders[0].submitted_at
    draft.save(update_fields=["submitted_at", "updated_at"])
    return orders


def _place(*, spec, user, site_url: str, draft: Draft | None = None) -> list[Order]:
    """Check the specification under its N番 locks and insert its orders, their items, events and
    mails; the network's work is enqueued once the transaction commits."""
    contract_ids, plan = _PLANS[spec.flow]
    contracts_lock(contract_ids(spec))
    placements = plan(spec)  # E/B/O rules, codes, dates: ContentInvalid with every problem
    now = clock.now()
    orders: list[Order] = []
    mails: list[int] = []
    codes_by_order: list[tuple[Order, dict]] = []
    for placed in placements:
        # Ported numbers: the losing carrier answers on the next business day (orders.activation).
        answer = (porting_answer_day(now, placed.fields.get("scheduled_on"))
                  if any(row.get("ported_number") for row in placed.items) else None)
        order = Order.objects.create(
            request_id=request_id_new(), organisation=spec.organisation, contract=placed.contract,
            channel=Channel.PORTAL, flow=spec.flow, submitted_at=now, draft_id=draft.pk if draft else None,
            created_by=user, language=_language(), site_url=site_url, porting_answer_on=answer,
            **dump(spec.contact), **placed.fields)
        OrderItem.objects.bulk_create(
            [OrderItem(order=order, position=position, **row) for position, row in enumerate(placed.items, start=1)],
            batch_size=2000)
        codes_by_order.append((order, {row["reservation_code"].pk: row["reservation_code"]
                                       for row in placed.items if row.get("reservation_code")}))
        if placed.attachments:
            spec_uploads(spec).filter(pk__in=placed.attachments).update(order=order)
        OrderEvent.objects.create(order=order, at=now, to_status=Status.ACCEPTED, actor=OrderEvent.Actor.CUSTOMER,
                                  user=user, note_code=placed.code)
        order_event(order, Status.ACCEPTED)
        mail = mail_compose(order=order, kind=SentMail.Kind.ACCEPTED)
        if mail:
            mails.append(mail.pk)
        orders.append(order)
    _codes_hold(codes_by_order)
    if spec.flow == Flow.IMMEDIATE:  # activated at once: the worker issues the numbers, then mails
        transaction.on_commit(lambda: dispatch.activations_enqueue([o.pk for o in orders], mails))
    else:  # activated by the scheduler on the construction date
        transaction.on_commit(lambda: dispatch.mails_enqueue(mails))
    return orders


def _immediate_plan(spec: ImmediateSpec) -> list[Placed]:
    content = immediate_check(spec)  # E1–E8, B1, codes and stock
    if not content.ok:
        raise ContentInvalid(content)
    placements = []
    for contract in content.contracts():
        items = [{"base_number": ln.base, "kind": ln.kind, "quantity": ln.quantity}
                 for ln in content.red if ln.base.contract_id == contract.pk]
        items += [{"base_number": ln.base, "kind": phone.kind_of(ln.number), "quantity": 1,
                   "reservation_code": ln.code, "reserved_number": ln.number}
                  for ln in content.blue if ln.base.contract_id == contract.pk]
        placements.append(Placed(contract=contract, items=items, code=EventNote.ACCEPTED,
                                 fields={"kind_label": OrderKind.DIALIN, "scheduled_on": clock.today()}))
    return placements


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


def _scheduled_plan(spec: ScheduledSpec) -> list[Placed]:
    """One order for the N番 with all its items, activated by the scheduler on its date."""
    found = scheduled_check(spec)
    if found.problems:
        raise ContentInvalid(Content(non_field=found.problems))
    schedule = spec.schedule
    day = parse_date(schedule.date)
    details: dict = {}
    for kind in KINDS.values():  # what each kind keeps besides its rows
        if of_kind := [item for item in spec.items if kind_of(item) is kind]:
            details.update(kind.order_details(of_kind))
    kinds = {kind_of(item) for item in spec.items}
    attachments = []
    if schedule.aml and schedule.aml.attachment:
        details["aml"] = {k: v for k, v in dump(schedule.aml).items() if k != "attachment"}
        attachments.append(schedule.aml.attachment)
    bases = {b.number: b for b in BaseNumber.objects.filter(contract=spec.contract)}
    # Built from the checked, normalised rows, never from the raw entry.
    items = [{**{k: v for k, v in row.items() if k != "base"}, "base_number": bases[row["base"]]}
             for row in found.rows]
    # An order of one kind is named by it; a mix is a dial-in addition (ダイヤルイン番号追加).
    kind_label = kinds.pop().order_kind if len(kinds) == 1 else OrderKind.DIALIN
    return [Placed(
        contract=spec.contract, items=items, attachments=attachments,
        code=EventNote.ACCEPTED_SCHEDULED,
        fields={"kind_label": kind_label,
                "scheduled_on": day, "completion_due_on": rules.completion_date(day), "details": details,
                "desired_time": schedule.time, "desired_reason": schedule.reason,
                "network_changes": [{"action": r.action, "network": r.network, "prefix": int(r.prefix)}
                                    for r in found.network]})]


# Per flow: which N番 a submit locks, and the plan checked under those locks.
_PLANS = {
    Flow.IMMEDIATE: (_immediate_contract_ids, _immediate_plan),
    Flow.SCHEDULED: (lambda spec: [spec.contract.pk] if spec.contract else [], _scheduled_plan),
}

