import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, IntegerField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from numbering.models import DialInNumber
from orders.models import Attachment, Draft, LeadTime, Order, OrderEvent, SentMail
from portal.models import Organisation

HISTORY_COUNT_CAP = 1000  # counted exactly up to here; beyond, the history says "1,000件以上"


@dataclass(frozen=True)
class HistoryPage:
    """One page of お申し込み履歴, newest first, found by seek (never by OFFSET): every page costs
    the same, the last one too. Cursors name the row to continue after or before."""

    orders: list  # HISTORY_FIELDS, as named rows
    count: int                  # at most HISTORY_COUNT_CAP + 1
    newer: str | None = None    # cursor of the page before (newer orders), if any
    older: str | None = None    # cursor of the page after (older orders), if any

    @property
    def count_capped(self) -> bool:
        return self.count > HISTORY_COUNT_CAP


HISTORY_FIELDS = ("request_id", "submitted_at", "contract__number", "scheduled_on", "kind_label", "channel", "flow",
                  "status", "activated_on", "error_code")


def error_params_of(request_ids: list[str]) -> dict[str, dict]:
    """The values of the reasons of these orders in エラー (a list's few: read apart, so a page of
    orders that moved on never decodes them)."""
    if not request_ids:
        return {}
    return dict(Order.objects.filter(request_id__in=request_ids).values_list("request_id", "error_params"))


def history_cursor(order) -> str:
    micros = int(order.submitted_at.timestamp() * 1_000_000)
    return f"{micros}_{order.request_id}"


def _cursor_key(cursor: str) -> tuple[dt.datetime, str] | None:
    micros, _sep, request_id = cursor.partition("_")
    if not (micros.isascii() and micros.isdigit() and len(micros) <= 17 and request_id.isascii()
            and request_id.replace("-", "").isalnum() and len(request_id) <= 20):
        return None
    return dt.datetime.fromtimestamp(int(micros) / 1_000_000, tz=dt.UTC), request_id


def history_page(*, organisation: Organisation, after: str = "", before: str = "", last: bool = False,
                 size: int = 50) -> HistoryPage:
    """The page after cursor `after` (older orders), before cursor `before` (newer ones), the last
    page, or the first. One query: the page (on order_history_keyset_idx) with the capped count
    beside each row (a second one only for a page with no rows)."""
    base = Order.objects.filter(organisation=organisation)
    capped_count = RawSQL(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {Order._meta.db_table} WHERE organisation_id = %s LIMIT %s) capped",
        (organisation.pk, HISTORY_COUNT_CAP + 1), output_field=IntegerField())
    # What the rows show, as named rows (no model instances).
    shown = base.annotate(total=capped_count).values_list(*HISTORY_FIELDS, "total", named=True)
    key = (Tuple(F("submitted_at"), F("request_id")),)
    newest_first = ("-submitted_at", "-request_id")
    oldest_first = ("submitted_at", "request_id")
    after_key, before_key = _cursor_key(after) if after else None, _cursor_key(before) if before else None
    if after_key:
        rows = list(shown.filter(TupleLessThan(*key, after_key)).order_by(*newest_first)[:size + 1])
        more_older, more_newer = len(rows) > size, True
        rows = rows[:size]
    elif before_key or last:
        query = shown.filter(TupleGreaterThan(*key, before_key)) if before_key else shown
        rows = list(query.order_by(*oldest_first)[:size + 1])
        more_newer, more_older = len(rows) > size, bool(before_key)
        rows = rows[:size][::-1]
    else:
        rows = list(shown.order_by(*newest_first)[:size + 1])
        more_older, more_newer = len(rows) > size, False
        rows = rows[:size]
    count = rows[0].total if rows else base.order_by()[:HISTORY_COUNT_CAP + 1].count()
    return HistoryPage(orders=rows, count=count,
                       newer=history_cursor(rows[0]) if rows and more_newer else None,
                       older=history_cursor(rows[-1]) if rows and more_older else None)


def orders_recent(*, organisation: Organisation, count: int = 5) -> list[Order]:
    """The dashboard's recent orders (the guide's third way to a request ID)."""
    return list(Order.objects.filter(organisation=organisation).select_related("contract")
                .order_by("-submitted_at", "-request_id")[:count])


@dataclass(frozen=True)
class Activity:
    at: object
    kind: str          # "event" (the network moved an order) or "mail" (a mail went out)
    request_id: str
    text: str


def activity(*, organisation: Organisation, count: int = 8) -> list[Activity]:
    """What the simulated network did lately for this organisation, newest first: activations
    and completions with their issued counts, and the e-mails it delivered. For presenters."""
    events = (OrderEvent.objects.filter(order__organisation=organisation)
              .exclude(actor=OrderEvent.Actor.CUSTOMER).select_related("order").order_by("-at", "-id")[:count])
    mails = (SentMail.objects.filter(organisation=organisation, delivered_at__isnull=False)
             .select_related("order").order_by("-delivered_at", "-id")[:count])
    shown = [Activity(e.at, "event", e.order.request_id,
                      f"{e.get_to_status_display()}: {e.text}" if e.text else e.get_to_status_display())
             for e in events]
    shown += [Activity(m.delivered_at, "mail", m.order.request_id, m.get_kind_display()) for m in mails]
    return sorted(shown, key=lambda a: a.at, reverse=True)[:count]


def history_row(*, organisation: Organisation, request_id: str):
    """One order as a history row (HISTORY_FIELDS), for a row that refreshes itself."""
    row = (Order.objects.filter(organisation=organisation, request_id=request_id)
           .values_list(*HISTORY_FIELDS, named=True).first())
    if row is None:
        raise Http404
    return row


def order_contents(*, order: Order, rows: int = 100) -> dict:
    """Everything the order asked for, for reading (the customer's order page and the operator's):
    its first `rows` rows with their options, ported numbers with their details and the remaining
    number (残置番号) with its table, and the AML answers."""
    from orders.scheduled_checks import options_summary
    from orders.state import PortRow, load

    items = list(order.items.select_related("base_number", "reservation_code").order_by("position")[:rows])
    ports = [load(PortRow, {**item.port, "base": item.base_number.number, "number": item.ported_number})
             for item in items if item.ported_number]
    porting = (order.details.get("porting") or [{}])[0] if ports else {}
    return {
        "items": [{"item": item, "options": options_summary(item.options)} for item in items],
        "item_count": order.items.count() if len(items) == rows else len(items),
        "ports": ports, "remaining": porting.get("remaining", ""),
        "remaining_rows": porting.get("remaining_rows", []), "aml": order.details.get("aml") or {},
    }


def order_get(*, organisation: Organisation, request_id: str) -> Order:
    return get_object_or_404(
        Order.objects.select_related("contract__voice_group"),
        organisation=organisation, request_id=request_id,
    )


def issued_numbers(*, order: Order) -> QuerySet[DialInNumber]:
    """The numbers this order issued (払い出し番号), by the request ID they carry."""
    return DialInNumber.objects.filter(
        source=order.request_id, base_number__contract__voice_group__organisation=order.organisation
    ).order_by("number")


def draft_expiry() -> dt.datetime:
    """Drafts untouched since before this (real time, Draft.touched_at) have expired
    (PORTAL_DRAFT_DAYS). The demo clock does not count: moving it never ends a wizard in use."""
    return timezone.now() - dt.timedelta(days=settings.PORTAL_DRAFT_DAYS)


def drafts_open(*, organisation: Organisation) -> QuerySet[Draft]:
    """Unfinished, unexpired drafts (作成中) of the organisation."""
    return Draft.objects.filter(
        organisation=organisation, submitted_at__isnull=True, touched_at__gte=draft_expiry(),
    ).select_related("voice_group", "created_by")


def draft_attachment(*, draft: Draft, attachment_id: str) -> Attachment | None:
    """A file uploaded in this draft (the AML form), if it is still there."""
    return Attachment.objects.filter(pk=attachment_id or None, draft=draft).first()


def lead_times() -> QuerySet[LeadTime]:
    """標準納期, as operators set them."""
    return LeadTime.objects.all()


def draft_orders(*, draft: Draft) -> QuerySet[Order]:
    """The orders a submitted draft placed (one per N番)."""
    return Order.objects.filter(draft_id=draft.pk, organisation=draft.organisation).select_related(
        "contract").order_by("request_id")


def order_state(*, organisation_id: int, request_id: str) -> tuple | None:
    """(pk, status) of the organisation's order, or None: the API's hottest read, one indexed row
    by plain SQL (no model, no ORM compilation)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, status FROM {Order._meta.db_table} WHERE request_id = %s AND organisation_id = %s",
                       [request_id, organisation_id])
        row = cursor.fetchone()
    return (uuid.UUID(str(row[0])), row[1]) if row else None  # SQLite gives the UUID as text
