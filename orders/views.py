"""Customer order screens."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from numbering import selectors as numbering_selectors
from orders import selectors, status
from orders.attachments import stored_path
from orders.eligibility import eligibility_check
from orders.forms import PrecheckForm
from orders.mail import mail_html_response
from orders.models import Attachment, Flow, OrderEvent, OrderKind, SentMail, note_text, poll_every, status_label
from portal import clock
from portal.formats import strftime_pattern
from portal.models import WorkerHeartbeat
from portal.views import customer_required

FLOWCHART = [
    ("E1", gettext_noop("メンバーズネットを契約中である。")),
    ("E2", gettext_noop("IP Voice(Smart PBX)をご利用中で、0AJ番号を使うのは初めてですか。")),
    ("E3", gettext_noop("番号ポータビリティで、他社で利用中の番号をダイヤルイン番号に追加したい。")),
    ("E4", gettext_noop("IP Voice(Universal One)のクラウドプラン、IP Voiceワイヤレス、IP Voice(Smart PBX)を"
           "ご利用中で、0AJダイヤルイン番号を追加したい。")),
    ("E5", gettext_noop("追加するダイヤルイン番号で、特定番号通知または転送先特定番号を利用したい。")),
    ("E6", gettext_noop("申込契約番号(N番)で0AJ番号を使うのは初めてですか。")),
    ("E8", gettext_noop("選択した基本契約番号の代表が1,000番号を越える。")),
]


@require_GET
@customer_required
def change_menu(request: HttpRequest) -> HttpResponse:
    """追加/変更のお申し込み: the two ways to order, and the check before ordering."""
    return render(request, "orders/change_menu.html", {"nav": "ipvoice"})


def _precheck_context(request: HttpRequest) -> dict:
    form = PrecheckForm(request.GET or None, organisation=request.user.organisation)
    decision = None
    steps: list[tuple[str, str, bool]] = []
    if form.is_bound and form.is_valid():
        decision = eligibility_check(contract=form.cleaned_data["contract"], wish=form.wish())
        # The flowchart as the customer walks it: "いいえ" until the rule that decided.
        for rule, question in FLOWCHART:
            steps.append((rule, _(question), rule == decision.rule))
            if rule == decision.rule:
                break
    return {"form": form, "decision": decision, "steps": steps, "Flow": Flow, "nav": "ipvoice"}


@require_GET
@customer_required
def precheck(request: HttpRequest) -> HttpResponse:
    """お申し込みの前にご確認ください: the flowchart, answered from contract data and the form."""
    return render(request, "orders/precheck.html", _precheck_context(request))


@require_GET
@customer_required
def precheck_decision(request: HttpRequest) -> HttpResponse:
    """The decision alone, for htmx; a plain GET of the full page gives the same answer."""
    context = _precheck_context(request)
    status = 422 if context["form"].is_bound and not context["form"].is_valid() else 200
    return render(request, "orders/precheck.html#decision", context, status=status)


HISTORY_PAGE_SIZE = 50
ISSUED_PAGE_SIZE = 100
SERVICE_FILTERS = {"": gettext_lazy("全て"), "ipvoice": "Arcstar IP Voice"}


@require_GET
@customer_required
def history(request: HttpRequest) -> HttpResponse:
    """お申し込み履歴: the organisation's orders, newest first."""
    service = request.GET.get("service", "")
    if service not in SERVICE_FILTERS:
        service = ""
    # Every order here is an Arcstar IP Voice order; the filter is the guide's, kept for parity.
    page = selectors.history_page(organisation=request.user.organisation, after=request.GET.get("after", ""),
                                  before=request.GET.get("before", ""), last=request.GET.get("last") == "1",
                                  size=HISTORY_PAGE_SIZE)
    query = {"service": service} if service else {}
    return render(request, "orders/history.html", {
        "page": page, "rows": history_rows(page.orders), "row_labels": history_row_labels(),
        "service": service, "services": SERVICE_FILTERS,
        "nav": "history",
        "cap": selectors.HISTORY_COUNT_CAP,
        "newest_url": "?" + urlencode(query), "oldest_url": "?" + urlencode({**query, "last": "1"}),
        "newer_url": "?" + urlencode({**query, "before": page.newer}) if page.newer else "",
        "older_url": "?" + urlencode({**query, "after": page.older}) if page.older else "",
    })


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs 50 rows a page noticeably
class HistoryRow:
    """One history row as the template shows it: texts and links, worked out once per page."""

    submitted: str
    request_id: str
    contract: str
    scheduled: str
    kind: str
    sales: bool
    status: str
    status_label: str
    detail_url: str
    contract_url: str
    numbers_url: str   # "" until the order is activated (sales orders: never)
    progress_url: str  # "" once the order is final
    poll_every: str
    error: str         # why it is in エラー ('' otherwise)


def history_row_labels() -> dict[str, str]:
    return {"sales": _("営業経由変更申込"), "on_demand": _("オンデマンド設定"), "numbers": _("払い出し番号 詳細")}


def history_rows(orders: list) -> list[HistoryRow]:
    """The history's rows, 50 at a time: links from one reverse() per kind, dates in the portal's
    time zone, labels translated once per page (the template writes the HTML and escapes)."""
    detail_url, numbers_url = url_maker("orders:order_detail"), url_maker("orders:issued_numbers")
    progress_url = url_maker("orders:order_progress")
    contract_url = url_maker("portal:contract_detail")
    labels: dict[tuple[str, str], str] = {}
    kinds = dict(OrderKind.choices)
    zone = timezone.get_current_timezone()
    when, day = strftime_pattern("DATETIME_FORMAT"), strftime_pattern("DATE_FORMAT")
    rows = []
    params = selectors.error_params_of([o.request_id for o in orders if o.status == "error" and o.error_code])
    for o in orders:
        key = (o.flow, o.status)
        if key not in labels:
            labels[key] = status_label(flow=o.flow, status=o.status)
        every = poll_every(flow=o.flow, status=o.status)
        rows.append(HistoryRow(
            submitted=o.submitted_at.astimezone(zone).strftime(when), request_id=o.request_id,
            contract=o.contract__number, scheduled=o.scheduled_on.strftime(day) if o.scheduled_on else "-",
            kind=kinds.get(o.kind_label) or o.kind_label, sales=o.channel == "sales", status=o.status,
            status_label=labels[key], detail_url=detail_url(o.request_id),
            contract_url=contract_url(o.contract__number),
            numbers_url=numbers_url(o.request_id) if o.activated_on and o.flow != Flow.SALES else "",
            progress_url=progress_url(o.request_id) if every else "", poll_every=every or "",
            error=note_text(o.error_code, params.get(o.request_id, {})) if o.request_id in params else ""))
    return rows


def url_maker(name: str) -> Callable[[str], str]:
    """A page's links to one view for many rows: reversed once, filled per row."""
    marker = "00MARKER00"
    head, _sep, tail = reverse(name, args=[marker]).partition(marker)
    return lambda value: head + quote(str(value), safe="") + tail


@require_GET
@customer_required
def order_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    """お申し込み内容: everything ordered, read-only: rows with their options, ported numbers with
    their details and the remaining number, NW address changes, AML answers, contact."""
    order = selectors.order_get(organisation=request.user.organisation, request_id=request_id)
    return render(request, "orders/order_detail.html", {
        **_detail_progress(order), **selectors.order_contents(order=order), "nav": "history"})


def _detail_progress(order) -> dict:
    """What of the order page changes as the order moves: its dates and status, the issued
    numbers and the timeline."""
    return {
        "order": order, "events": order.events.select_related("user"), "aml": order.details.get("aml") or {},
        "issued_count": selectors.issued_numbers(order=order).count() if order.activated_on else 0,
    }


@require_GET
@customer_required
def order_progress(request: HttpRequest, request_id: str) -> HttpResponse:
    """An order's progress for a page that shows it live (受付済 → 工事中 → 工事了, the issued-number
    link appearing): the history's row (as=row), the order page's status and timeline (as=detail)
    or a status cell (as=cell, the accepted page). Each answer polls again only while the order
    still moves; a final one stops the polling."""
    organisation = request.user.organisation
    shape = request.GET.get("as", "cell")
    if shape == "row":
        row = selectors.history_row(organisation=organisation, request_id=request_id)
        return render(request, "orders/history_rows.jinja", {"rows": history_rows([row]),
                                                              "labels": history_row_labels()})
    order = selectors.order_get(organisation=organisation, request_id=request_id)
    if shape == "detail":
        context = _detail_progress(order)
        return HttpResponse(render_to_string("orders/order_detail.html#summary", context, request)
                            + render_to_string("orders/order_detail.html#progress", {**context, "oob": True}, request))
    return render(request, "orders/_progress_cell.html", {"order": order})


@require_GET
@customer_required
def mailbox(request: HttpRequest) -> HttpResponse:
    """送信メール (demo): what the simulator sent to this organisation's contacts."""
    if not settings.PORTAL_DEMO_MAILBOX:
        raise Http404
    mails = SentMail.objects.filter(organisation=request.user.organisation).select_related("order")
    page = Paginator(mails, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "orders/mailbox.html", {"page": page, "nav": "mail"})


@require_GET
@customer_required
def mail_detail(request: HttpRequest, mail_id: int) -> HttpResponse:
    if not settings.PORTAL_DEMO_MAILBOX:
        raise Http404
    mail = get_object_or_404(SentMail.objects.select_related("order"), pk=mail_id,
                             organisation=request.user.organisation)
    return render(request, "orders/mail_detail.html", {"mail": mail, "nav": "mail"})


@require_GET
@customer_required
def mail_html(request: HttpRequest, mail_id: int) -> HttpResponse:
    """送信メール's HTML part, for the sandboxed frame of its page (entry ② of the guide: the
    history link in the acceptance e-mail can be followed from here)."""
    if not settings.PORTAL_DEMO_MAILBOX:
        raise Http404
    return mail_html_response(get_object_or_404(SentMail, pk=mail_id, organisation=request.user.organisation))


@require_GET
@vary_on_headers("HX-Request")
@customer_required
def issued_numbers(request: HttpRequest, request_id: str) -> HttpResponse:
    """払い出し番号: an htmx modal (paged) or, without JavaScript, a page of its own."""
    order = selectors.order_get(organisation=request.user.organisation, request_id=request_id)
    page = Paginator(selectors.issued_numbers(order=order), ISSUED_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"order": order, "page": page, "nav": "history"}
    if request.htmx:
        return render(request, "orders/issued_numbers.html#modal", context)
    return render(request, "orders/issued_numbers.html", context)


@require_GET
@customer_required
def issued_numbers_csv(request: HttpRequest, request_id: str) -> StreamingHttpResponse:
    """Every issued number of the order as CSV (UTF-8 with BOM, so Excel opens it)."""
    order = selectors.order_get(organisation=request.user.organisation, request_id=request_id)
    rows = selectors.issued_numbers(order=order).values_list("number", "kind", "base_number__number", "activated_on")

    def lines():
        yield "\ufeff" + _csv_line(["リクエストID", "ダイヤルイン番号", "番号種別", "基本契約番号", "開通日"])
        for number, kind, base, day in rows.iterator(chunk_size=5000):
            yield _csv_line([order.request_id, number, kind, base, day.isoformat() if day else ""])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="issued-numbers-{order.request_id}.csv"'
    return response


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


@require_POST
@customer_required
def order_cancel(request: HttpRequest, request_id: str) -> HttpResponse:
    """A customer cancels a scheduled order before its construction date."""
    order = selectors.order_get(organisation=request.user.organisation, request_id=request_id)
    if not order.customer_can_cancel:
        messages.error(request, _(
            "このお申し込みはキャンセルできません（工事日指定のお申し込みを、工事日の前日までキャンセルできます）。"))
    elif status.order_cancel(order=order, actor=OrderEvent.Actor.CUSTOMER, user=request.user):
        messages.success(request, _("お申し込み（リクエストID %(id)s）をキャンセルしました。")
                         % {"id": order.request_id})
    return redirect("orders:order_detail", request_id=order.request_id)


@require_GET
@login_required
def attachment_download(request: HttpRequest, attachment_id) -> FileResponse:
    """An uploaded document: operators, or a member of the owning organisation; nobody else."""
    user = request.user
    attachment = get_object_or_404(Attachment, pk=attachment_id)
    if not user.is_staff and attachment.organisation_id != user.organisation_id:
        raise Http404
    response = FileResponse(stored_path(attachment).open("rb"), as_attachment=True,
                            filename=attachment.original_name, content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@customer_required
def aml_form(request: HttpRequest) -> HttpResponse:
    """取引時確認記録登録申込書 (様式): a printable form to fill in, sign and upload."""
    return render(request, "orders/aml_form.html", {"organisation": request.user.organisation})


# --- The dashboard (it spans every app, so it lives in the top one) ---------------------------

@require_GET
@customer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    organisation = request.user.organisation
    if request.GET.get("part") == "activity":
        return render(request, "portal/dashboard.html#activity",
                      {"activity": selectors.activity(organisation=organisation)})
    groups = numbering_selectors.voice_groups_for(organisation=organisation)
    beats = {b.name: b for b in WorkerHeartbeat.objects.filter(name__in=("worker", "scheduler"))}
    heartbeat = beats.get("worker")
    # The worker's heartbeat is a task the scheduler sends: fresh only when both run. The
    # scheduler writes its own, so the page can say which one stopped.
    worker_alive = bool(heartbeat and (clock.now() - heartbeat.seen_at).total_seconds() < 120)
    scheduler = beats.get("scheduler")
    scheduler_alive = bool(scheduler and (clock.now() - scheduler.seen_at).total_seconds() < 120)
    drafts = selectors.drafts_open(organisation=organisation).count()
    return render(
        request,
        "portal/dashboard.html",
        {"organisation": organisation, "groups": groups, "worker_alive": worker_alive,
         "scheduler_alive": scheduler_alive,
         "heartbeat": heartbeat, "drafts": drafts,
         "recent": selectors.orders_recent(organisation=organisation),
         "activity": selectors.activity(organisation=organisation)},
    )


@require_GET
@customer_required
def ipvoice_menu(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/ipvoice_menu.html")
