"""The API's order resources: the pre-order flowchart, placing orders of both flows (JSON or the
screens' CSV file), the history, an order with its timeline and issued numbers, cancelling, the AML
form's upload and, in demo mode, reservation codes. Every order goes through the one order
specification (orders.spec), its checks and its placement (orders.placement), as on screen."""

import csv
import datetime as dt
import io
import re
from typing import Annotated, Literal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import ValidationError as PydanticValidationError

from numbering import phone
from numbering.models import BaseNumber, DialInNumber, ReservedNumber, StockNumber, VoiceContract, VoiceGroup
from numbering.services import reservation_code_issue, stock_pool
from orders import activation, csv_input, selectors, status
from orders.attachments import attachment_store
from orders.content import Content, rule_of
from orders.eligibility import Wish, eligibility_check
from orders.forms import ContactForm
from orders.models import OPTION_FIELDS, Flow, Order, OrderEvent, OrderKind, note_text, status_label
from orders.models import Status as OrderStatus
from orders.placement import ContentInvalid, spec_place
from orders.scheduled_checks import LINE_TYPES
from orders.spec import ImmediateSpec, ScheduledSpec
from orders.state import (
    AmlAnswers,
    BlueRow,
    Contact,
    DialInItem,
    NetworkRow,
    Options,
    PortingItem,
    PortRow,
    RedRow,
    RemainingRow,
    Schedule,
)
from portal import clock
from portal.api import (
    MAX_LIMIT,
    ApiError,
    StrictSchema,
    cursor_decode,
    cursor_encode,
    idempotency_exempt,
    openapi_patch,
    responses,
    validation_items,
)

router = Router(tags=["orders"])


# --- Request bodies ----------------------------------------------------------------------------------

class ContactIn(StrictSchema):
    """お申し込みご担当者情報: the e-mails go to this person."""

    name: str = Field("", max_length=200)
    department: str = Field("", max_length=200)
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)


class OptionsIn(StrictSchema):
    """付加機能 of a row (O1–O4 apply)."""

    message_box: bool = False
    anonymous_call_rejection: bool = False
    nuisance_call_rejection: bool = False
    specific_number_notification: str = Field("", max_length=20)
    forwarding_specific_number: str = Field("", max_length=20)


class RowIn(StrictSchema):
    """① new numbers: how many of a kind on a base number."""

    base: str = Field(max_length=20, description="基本契約番号")
    kind: str = Field(max_length=10, description="0AJ or 050")
    quantity: int | str = Field(description="追加番号数 (a number; checked as on screen)")


class ReservedIn(StrictSchema):
    """② a reserved number with its 番号予約コード."""

    base: str = Field(max_length=20)
    number: str = Field(max_length=20)
    code: str = Field(max_length=40)


class OptionRowIn(RowIn):
    options: OptionsIn = OptionsIn()


class OptionReservedIn(ReservedIn):
    options: OptionsIn = OptionsIn()


class PortIn(StrictSchema):
    """One number to port (番号ポータビリティ): the porting screen's fields."""

    base: str = Field(max_length=20)
    number: str = Field(max_length=20)
    carrier1: str = Field("", max_length=100)
    carrier2: str = Field("", max_length=100)
    line_type: str = Field("", max_length=20, description="analog, isdn, hikari or other (or the screen's words)")
    holder: str = Field("", max_length=10, description="same (IPVoice名義と同じ) or other")
    holder_name: str = Field("", max_length=100)
    address: str = Field("", max_length=10, description="same (設置場所住所と同じ) or other")
    address_text: str = Field("", max_length=200)
    contractor_address: str = Field("", max_length=200)
    dsu: str = Field("", max_length=10, description="ISDN only: 要 or 不要")
    options: OptionsIn = OptionsIn()


class RemainingIn(StrictSchema):
    number: str = Field(max_length=20)
    usage: str = Field("", max_length=100)


class DialInItemIn(StrictSchema):
    type: Literal["dialin"]
    rows: list[OptionRowIn] = Field([], max_length=10000)
    reserved: list[OptionReservedIn] = Field([], max_length=10000)


class PortingItemIn(StrictSchema):
    type: Literal["porting"]
    ports: list[PortIn] = Field([], max_length=1000)
    remaining: str = Field("", max_length=2, description="残置番号: 有 or 無")
    remaining_rows: list[RemainingIn] = Field([], max_length=100)


class NetworkChangeIn(StrictSchema):
    action: Literal["add", "delete"] = "add"
    network: str = Field(max_length=40)
    prefix: int | str


class AmlIn(StrictSchema):
    """犯罪収益移転防止法に関するご確認, with the form uploaded by POST /attachments."""

    changed: str = Field("", max_length=10)
    person: str = Field("", max_length=200)
    dept: str = Field("", max_length=200)
    recipient: str = Field("", max_length=200)
    attachment: str = Field("", max_length=40, description="id returned by POST /attachments")


class ConstructionIn(StrictSchema):
    date: str = Field(max_length=20, description="工事希望年月日, YYYY-MM-DD")
    time: str = Field("", max_length=10, description="工事希望時間, HH:MM (porting only)")
    reason: str = Field("", max_length=400, description="reason for a time outside 8:30–17:00 or a holiday")


class ImmediateOrderIn(StrictSchema):
    flow: Literal["immediate"]
    voice_group: str | None = Field(None, max_length=20, description="optional: the rows' base numbers name it")
    rows: list[RowIn] = Field([], max_length=10000)
    reserved: list[ReservedIn] = Field([], max_length=10000)
    contact: ContactIn


class ScheduledOrderIn(StrictSchema):
    flow: Literal["scheduled"]
    contract: str = Field(max_length=20, description="音声契約番号 (N番)")
    items: list[Annotated[DialInItemIn | PortingItemIn, Field(discriminator="type")]] = Field(max_length=20)
    network_changes: list[NetworkChangeIn] = Field([], max_length=100)
    aml: AmlIn | None = None
    construction: ConstructionIn
    contact: ContactIn


OrderIn = Annotated[ImmediateOrderIn | ScheduledOrderIn, Field(discriminator="flow")]


class EligibilityIn(StrictSchema):
    contract: str = Field(max_length=20)
    kinds: list[Literal["0AJ", "050"]] = Field([], max_length=2)
    porting: bool = False
    options: list[Literal["specific_number_notification", "forwarding_specific_number", "message_box",
                          "anonymous_call_rejection", "nuisance_call_rejection"]] = Field([], max_length=5)


class ReservationCodeIn(StrictSchema):
    contract: str = Field(max_length=20)
    kind: Literal["0AJ", "050"] = "0AJ"
    count: int = Field(1, ge=1, le=100)
    base: str | None = Field(None, max_length=20, description="the base number whose area the numbers are in")
    expires_in_days: int = Field(30, ge=1, le=365)


# --- Responses ---------------------------------------------------------------------------------------

class EligibilityOut(Schema):
    flow: Literal["immediate", "scheduled", "sales"]
    rule: str
    reason: str
    blocked_by: str | None = Field(None, description="B1: the open order that keeps immediate orders off")


class TimelineEntry(Schema):
    at: dt.datetime
    from_status: str | None
    status: str
    status_label: str
    code: str = Field(description="what happened, as a stable code (accepted, cancelled, …)")
    text: str


class ItemOut(Schema):
    position: int
    base: str
    kind: str
    quantity: int
    reserved_number: str = ""
    reservation_code: str = ""
    ported_number: str = ""
    port: dict = {}
    options: dict


class ContactOut(Schema):
    name: str
    department: str
    phone: str
    email: str


class ErrorOut(Schema):
    """Why an order is in エラー (the network's answer)."""

    code: str = Field(description="porting_holder_mismatch, porting_address_mismatch, porting_not_portable, "
                                  "activation_failed, activation_gave_up, pool_empty, no_stock or issue_failed")
    message: str = Field(description="the reason in the request's language")
    params: dict = Field(description="its values: numbers rejected, the stock pool, numbers wanted and free")


class OrderSummary(Schema):
    request_id: str
    flow: str
    status: str = Field(description="accepted, in_construction, activated, completed, cancelled or error")
    status_label: str
    contract: str
    kind_label: str
    channel: str
    submitted_at: dt.datetime
    scheduled_on: dt.date | None
    activated_on: dt.date | None
    error: ErrorOut | None = Field(description="why the order is in エラー; null in any other status")


class OrderOut(OrderSummary):
    completion_due_on: dt.date | None
    completed_on: dt.date | None
    desired_time: str
    desired_reason: str
    contact: ContactOut
    network_changes: list[dict]
    details: dict
    item_count: int
    items: list[ItemOut] = Field(description="the first 1,000 rows")
    issued_count: int
    can_cancel: bool
    timeline: list[TimelineEntry]
    links: dict[str, str]


class OrderPage(Schema):
    data: list[OrderSummary]
    next_cursor: str | None


class OrdersOut(Schema):
    """What a POST placed: one order per N番 (an immediate order may name several)."""

    data: list[OrderOut]


class IssuedOut(Schema):
    number: str
    kind: str
    base: str
    activated_on: dt.date | None


class IssuedPage(Schema):
    data: list[IssuedOut]
    next_cursor: str | None


class AttachmentOut(Schema):
    id: str
    name: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class ReservationCodeOut(Schema):
    code: str
    contract: str
    numbers: list[str]
    expires_at: dt.datetime


# --- Problems: the checks' own findings as problem details -------------------------------------------

def _item_field(item, row, name: str) -> str:
    """A scheduled check's field (orders.content.Problem) as a field path of the request body."""
    prefix = f"items[{item - 1}]"
    box, _sep, rest = name.partition(".")
    lists = {"red": "rows", "blue": "reserved", "ports": "ports"}
    if box in lists and row is not None:
        return f"{prefix}.{lists[box]}[{row}].{rest}"
    if row is not None:  # a porting row's own field
        return f"{prefix}.ports[{row}].{name}" if name else f"{prefix}.ports[{row}]"
    return f"{prefix}.{name}" if name else prefix


def _schedule_field(name: str) -> str:
    if name.startswith("nw_"):
        rest = name[3:]
        return f"network_changes[{rest}]" if rest.isdigit() else "network_changes"
    if name.startswith("aml_"):
        rest = name[4:]
        return "aml.attachment" if rest == "file" else f"aml.{rest}"
    if name in ("date", "time", "reason"):
        return f"construction.{name}"
    return name or None


def _problems_of(content: Content, *, flow: str) -> list[dict]:
    """A ContentInvalid's problems, each on its field with its rule as the code."""
    items = []
    for error in content.errors:  # the immediate check's rows
        where = "rows" if error.box == "red" else "reserved"
        items.append({"field": f"{where}[{error.index}].{error.field}", "code": error.rule or "invalid",
                      "message": error.message})
    for problem in content.non_field:
        rule = getattr(problem, "rule", "") or "invalid"
        if getattr(problem, "item", None):
            where = _item_field(problem.item, problem.row, problem.field or "")
        elif getattr(problem, "field", ""):
            where = _schedule_field(str(problem.field))
        elif flow == Flow.SCHEDULED and rule != "invalid":  # the N番 may not take what is asked (E-rules)
            where = "contract"
        else:
            where = None
        items.append({"field": where, "code": rule, "message": str(problem)})
    return items


def _invalid(errors: list[dict]) -> ApiError:
    return ApiError(422, _("お申し込みの内容に誤りがあります。errors の各項目を確認してください。"),
                    errors=errors, slug="order-invalid")


# --- Building the one order specification from a request ---------------------------------------------

def _contact(contact: ContactIn) -> tuple[Contact, list[dict]]:
    """The contact, checked by the screens' form."""
    form = ContactForm(data={"contact_name": contact.name, "contact_department": contact.department,
                             "contact_phone": contact.phone, "contact_email": contact.email})
    if form.is_valid():
        return Contact(**form.cleaned_data), []
    names = {"contact_name": "name", "contact_department": "department", "contact_phone": "phone",
             "contact_email": "email"}
    return Contact(), [{"field": f"contact.{names[name]}", "code": "required" if error.code == "required" else
                        "invalid", "message": error.message % (error.params or {})}
                       for name, errors in form.errors.as_data().items() for error in errors]


def _options(options: OptionsIn) -> Options:
    return Options(**options.model_dump(), notification_on=bool(options.specific_number_notification),
                   forwarding_on=bool(options.forwarding_specific_number))


def _immediate_spec(request, body: ImmediateOrderIn) -> tuple[ImmediateSpec, list[dict]]:
    return _immediate_spec_of(
        request, voice_group=body.voice_group, contact=body.contact,
        red=[RedRow(base=r.base, kind=r.kind, quantity=str(r.quantity)) for r in body.rows],
        blue=[BlueRow(base=r.base, number=r.number, code=r.code) for r in body.reserved])


def _immediate_spec_of(request, *, voice_group: str | None, contact: ContactIn, red: list[RedRow],
                       blue: list[BlueRow]) -> tuple[ImmediateSpec, list[dict]]:
    organisation = request.auth.organisation
    problems = []
    if voice_group:
        group = VoiceGroup.objects.filter(organisation=organisation, group_id=voice_group).first()
        if group is None:
            problems.append({"field": "voice_group", "code": "not_found",
                             "message": _("音声グループ「%(g)s」はありません。") % {"g": voice_group}})
    else:
        bases = {phone.normalise(str(r.base)) for r in [*red, *blue]} - {""}
        groups = list(VoiceGroup.objects.filter(organisation=organisation, contracts__base_numbers__number__in=bases)
                      .distinct()[:2])
        if len(groups) > 1:
            problems.append({"field": "rows", "code": "one_voice_group", "message": _(
                "1つのお申し込みには同じ音声グループの基本契約番号を指定してください。")})
        group = groups[0] if groups else VoiceGroup.objects.filter(organisation=organisation).first()
    if group is None and not problems:
        problems.append({"field": "voice_group", "code": "not_found", "message": _("音声グループがありません。")})
    contact, contact_problems = _contact(contact)
    spec = ImmediateSpec(organisation=organisation, voice_group=group, red=red, blue=blue, contact=contact)
    return spec, problems + contact_problems


def _scheduled_spec(request, body: ScheduledOrderIn) -> tuple[ScheduledSpec | None, list[dict]]:
    organisation = request.auth.organisation
    contract = (VoiceContract.objects.select_related("voice_group")
                .filter(voice_group__organisation=organisation, number=body.contract).first())
    if contract is None:
        return None, [{"field": "contract", "code": "not_found",
                       "message": _("音声契約番号「%(n)s」はありません。") % {"n": body.contract}}]
    bases = list(BaseNumber.objects.filter(contract=contract).order_by("number").values_list("number", flat=True))
    items = []
    for item in body.items:
        if isinstance(item, DialInItemIn):
            items.append(DialInItem(
                method="screen", bases=bases,
                red=[RedRow(base=r.base, kind=r.kind, quantity=str(r.quantity)) for r in item.rows],
                blue=[BlueRow(base=r.base, number=r.number, code=r.code) for r in item.reserved],
                red_options=[_options(r.options) for r in item.rows],
                blue_options=[_options(r.options) for r in item.reserved]))
        else:
            items.append(PortingItem(
                method="screen", bases=bases,
                ports=[PortRow(**p.model_dump(exclude={"options"})) for p in item.ports],
                remaining=item.remaining, remaining_rows=[RemainingRow(**r.model_dump()) for r in item.remaining_rows],
                port_options=[_options(p.options) for p in item.ports]))
    construction = body.construction
    schedule = Schedule(
        network=[NetworkRow(action=n.action, network=n.network, prefix=str(n.prefix)) for n in body.network_changes],
        date=construction.date, time=construction.time, reason=construction.reason,
        aml=AmlAnswers(**body.aml.model_dump()) if body.aml else None)
    contact, problems = _contact(body.contact)
    return ScheduledSpec(organisation=organisation, voice_group=contract.voice_group, contract=contract, items=items,
                         schedule=schedule, contact=contact, uploads_of=None), problems


def _site_url(request) -> str:
    return settings.PORTAL_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def orders_place(request, body) -> list[Order]:
    """Build the specification, check the contact, then place it (the same checks under the same
    locks as a wizard's 申し込む); every problem at once, as problem details."""
    spec, problems = (_immediate_spec if body.flow == Flow.IMMEDIATE else _scheduled_spec)(request, body)
    return spec_submit(request, spec, problems)


def spec_submit(request, spec, problems: list[dict], *, where=lambda errors: errors) -> list[Order]:
    """Place a specification; `problems` found while building it (the contact) are reported with
    the order's own; `where` places each problem (on a CSV line, for a file)."""
    if spec is None or (problems and spec.voice_group is None):
        raise _invalid(where(problems))
    try:
        if problems:  # the contact is wrong: still report the order's own problems with it
            raise _invalid(where(problems + _spec_problems(spec)))
        return spec_place(spec=spec, user=request.auth.user, site_url=_site_url(request))
    except ContentInvalid as exc:
        raise _invalid(where(problems + _problems_of(exc.content, flow=spec.flow))) from exc


def _spec_problems(spec) -> list[dict]:
    from orders.spec import immediate_check, scheduled_check

    if isinstance(spec, ImmediateSpec):
        content = immediate_check(spec)
        return [] if content.ok else _problems_of(content, flow=spec.flow)
    found = scheduled_check(spec)
    return _problems_of(Content(non_field=found.problems), flow=spec.flow)


# --- Order out -------------------------------------------------------------------------------------------

ITEMS_SHOWN = 1000


SUMMARY_FIELDS = ("request_id", "flow", "status", "contract__number", "kind_label", "channel", "submitted_at",
                  "scheduled_on", "activated_on", "error_code")


def _order_summary(order, kind_labels: dict | None = None, error_params: dict | None = None) -> dict:
    """An order (or a named row of SUMMARY_FIELDS, with `error_params`: request ID → the values of
    its reason) as the history lists it."""
    contract = order.contract.number if isinstance(order, Order) else order.contract__number
    kind = (kind_labels or dict(OrderKind.choices)).get(order.kind_label, order.kind_label)
    error = None
    if order.status == OrderStatus.ERROR and order.error_code:
        params = order.error_params if isinstance(order, Order) else (error_params or {}).get(order.request_id, {})
        error = {"code": order.error_code, "message": note_text(order.error_code, params), "params": params}
    return {
        "request_id": order.request_id, "flow": order.flow, "status": order.status,
        "status_label": status_label(flow=order.flow, status=order.status), "contract": contract,
        "kind_label": str(kind), "channel": order.channel, "submitted_at": order.submitted_at,
        "scheduled_on": order.scheduled_on, "activated_on": order.activated_on,
        "error": error,
    }


def order_out(order: Order) -> dict:
    items = list(order.items.select_related("base_number", "reservation_code").order_by("position")[:ITEMS_SHOWN])
    events = order.events.order_by("at", "id")
    request_id = order.request_id
    return {
        **_order_summary(order),
        "completion_due_on": order.completion_due_on, "completed_on": order.completed_on,
        "desired_time": order.desired_time, "desired_reason": order.desired_reason,
        "contact": {"name": order.contact_name, "department": order.contact_department,
                    "phone": order.contact_phone, "email": order.contact_email},
        "network_changes": order.network_changes, "details": order.details,
        "item_count": order.items.count() if len(items) == ITEMS_SHOWN else len(items),
        "items": [{
            "position": item.position, "base": item.base_number.number, "kind": item.kind, "quantity": item.quantity,
            "reserved_number": item.reserved_number,
            "reservation_code": item.reservation_code.code if item.reservation_code else "",
            "ported_number": item.ported_number, "port": item.port,
            "options": {name: getattr(item, name) for name in OPTION_FIELDS}} for item in items],
        # Numbers carry their order's request ID; none before activation, none kept by an エラー.
        "issued_count": (DialInNumber.objects.filter(source=order.request_id).count()
                         if order.status in (OrderStatus.ACTIVATED, OrderStatus.COMPLETED) else 0),
        "can_cancel": order.customer_can_cancel,
        "timeline": [{"at": e.at, "from_status": e.from_status or None, "status": e.to_status,
                      "status_label": status_label(flow=order.flow, status=e.to_status),
                      "code": e.note_code or e.to_status, "text": e.text} for e in events],
        "links": {
            "self": reverse("api:order_get", args=[request_id]),
            "numbers": reverse("api:order_numbers", args=[request_id]),
            "page": reverse("orders:order_detail", args=[request_id]),
        },
    }


def _order_of(request, request_id: str) -> Order:
    order = (Order.objects.select_related("contract").filter(organisation=request.auth.organisation,
                                                             request_id=request_id).first())
    if order is None:
        raise ApiError(404)
    return order


@openapi_patch
def _links_and_csv(operations: dict) -> None:
    """The numbers also come as text/csv; an order placed links to itself, its numbers and cancel
    (so a client, and Schemathesis's stateful run, can follow them)."""
    def response(operation: str, status: int) -> dict:
        responses = operations[operation]["responses"]
        return responses[status] if status in responses else responses[str(status)]

    response("orders_api_order_numbers", 200)["content"]["text/csv"] = {"schema": {"type": "string"}}
    order = "$response.body#/data/0/request_id"
    links = {
        "GetOrder": {"operationId": "orders_api_order_get", "parameters": {"request_id": order}},
        "GetOrderNumbers": {"operationId": "orders_api_order_numbers", "parameters": {"request_id": order}},
        "CancelOrder": {"operationId": "orders_api_order_cancel", "parameters": {"request_id": order}},
    }
    for name in ("orders_api_orders_create", "orders_api_orders_csv"):
        response(name, 201)["links"] = links


# --- Operations ---------------------------------------------------------------------------------------------

@router.post(idempotency_exempt("/eligibility"), response=responses({200: EligibilityOut}, 404, 415, 422),
             summary="The pre-order flowchart: which flow may take this order (E1–E8, B1)")
def eligibility(request, body: EligibilityIn):
    contract = (VoiceContract.objects.filter(voice_group__organisation=request.auth.organisation,
                                             number=body.contract).first())
    if contract is None:
        raise ApiError(404)
    decision = eligibility_check(contract=contract, wish=Wish(
        kinds=frozenset(body.kinds), porting=body.porting,
        special_options=bool({"specific_number_notification", "forwarding_specific_number"} & set(body.options))))
    if decision.flow == Flow.IMMEDIATE and decision.block:
        return {"flow": "scheduled", "rule": decision.block.rule, "reason": decision.block.reason,
                "blocked_by": decision.block.request_id}
    return {"flow": decision.flow, "rule": decision.rule, "reason": decision.reason}


@router.post("/orders", response=responses({201: OrdersOut}, 409, 413, 415, 422), url_name="orders_create",
             summary="Place an order (immediate or scheduled): one order per N番, all or nothing")
def orders_create(request, response: HttpResponse, body: OrderIn):
    orders = orders_place(request, body)
    response["Location"] = reverse("api:order_get", args=[orders[0].request_id])
    return Status(201, {"data": [order_out(o) for o in orders]})


class CsvOrderForm(Schema):
    """The fields beside the file: for the immediate flow the voice group (optional) and the
    contact; for the scheduled flow `order`, the JSON of a scheduled POST /orders whose item at index
    `item` (default: the last) takes the file's rows (a dial-in or a porting CSV, by the item's type)."""

    flow: Literal["immediate", "scheduled"] = "immediate"
    voice_group: str | None = Field(None, max_length=20)
    contact_name: str = Field("", max_length=200)
    contact_department: str = Field("", max_length=200)
    contact_phone: str = Field("", max_length=40)
    contact_email: str = Field("", max_length=254)
    order: str | None = Field(None, max_length=1_000_000, description="scheduled: the order as JSON")
    item: int | None = Field(None, ge=0, le=19, description="scheduled: the item the file fills")


def _file_problems(errors: list[tuple[int, str, str]]) -> ApiError:
    return _invalid([{"line": line or None, "field": column or None, "code": rule_of(message) or "invalid",
                      "message": message} for line, column, message in errors])


def _on_lines(prefix: str, lines, labels: dict[str, str]):
    """Problems of the file's rows (`<prefix><list>[i].<field>`) moved onto their CSV line and column."""
    pattern = re.compile(rf"^{re.escape(prefix)}(rows|reserved|ports)\[(\d+)\]\.?([a-z_0-9]*)")

    def where(errors: list[dict]) -> list[dict]:
        placed = []
        for error in errors:
            found = pattern.match(error.get("field") or "")
            if found:
                box, index, name = found.group(1), int(found.group(2)), found.group(3)
                line = lines(box, index)
                error = {**error, "line": line, "field": labels.get(name) or None}
            placed.append(error)
        return placed

    return where


@router.post("/orders/csv", response=responses({201: OrdersOut}, 409, 413, 415, 422), url_name="orders_csv",
             summary="Place an order from the screens' CSV file (same columns, UTF-8 or Shift_JIS), errors by line")
def orders_csv(request, response: HttpResponse, file: File[UploadedFile], form: Form[CsvOrderForm]):
    if file.size > csv_input.MAX_BYTES:
        raise _file_problems([(0, "", _("ファイルが大きすぎます（5MBまで）。"))])
    data = file.read()
    contact = ContactIn(name=form.contact_name, department=form.contact_department, phone=form.contact_phone,
                        email=form.contact_email)
    if form.flow == Flow.IMMEDIATE:
        rows = csv_input.csv_read(data)
        if rows.errors:
            raise _file_problems(rows.errors)
        spec, problems = _immediate_spec_of(request, voice_group=form.voice_group, contact=contact,
                                            red=rows.red, blue=rows.blue)
        boxes = {"rows": "red", "reserved": "blue"}
        where = _on_lines("", lambda box, i: rows.lines.get((boxes[box], i)), csv_input.FIELD_LABELS)
    else:
        try:
            body = ScheduledOrderIn.model_validate_json(form.order or "")
        except PydanticValidationError as exc:
            raise ApiError(422, errors=[{**e, "field": "order." + e["field"] if e["field"] else "order"}
                                        for e in validation_items(exc.errors())], slug="validation") from exc
        index = len(body.items) - 1 if form.item is None else form.item
        if not 0 <= index < len(body.items):
            raise _invalid([{"field": "item", "code": "invalid", "message": _(
                "CSV ファイルを入れるお申し込み内容（order の items）を指定してください。")}])
        spec, problems = _scheduled_spec(request, body)
        if spec is None:
            raise _invalid(problems)
        item = spec.items[index]
        if isinstance(item, PortingItem):
            ports = csv_input.port_csv_read(data, line_types={str(label): code for code, label in LINE_TYPES})
            if ports.errors:
                raise _file_problems(ports.errors)
            item.method, item.ports, item.port_options = "csv", ports.rows, [Options() for _r in ports.rows]
            where = _on_lines(f"items[{index}].", lambda box, i: ports.lines[i] if i < len(ports.lines) else None,
                              csv_input.PORT_FIELD_LABELS)
        else:
            rows = csv_input.csv_read(data)
            if rows.errors:
                raise _file_problems(rows.errors)
            item.method, item.red, item.blue = "csv", rows.red, rows.blue
            item.red_options, item.blue_options = [Options() for _r in rows.red], [Options() for _r in rows.blue]
            boxes = {"rows": "red", "reserved": "blue"}
            where = _on_lines(f"items[{index}].", lambda box, i: rows.lines.get((boxes.get(box, ""), i)),
                              csv_input.FIELD_LABELS)
    orders = spec_submit(request, spec, problems, where=where)
    response["Location"] = reverse("api:order_get", args=[orders[0].request_id])
    return Status(201, {"data": [order_out(o) for o in orders]})


@router.get("/orders", response=responses({200: OrderPage}, 422), summary="The history, newest first")
def orders_list(request, limit: int = Query(50, ge=1, le=MAX_LIMIT), cursor: str | None = Query(None, max_length=200),
                status: Literal["accepted", "in_construction", "activated", "completed", "cancelled", "error"] |
                None = None, contract: str | None = Query(None, max_length=20)):
    found = Order.objects.filter(organisation=request.auth.organisation)
    if status:
        found = found.filter(status=status)
    if contract:
        found = found.filter(contract__number=contract)
    if cursor:
        micros, request_id = cursor_decode(cursor, 2)
        if not isinstance(micros, int):
            raise ApiError(400, errors=[{"field": "cursor", "code": "invalid",
                                         "message": _("cursor が正しくありません。")}])
        after = dt.datetime.fromtimestamp(micros / 1_000_000, tz=dt.UTC)
        found = found.filter(TupleLessThan(Tuple(F("submitted_at"), F("request_id")), (after, str(request_id))))
    rows = list(found.order_by("-submitted_at", "-request_id").values_list(*SUMMARY_FIELDS, named=True)[:limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = (cursor_encode([round(last.submitted_at.timestamp() * 1_000_000), last.request_id])
                   if more and last else None)
    kind_labels = {value: str(label) for value, label in OrderKind.choices}
    # Built here to OrderPage's shape from plain rows, so rendered as it is (the schema documents it
    # and the schema tests check every answer against it).
    params = selectors.error_params_of([o.request_id for o in rows if o.status == "error" and o.error_code])
    return _render({"data": [_order_summary(o, kind_labels, params) for o in rows], "next_cursor": next_cursor})


@router.get("/orders/{request_id}", response=responses({200: OrderOut}, 404), url_name="order_get",
            summary="An order: everything ordered, its status, dates and timeline")
def order_get(request, request_id: str):
    state = selectors.order_state(organisation_id=request.auth.organisation_id, request_id=request_id)
    if state is None:
        raise ApiError(404)
    pk, status = state
    if status not in FINAL:
        return _json(order_out(_order_of(request, request_id)))
    # A finished order never changes again: its representation is kept (per language) and served
    # from the cache, checked against the cache's version in the same round trip.
    key = f"api:order:{pk}:{translation.get_language()}"
    found = cache.get_many([key, ORDER_CACHE_VERSION])
    version = found.get(ORDER_CACHE_VERSION, 0)
    kept = found.get(key)
    if kept and kept[0] == version:
        return HttpResponse(kept[1], content_type="application/json; charset=utf-8")
    response = _json(order_out(_order_of(request, request_id)))
    cache.set(key, (version, response.content), ORDER_CACHE_SECONDS)
    return response


FINAL = (OrderStatus.COMPLETED, OrderStatus.CANCELLED)
ORDER_CACHE_VERSION = "api:order:version"
ORDER_CACHE_SECONDS = 300


def _json(data: dict) -> HttpResponse:
    """An order rendered as the operation's schema would (validated, then the API's renderer)."""
    from portal.api import PortalRenderer

    shown = OrderOut.model_validate(data).model_dump(mode="python")
    return HttpResponse(PortalRenderer().render(None, shown, response_status=200),
                        content_type="application/json; charset=utf-8")


def _render(data: dict) -> HttpResponse:
    from portal.api import PortalRenderer

    return HttpResponse(PortalRenderer().render(None, data, response_status=200),
                        content_type="application/json; charset=utf-8")


def order_cache_forget(order_pk) -> None:
    """An order was saved (an operator's change in admin): its kept representations go."""
    cache.delete_many([f"api:order:{order_pk}:{code}" for code, _name in settings.LANGUAGES])


def orders_cache_bump() -> None:
    """Orders were changed in bulk (the demo clock went back): every kept representation goes."""
    try:
        cache.incr(ORDER_CACHE_VERSION)
    except ValueError:
        cache.set(ORDER_CACHE_VERSION, 1, None)


CSV_HEADER = ["request_id", "number", "kind", "base", "activated_on"]


@router.get("/orders/{request_id}/numbers", response=responses({200: IssuedPage}, 404, 422), url_name="order_numbers",
            summary="Numbers the order issued (JSON pages, or all as text/csv with Accept: text/csv)")
def order_numbers(request, request_id: str, limit: int = Query(200, ge=1, le=MAX_LIMIT),
                  cursor: str | None = Query(None, max_length=200)):
    order = _order_of(request, request_id)
    numbers = selectors.issued_numbers(order=order)
    if "text/csv" in request.headers.get("Accept", ""):
        rows = numbers.values_list("number", "kind", "base_number__number", "activated_on")

        def lines():
            yield ",".join(CSV_HEADER) + "\r\n"
            for number, kind, base, day in rows.iterator(chunk_size=5000):
                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="\r\n").writerow(
                    [request_id, number, kind, base, day.isoformat() if day else ""])
                yield buffer.getvalue()

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="issued-numbers-{request_id}.csv"'
        return response
    if cursor:
        (after,) = cursor_decode(cursor, 1)
        numbers = numbers.filter(number__gt=str(after))
    rows = list(numbers.select_related("base_number")[:limit + 1])
    more, rows = len(rows) > limit, rows[:limit]
    return {"data": [{"number": d.number, "kind": d.kind, "base": d.base_number.number, "activated_on": d.activated_on}
                     for d in rows], "next_cursor": cursor_encode([rows[-1].number]) if more else None}


@router.post("/orders/{request_id}/cancel", response=responses({200: OrderOut}, 404, 409, 422),
             summary="Cancel a scheduled order before its construction date, or an order in error (as the screen "
                     "allows)")
def order_cancel(request, request_id: str):
    order = _order_of(request, request_id)
    if not order.customer_can_cancel:
        raise ApiError(409, _(
            "このお申し込みはキャンセルできません（工事日指定のお申し込みは工事日の前日まで、"
            "エラーのお申し込みはいつでもキャンセルできます）。"),
            slug="not-cancellable")
    if not status.order_cancel(order=order, actor=OrderEvent.Actor.CUSTOMER, user=request.auth.user):
        order.refresh_from_db()
        if order.status != "cancelled":
            raise ApiError(409, _("このお申し込みは状態が変わったため、キャンセルできません。"), slug="not-cancellable")
    order.refresh_from_db()
    return order_out(order)


@router.post("/attachments", response=responses({201: AttachmentOut}, 409, 413, 415, 422),
             summary="Upload the AML form (取引時確認記録登録申込書), checked as on screen; use its id in "
                     "aml.attachment within an hour")
def attachment_create(request, file: File[UploadedFile]):
    try:
        attachment = attachment_store(upload=file, user=request.auth.user, draft=None)
    except DjangoValidationError as exc:
        raise ApiError(422, errors=[{"field": "file", "code": "invalid", "message": m} for m in exc.messages]) from exc
    return Status(201, {"id": str(attachment.pk), "name": attachment.original_name, "size": attachment.size,
                 "sha256": attachment.sha256, "uploaded_at": attachment.uploaded_at})


@router.post("/test-helpers/reservation-codes", response=responses({201: ReservationCodeOut}, 403, 404, 409, 422),
             summary="Demo mode only: a reservation code for free numbers on an N番, as an operator makes one")
def reservation_code_create(request, body: ReservationCodeIn):
    if not settings.PORTAL_DEMO_MODE:
        raise ApiError(403, _("テスト用の操作はデモモードでのみ使えます。"), slug="demo-only")
    contract = (VoiceContract.objects.filter(voice_group__organisation=request.auth.organisation,
                                             number=body.contract).first())
    if contract is None:
        raise ApiError(404)
    bases = BaseNumber.objects.filter(contract=contract).order_by("number")
    base = bases.filter(number=phone.normalise(body.base)).first() if body.base else bases.first()
    if base is None:
        raise ApiError(422, errors=[{"field": "base", "code": "not_found", "message": _("基本契約番号がありません。")}])
    kind, area = stock_pool(base_number=base, kind=body.kind)
    numbers = list(StockNumber.objects.filter(kind=kind, area_code=area).order_by("number")
                   .values_list("number", flat=True)[:body.count])
    if len(numbers) < body.count:
        raise ApiError(409, _("在庫の番号が足りません。"), slug="insufficient-stock")
    try:
        code = reservation_code_issue(contract=contract, numbers=numbers,
                                      expires_at=clock.now() + dt.timedelta(days=body.expires_in_days))
    except DjangoValidationError as exc:
        raise ApiError(409, " ".join(exc.messages), slug="stock-changed") from exc
    return Status(201, {"code": code.code, "contract": contract.number, "expires_at": code.expires_at,
                 "numbers": list(ReservedNumber.objects.filter(code=code).order_by("number")
                                 .values_list("number", flat=True))})



@router.post("/test-helpers/orders/{request_id}/retry", response=responses({200: OrderOut}, 403, 404, 409, 422),
             summary="Demo mode only: retry an order in error, as an operator does in admin "
                     "(エラーのお申し込みを再実行する)")
def order_retry_helper(request, request_id: str):
    if not settings.PORTAL_DEMO_MODE:
        raise ApiError(403, _("テスト用の操作はデモモードでのみ使えます。"), slug="demo-only")
    order = _order_of(request, request_id)
    if order.status != OrderStatus.ERROR or not activation.order_retry(
            order_id=order.pk, actor=OrderEvent.Actor.OPERATOR, user=None):
        raise ApiError(409, _("エラーのお申し込みだけを再実行できます。"), slug="not-in-error")
    order.refresh_from_db()
    return order_out(order)
