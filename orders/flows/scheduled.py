"""The scheduled wizard (ダイヤルイン番号の追加申込【工事日を指定するお申し込み】).

Steps: agreement (privacy policy and 重要事項説明) → N番 → the order content menu
(お申し込み内容選択メニュー), from which the dial-in addition sub-wizard (base numbers → content →
options → confirm → 保存) is opened, changed or removed → other confirmations and the desired
date → contact → confirm → accepted. The draft row holds it all, as in the immediate wizard.
"""

import dataclasses
import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from numbering import phone
from numbering import selectors as numbering_selectors
from orders import csv_input, drafts, placement, rules, selectors
from orders.attachments import EXTENSIONS, attachment_store
from orders.content import content_check
from orders.eligibility import Wish, eligibility_check
from orders.flows import shared
from orders.flows.framework import Precondition, Step, draft_view
from orders.forms import (
    NW_ROWS_MAX,
    SCREEN_ROWS_MAX,
    ContractChoiceForm,
    CsvUploadForm,
    NetworkRowFormSet,
    OptionsForm,
    PortRowFormSet,
    RemainingRowFormSet,
    RowAction,
    ScheduleForm,
    posted_rows,
)
from orders.lead_times import earliest_date
from orders.models import Draft, Flow
from orders.scheduled_checks import (
    LINE_TYPES,
    aml_applies,
    network_rows_check,
    o4_unlinked,
    options_clean,
    parse_date,
    porting_rows_check,
    schedule_check,
)
from orders.state import (
    AmlAnswers,
    BlueRow,
    DialInItem,
    Editing,
    Item,
    NetworkRow,
    Options,
    PortingItem,
    PortRow,
    RedRow,
    RemainingRow,
    dump,
    option_at,
)
from portal import business_days, clock, uploads
from portal.views import customer_required, site_url

# The sub-wizard of an item, as the guide draws it; with the CSV method the file replaces 2–3.
SUB_STEPS = {1: gettext_noop("お申し込み方法"), 2: gettext_noop("番号の選択"), 3: gettext_noop("お申し込み内容"),
             4: gettext_noop("付加機能"), 5: gettext_noop("お申し込み内容の確認")}
PORT_SUB_STEPS = {**SUB_STEPS, 3: gettext_noop("番号ポータビリティの内容")}
CSV_SUB_STEPS = {1: SUB_STEPS[1], 2: gettext_noop("CSVファイルの指定"), 4: SUB_STEPS[4], 5: SUB_STEPS[5]}
OPTION_INPUTS = ("message_box", "anonymous_call_rejection", "nuisance_call_rejection", "notification_on",
                 "specific_number_notification", "forwarding_on", "forwarding_specific_number")


def _context(draft: Draft, step: int, **extra) -> dict:
    return {"draft": draft, "step": step, "steps": STEPS, "step_title": dict(STEPS)[step],
            "group": draft.voice_group, "nav": "ipvoice", **extra}


def _first_unfinished(draft: Draft) -> int:
    return min(draft.step_done + 1, 6)


def _go(draft: Draft, step: int) -> HttpResponse:
    return redirect("orders:scheduled_step", draft_id=draft.pk, step=step)


# --- Entry ------------------------------------------------------------------------------------

@require_GET
@customer_required
def scheduled_start(request: HttpRequest) -> HttpResponse:
    """新たな申込 → 音声グループIDを選択してください. From the pre-order check (?contract=N番) only
    that N番's group is offered, and the N番 is carried into the draft (not asked again)."""
    groups = numbering_selectors.voice_groups_for(organisation=request.user.organisation)
    carried = _orderable_contract(request, request.GET.get("contract", ""))
    if carried is not None:
        groups = [g for g in groups if g.pk == carried.voice_group_id]
    return render(request, "orders/scheduled/group_select.html", {"groups": groups, "carried": carried,
                                                                    "nav": "ipvoice"})


def _orderable(contract) -> tuple[bool, object]:
    """Can anything be ordered on this N番 here? Nothing is wanted yet: refused only if no content
    at all could be; E2 (Smart PBX, 0AJ never used) refuses 0AJ content later, not the contract."""
    decision = eligibility_check(contract=contract, wish=Wish())
    oaj = eligibility_check(contract=contract, wish=Wish(kinds=frozenset({phone.KIND_0AJ})))
    return decision.flow != Flow.SALES, (oaj if oaj.rule == "E2" else decision)


def _orderable_contract(request: HttpRequest, number: str):
    contract = numbering_selectors.contracts_for(organisation=request.user.organisation).filter(
        number=number.strip()).first() if number.strip() else None
    return contract if contract is not None and _orderable(contract)[0] else None


@require_POST
@customer_required
def scheduled_new(request: HttpRequest, group_id: str) -> HttpResponse:
    group = numbering_selectors.voice_group_get(organisation=request.user.organisation, group_id=group_id)
    draft = shared.draft_start(request, group=group, flow=Flow.SCHEDULED)
    carried = _orderable_contract(request, request.POST.get("contract", ""))
    if carried is not None and carried.voice_group_id == group.pk:
        drafts.draft_save(draft=draft, contract=carried)
    return _go(draft, 1)


# --- Main steps -----------------------------------------------------------------------------

def _first_unfinished_url(draft: Draft, _kwargs: dict | None = None) -> str:
    return reverse("orders:scheduled_step", args=[draft.pk, _first_unfinished(draft)])


def resume_url(draft: Draft) -> str:
    """再開: the open item's first unfinished sub-step, else the first unfinished step."""
    if draft.editing is not None:
        return reverse("orders:scheduled_item", args=[draft.pk, draft.editing.first_unfinished()])
    return _first_unfinished_url(draft)


# Preconditions (named; see orders.flows.framework).
STEP_IN_ORDER = Precondition(
    "no step before the one before it is unfinished",
    met=lambda draft, kw: kw["step"] in STEP_VIEWS and kw["step"] <= _first_unfinished(draft),
    target=_first_unfinished_url)
NO_ITEM_OPEN = Precondition(
    "no order item open, except on the menu (保存 or discard it first)",
    met=lambda draft, kw: not draft.editing or kw["step"] == 3,
    target=lambda draft, kw: reverse("orders:scheduled_item", args=[draft.pk, 1]))
ITEM_OPEN = Precondition(
    "an order item is open (opened from the menu)",
    met=lambda draft, kw: draft.step_done >= 2 and draft.editing is not None,
    target=lambda draft, kw: reverse("orders:scheduled_step", args=[draft.pk, min(_first_unfinished(draft), 3)]))
SUB_STEP_IN_ORDER = Precondition(
    "no sub-step of the item before the one before it is unfinished; with CSV the file replaces 2–3",
    met=lambda draft, kw: kw["sub"] in SUB_STEPS and kw["sub"] <= draft.editing.done + 1
    and not (kw["sub"] == 3 and draft.editing.item.method == Draft.Method.CSV),
    target=lambda draft, kw: reverse("orders:scheduled_item", args=[draft.pk, draft.editing.first_unfinished()]))
SCREEN_METHOD_CHOSEN = Precondition(
    "an item is open and its お申し込み方法 is 画面から入力",
    met=lambda draft, kw: draft.step_done >= 2 and draft.editing is not None and draft.editing.done >= 1
    and draft.editing.item.method == Draft.Method.SCREEN,
    target=lambda draft, kw: resume_url(draft))


@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.SCHEDULED, preconditions=(NO_ITEM_OPEN, STEP_IN_ORDER))
def scheduled_step(request: HttpRequest, draft: Draft, step: int) -> HttpResponse:
    return STEP_VIEWS[step](request, draft)


def _agreement(request: HttpRequest, draft: Draft) -> HttpResponse:
    def agreed(draft: Draft) -> HttpResponse:
        if draft.contract_id and draft.step_done < 2:  # carried from the pre-order check
            drafts.draft_save(draft=draft, finished=2, agreed=True)
            return _go(draft, 3)
        drafts.draft_save(draft=draft, finished=1, agreed=True)
        return _go(draft, 2)

    return shared.agreement_step(
        request, draft, template="orders/scheduled/step1_agreement.html", context=_context(draft, 1), then=agreed,
        label=_("お申し込みにあたってのご確認内容（プライバシーポリシー、重要事項説明）に同意する"))


def _contract(request: HttpRequest, draft: Draft) -> HttpResponse:
    contracts = list(draft.voice_group.contracts.order_by("number"))
    rows = []
    for contract in contracts:
        orderable, decision = _orderable(contract)
        rows.append((contract, not orderable, decision))
    form = ContractChoiceForm(*shared.bound(request), orderable=[c for c, refused, _d in rows if not refused])
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["contract"]
        changes = {"contract": chosen}
        if draft.contract_id and draft.contract_id != chosen.pk:
            changes.update(items=[], editing=None, extra=None, step_done=2)  # another N番: content anew
        drafts.draft_save(draft=draft, finished=2, **changes)
        return _go(draft, 3)
    error = form.errors["contract"][0] if form.errors else ""
    return render(request, "orders/scheduled/step2_contract.html", _context(draft, 2, rows=rows, error=error),
                  status=422 if error else 200)


def _item_summary(item: Item) -> dict:
    label = _("ダイヤルイン番号追加（番号ポータビリティ）") if item.porting else _("ダイヤルイン番号追加")
    return {"label": label, "bases": item.bases, "total": item.number_count(),
            "with_options": len([o for o in item.all_options() if o.any])}


def _menu(request: HttpRequest, draft: Draft) -> HttpResponse:
    error = ""
    if request.method == "POST":
        action = shared.step_action(request.POST)
        if action == "new":
            drafts.draft_save(draft=draft, editing=Editing(item=DialInItem()))
            return redirect("orders:scheduled_item", draft_id=draft.pk, sub=1)
        if action == "new_porting":
            drafts.draft_save(draft=draft, editing=Editing(item=PortingItem()))
            return redirect("orders:scheduled_item", draft_id=draft.pk, sub=1)
        row = shared.row_action(request.POST)
        if row is not None and row.verb in ("edit", "delete"):
            i = row.target(len(draft.items))
            if i is not None:
                if row.verb == "edit":
                    drafts.draft_save(draft=draft, editing=Editing(item=draft.items[i], index=i, done=4))
                    return redirect("orders:scheduled_item", draft_id=draft.pk, sub=1)
                items = draft.items[:i] + draft.items[i + 1:]
                drafts.draft_save(draft=draft, items=items, step_done=min(draft.step_done, 2 if not items else 3))
            return _go(draft, 3)
        if action == "next":
            if draft.items:
                drafts.draft_save(draft=draft, finished=3)
                return _go(draft, 4)
            error = _("お申し込み内容を1件以上保存してから「次へ」を押してください。")
    return render(request, "orders/scheduled/step3_menu.html", _context(
        draft, 3, summaries=[_item_summary(i) for i in draft.items], error=error, editing=draft.editing is not None),
        status=422 if error else 200)


def _involves_oaj(draft: Draft) -> bool:
    return phone.KIND_0AJ in placement.scheduled_item_kinds(draft)


def _other(request: HttpRequest, draft: Draft) -> HttpResponse:
    contract = draft.contract
    needs_nw = _involves_oaj(draft)
    porting = placement.scheduled_has_porting(draft)
    needs_aml = aml_applies(contract=contract, items=draft.items)
    extra = draft.extra
    aml = extra.aml or AmlAnswers()
    attachment = selectors.draft_attachment(draft=draft, attachment_id=aml.attachment)
    registered = list(numbering_selectors.network_addresses_for(contract=contract))
    rows = extra.network or [NetworkRow()]
    errors: dict = {}
    if request.method == "POST":
        rows = [form.row() for form in NetworkRowFormSet(request.POST, prefix="nw").forms]
        action, row = shared.step_action(request.POST), shared.row_action(request.POST)
        if row == RowAction(box="nw", verb="add") and len(rows) < NW_ROWS_MAX:
            rows.append(NetworkRow())
        elif row is not None and row.box == "nw" and row.verb == "del" and row.target(len(rows)) is not None:
            rows.pop(row.index)
        form = ScheduleForm(request.POST)
        form.is_valid()  # binds and normalises; the rules are the service's
        extra = form.schedule(network=rows if needs_nw else [], porting=porting, aml_applies=needs_aml)
        upload = request.FILES.get("aml_file")
        if needs_aml and uploads.too_large(request):
            errors["aml_file"] = _("ファイルサイズは10MBまでです。")
        elif needs_aml and upload:
            try:  # a new file replaces the one uploaded before
                attachment = attachment_store(upload=upload, draft=draft, user=request.user, replaces=attachment)
            except ValidationError as exc:
                errors["aml_file"] = exc.messages[0]
        if extra.aml is not None:
            extra.aml.attachment = str(attachment.pk) if attachment else ""
        aml = extra.aml or AmlAnswers()
        if action == "next":
            extra.network_clean, found = schedule_check(
                contract=contract, items=draft.items, schedule=extra, has_file=attachment is not None,
                earliest=earliest_date(items=placement.scheduled_lead_items(draft)))
            for key, message in found.items():
                errors.setdefault(key, message)  # a refused upload keeps its own reason
            if not errors:
                drafts.draft_save(draft=draft, finished=4, extra=extra)
                return _go(draft, 5)
        drafts.draft_save(draft=draft, extra=extra)
        rows = rows or [NetworkRow()]
    earliest = earliest_date(items=placement.scheduled_lead_items(draft))
    leads = selectors.lead_times()
    return render(request, "orders/scheduled/step4_other.html", _context(
        draft, 4, needs_nw=needs_nw, registered=registered, errors=errors,
        nw_formset=NetworkRowFormSet(prefix="nw", initial=[dump(r) for r in rows]),
        earliest=earliest, leads=leads, today=clock.today(), extra=extra, porting=porting, needs_aml=needs_aml,
        attachment=attachment, extensions=" ".join(EXTENSIONS), aml=aml,
        calendar=_calendar(earliest), weekdays=WEEKDAYS), status=422 if errors else 200)


# The calendar's columns, Sunday first: (short, full) in the reader's language.
WEEKDAYS = [
    (pgettext_lazy("weekday", "日"), gettext_lazy("日曜日")), (pgettext_lazy("weekday", "月"), gettext_lazy("月曜日")),
    (pgettext_lazy("weekday", "火"), gettext_lazy("火曜日")), (pgettext_lazy("weekday", "水"), gettext_lazy("水曜日")),
    (pgettext_lazy("weekday", "木"), gettext_lazy("木曜日")), (pgettext_lazy("weekday", "金"), gettext_lazy("金曜日")),
    (pgettext_lazy("weekday", "土"), gettext_lazy("土曜日")),
]


def _calendar(earliest: dt.date) -> list[dict]:
    """Two months from the earliest date's month, business days marked (a calendar to pick from)."""
    import calendar

    months = []
    year, month = earliest.year, earliest.month
    for _i in range(2):
        weeks = []
        for week in calendar.Calendar(firstweekday=6).monthdatescalendar(year, month):
            weeks.append([{"day": d, "in_month": d.month == month, "business": business_days.is_business_day(d),
                           "holiday": business_days.holiday_name(d), "ok": d >= earliest} for d in week])
        months.append({"first": dt.date(year, month, 1), "weeks": weeks})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _contact(request: HttpRequest, draft: Draft) -> HttpResponse:
    return shared.contact_step(request, draft, step=5, next_url=reverse("orders:scheduled_step", args=[draft.pk, 6]),
                        context=_context(draft, 5, back_url=reverse("orders:scheduled_step", args=[draft.pk, 4])))


def _item_shown(item: Item) -> dict:
    """An item read-only, as the guide's confirmation draws it (the sub-wizard's and step 6): the
    porting details, then the options tables with their tabs."""
    rows = _option_rows(item)
    for row in rows:
        o = row["options"]
        row["basic"] = (o.message_box, o.anonymous_call_rejection, o.nuisance_call_rejection)
    shown = {"porting": item.porting, "sections": _option_sections(rows)}
    if isinstance(item, PortingItem):
        shown.update(ports=item.ports, remaining=item.remaining, remaining_rows=item.remaining_rows)
    return shown


def _confirm(request: HttpRequest, draft: Draft) -> HttpResponse:
    problems: list[str] = []
    if request.method == "POST":
        try:
            placement.draft_submit(draft_id=draft.pk, user=request.user, site_url=site_url(request))
        except placement.ContentInvalid as exc:
            problems = exc.content.non_field
        else:
            return redirect("orders:wizard_accepted", draft_id=draft.pk)
        network = network_rows_check(contract=draft.contract, rows=draft.extra.network, required=False)[0]
    else:
        _rows, network, problems = placement.scheduled_check(draft=draft)
    extra = draft.extra
    day = parse_date(extra.date)
    notifications = {o.specific_number_notification for i in draft.items for o in i.all_options()} - {""}
    aml = extra.aml or AmlAnswers()
    return render(request, "orders/scheduled/step6_confirm.html", _context(
        draft, 6, items=[{"no": n, "sid": f"item{n}", **_item_shown(item)}
                         for n, item in enumerate(draft.items, start=1)],
        problems=problems, day=day, completion=rules.completion_date(day) if day else None,
        o4=o4_unlinked(contract=draft.contract, numbers=notifications, day=day), aml=aml,
        attachment=selectors.draft_attachment(draft=draft, attachment_id=aml.attachment),
        network=network),
        status=422 if problems and request.method == "POST" else 200)


# The flow, declared: number, title (the guide's words), view.
FLOW_STEPS = (
    Step(1, gettext_noop("お申し込みにあたってのご確認"), _agreement),
    Step(2, gettext_noop("音声契約番号の選択"), _contract),
    Step(3, gettext_noop("お申し込み内容選択メニュー"), _menu),
    Step(4, gettext_noop("その他ご確認事項・工事希望日"), _other),
    Step(5, gettext_noop("お申し込みご担当者情報等"), _contact),
    Step(6, gettext_noop("ご契約内容の確認"), _confirm),
)
STEPS = [(step.number, step.title) for step in FLOW_STEPS]
STEP_VIEWS = {step.number: step.view for step in FLOW_STEPS}


# --- The dial-in addition sub-wizard (opened from the menu, ends with 保存) ---------------------

@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.SCHEDULED, preconditions=(ITEM_OPEN, SUB_STEP_IN_ORDER))
def scheduled_item(request: HttpRequest, draft: Draft, sub: int) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "discard":
        drafts.draft_save(draft=draft, editing=None)
        return _go(draft, 3)
    content_view = _item_porting if draft.editing.item.porting else _item_content
    return {1: _item_method, 2: _item_bases, 3: content_view, 4: _item_options, 5: _item_save}[sub](request, draft)


def _item_context(draft: Draft, sub: int, **extra) -> dict:
    item = draft.editing.item
    steps = CSV_SUB_STEPS if item.method == Draft.Method.CSV else PORT_SUB_STEPS if item.porting else SUB_STEPS
    return _context(draft, 3, sub=sub, sub_title=steps[sub], sub_steps=steps, porting=item.porting, **extra)


def _edit(draft: Draft, done: int | None = None, back_to: int | None = None, **changes) -> None:
    """Save the item being edited. `back_to` is for unchecked changes, after which the later
    sub-steps must be passed again; `done` marks a sub-step passed."""
    editing = draft.editing
    for name, value in changes.items():
        setattr(editing.item, name, value)
    if back_to is not None:
        editing.done = min(editing.done, back_to)
    if done is not None:
        editing.done = max(editing.done, done)
    drafts.draft_save(draft=draft, editing=editing)


def _item_method(request: HttpRequest, draft: Draft) -> HttpResponse:
    """お申し込み方法: 画面から入力 or CSVファイル. Switching starts the item's content again."""
    item = draft.editing.item

    def chosen(method: str) -> HttpResponse:
        if item.method and method != item.method:
            fresh = PortingItem(method=method) if item.porting else DialInItem(method=method)
            _edit(draft, back_to=0, **{f.name: getattr(fresh, f.name) for f in dataclasses.fields(fresh)})
        _edit(draft, done=1, method=method)
        return redirect("orders:scheduled_item", draft_id=draft.pk, sub=2)

    return shared.method_step(request, current=item.method, template="orders/scheduled/item1_method.html",
                              context=_item_context(draft, 1), then=chosen)


def _chooser(draft: Draft, params) -> dict:
    return shared.chooser_context(
        params, listed=numbering_selectors.base_numbers_of(contract=draft.contract),
        chosen=draft.editing.item.bases,
        fragment_url=reverse("orders:scheduled_item_bases", args=[draft.pk]),
        step_url=reverse("orders:scheduled_item", args=[draft.pk, 2]), by_contract=False)


def _chooser_apply(request: HttpRequest, draft: Draft) -> None:
    bases = numbering_selectors.base_numbers_of(contract=draft.contract)
    chosen = shared.chooser_apply(request.POST, bases=bases, chosen=draft.editing.item.bases)
    if chosen != draft.editing.item.bases:
        _edit(draft, bases=chosen, back_to=1)


def _item_bases(request: HttpRequest, draft: Draft) -> HttpResponse:
    """番号の選択: the N番's base numbers in the two-pane chooser (or, with CSV, the file)."""
    if draft.editing.item.method == Draft.Method.CSV:
        return _item_csv(request, draft)
    error = ""
    if request.method == "POST":
        _chooser_apply(request, draft)
        if request.POST.get("action") == "next":
            if draft.editing.item.bases:
                _edit(draft, done=2)
                return redirect("orders:scheduled_item", draft_id=draft.pk, sub=3)
            error = _(shared.NO_BASE_CHOSEN)
        else:
            return redirect(reverse("orders:scheduled_item", args=[draft.pk, 2]) + shared.chooser_query(request.POST))
    return render(request, "orders/scheduled/item2_bases.html", _item_context(
        draft, 2, error=error, **_chooser(draft, request.GET)), status=422 if error else 200)


@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.SCHEDULED, fragment=True, preconditions=(SCREEN_METHOD_CHOSEN,))
def scheduled_item_bases(request: HttpRequest, draft: Draft) -> HttpResponse:
    """The chooser fragment (htmx): search, paging, 表示件数, [→] 選択 and 選択解除."""
    if request.method == "POST":
        _chooser_apply(request, draft)
    params = request.POST if request.method == "POST" else request.GET
    return render(request, "orders/wizard/_chooser.html#chooser",
                      _item_context(draft, 2, **_chooser(draft, params)))


def _item_csv(request: HttpRequest, draft: Draft) -> HttpResponse:
    """CSVファイルの指定: the file names base numbers and content (dial-in: the immediate flow's
    columns; porting: the porting screen's fields, with 残置番号 beside it). Every error by line;
    nothing is kept from a file with errors."""
    item = draft.editing.item
    form = CsvUploadForm(*shared.bound(request, files=True), too_large=uploads.too_large(request))
    errors: list = []
    remaining, remaining_rows = item.remaining if item.porting else "", []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        if item.porting:
            remaining, remaining_rows = _remaining_from_post(request.POST)
            clean, errors = csv_input.porting_csv_check(data, contract=draft.contract, remaining=remaining,
                                                        remaining_rows=remaining_rows)
            if clean is not None:
                _ports_save(draft, clean, remaining, remaining_rows, bases=list(dict.fromkeys(p.base for p in clean)))
                return redirect("orders:scheduled_item", draft_id=draft.pk, sub=4)
        else:
            content, errors = csv_input.dialin_csv_check(
                data, organisation=draft.organisation, voice_group=draft.voice_group,
                chosen=list(numbering_selectors.base_numbers_of(contract=draft.contract)
                            .values_list("number", flat=True)),
                max_quantity=rules.QUANTITY_MAX_SCHEDULED, immediate=False)
            if content is not None:
                red, blue = content.red_rows(), content.blue_rows()
                _edit(draft, done=3, bases=list(dict.fromkeys(r.base for r in [*red, *blue])), red=red, blue=blue,
                      red_options=[Options() for _r in red], blue_options=[Options() for _b in blue])
                return redirect("orders:scheduled_item", draft_id=draft.pk, sub=4)
    columns = csv_input.PORT_COLUMNS if item.porting else csv_input.COLUMNS
    return render(request, "orders/scheduled/item2_csv.html", _item_context(
        draft, 2, form=form, errors=errors[:1000], error_count=len(errors), columns=columns,
        **_remaining_shown(remaining, remaining_rows), line_types=LINE_TYPES,
        max_quantity=rules.QUANTITY_MAX_SCHEDULED),
        status=422 if (form.errors or errors) else 200)


@require_GET
@draft_view(flow=Flow.SCHEDULED, fragment=True, preconditions=(ITEM_OPEN,))
def scheduled_csv_template(request: HttpRequest, draft: Draft) -> HttpResponse:
    """The open item's CSV template (dial-in or porting columns)."""
    porting = draft.editing.item.porting
    text = csv_input.port_csv_template() if porting else csv_input.csv_template()
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = "porting-order-template.csv" if porting else "dialin-order-template.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _item_urls(draft: Draft) -> dict:
    return {"form_action": reverse("orders:scheduled_item", args=[draft.pk, 3]),
            "rows_url": reverse("orders:scheduled_item_rows", args=[draft.pk]),
            "back_url": reverse("orders:scheduled_item", args=[draft.pk, 2])}


def _item_content_render(request, draft, red, blue, content=None, status=200, partial=False) -> HttpResponse:
    context = _item_context(draft, 3, layout="orders/wizard/_layout.html", **shared.content_context(
        draft, red, blue, content, chosen=draft.editing.item.bases, max_quantity=rules.QUANTITY_MAX_SCHEDULED,
        urls=_item_urls(draft)))
    template = "orders/wizard/step4_content.html" + ("#boxes" if partial else "")
    return render(request, template, context, status=status)


def _item_content(request: HttpRequest, draft: Draft) -> HttpResponse:
    item: DialInItem = draft.editing.item
    if request.method == "GET":
        return _item_content_render(request, draft, item.red or [RedRow()], item.blue or [BlueRow()])
    red = posted_rows(request.POST, "red")
    blue = posted_rows(request.POST, "blue")
    if shared.step_action(request.POST) != "next":
        red, blue = shared.apply_row_action(shared.row_action(request.POST), red, blue)
        _edit(draft, red=red, blue=blue, back_to=2)
        return _item_content_render(request, draft, red, blue)
    content = content_check(organisation=draft.organisation, voice_group=draft.voice_group, red_rows=red,
                            blue_rows=blue, chosen=item.bases, max_quantity=rules.QUANTITY_MAX_SCHEDULED,
                            immediate=False)
    if not content.ok:
        _edit(draft, red=red, blue=blue, back_to=2)
        return _item_content_render(request, draft, red, blue, content, status=422)
    # Saved as checked (normalised numbers, kinds and codes); options stay with their rows.
    red, blue = content.red_rows(), content.blue_rows()
    _edit(draft, done=3, red=red, blue=blue,
          red_options=[option_at(item.red_options, i) for i in range(len(red))],
          blue_options=[option_at(item.blue_options, i) for i in range(len(blue))])
    return redirect("orders:scheduled_item", draft_id=draft.pk, sub=4)


@require_POST
@draft_view(flow=Flow.SCHEDULED, fragment=True, preconditions=(ITEM_OPEN,))
def scheduled_item_rows(request: HttpRequest, draft: Draft) -> HttpResponse:
    """[+] 行追加 / [-] 行削除 for htmx."""
    red = posted_rows(request.POST, "red")
    blue = posted_rows(request.POST, "blue")
    red, blue = shared.apply_row_action(shared.row_action(request.POST), red, blue)
    _edit(draft, red=red, blue=blue, back_to=2)
    return _item_content_render(request, draft, red, blue, partial=True)


def _option_rows(item: Item) -> list[dict]:
    """One options block per red row (its numbers wait for issuance), per reserved number and per
    ported number."""
    if isinstance(item, PortingItem):
        return [{"key": f"port-{i}", "box": "port", "index": i, "no": i + 1, "kind": phone.KIND_0AJ,
                 "base": row.base, "number": row.number, "options": option_at(item.port_options, i)}
                for i, row in enumerate(item.ports)]
    rows = [{"key": f"red-{i}", "box": "red", "index": i, "no": i + 1, "kind": row.kind, "base": row.base,
             "quantity": row.quantity, "options": option_at(item.red_options, i)} for i, row in enumerate(item.red)]
    rows += [{"key": f"blue-{i}", "box": "blue", "index": i, "no": i + 1, "kind": row.kind, "base": row.base,
              "number": phone.normalise(row.number), "code": row.code, "options": option_at(item.blue_options, i)}
             for i, row in enumerate(item.blue)]
    return rows


OPTION_SECTIONS = {"red": gettext_noop("①付加機能（番号予約コードをお持ちでない場合）"),
                   "blue": gettext_noop("②付加機能（番号予約コードをお持ちの場合）"),
                   "port": gettext_noop("付加機能")}


def _option_sections(rows: list[dict]) -> list[dict]:
    """The options tables as the guide draws them: one per box, a row per red row or number."""
    return [{"box": box, "title": _(title), "rows": [r for r in rows if r["box"] == box]}
            for box, title in OPTION_SECTIONS.items() if any(r["box"] == box for r in rows)]


def _item_options(request: HttpRequest, draft: Draft) -> HttpResponse:
    item = draft.editing.item
    rows = _option_rows(item)
    errors: dict[str, dict[str, str]] = {}
    if request.method == "POST":
        if isinstance(item, PortingItem):
            kept = {"port": [option_at(item.port_options, i) for i in range(len(item.ports))]}
        else:
            kept = {"red": [option_at(item.red_options, i) for i in range(len(item.red))],
                    "blue": [option_at(item.blue_options, i) for i in range(len(item.blue))]}
        for row in rows:
            raw = OptionsForm(request.POST, prefix=row["key"]).options()
            options, row_errors = options_clean(kind=row["kind"], raw=raw)
            if row_errors:
                errors[row["key"]] = row_errors
            row["options"] = raw if row_errors else options
            kept[row["box"]][row["index"]] = row["options"]
        if not errors:
            _edit(draft, done=4, **{f"{box}_options": options for box, options in kept.items()})
            return redirect("orders:scheduled_item", draft_id=draft.pk, sub=5)
    for row in rows:
        row["errors"] = errors.get(row["key"], {})
    notifications = {r["options"].specific_number_notification for r in rows} - {""}
    unlinked = o4_unlinked(contract=draft.contract, numbers=notifications, day=None)
    return render(request, "orders/scheduled/item4_options.html", _item_context(
        draft, 4, sections=_option_sections(rows), errors=errors, unlinked=unlinked), status=422 if errors else 200)


def _item_save(request: HttpRequest, draft: Draft) -> HttpResponse:
    editing = draft.editing
    if request.method == "POST":
        items = list(draft.items)
        if editing.index is not None and editing.index < len(items):
            items[editing.index] = editing.item
        else:
            items.append(editing.item)
        drafts.draft_save(draft=draft, items=items, editing=None, step_done=min(draft.step_done, 3))
        return _go(draft, 3)
    return render(request, "orders/scheduled/item5_confirm.html", _item_context(
        draft, 5, summary=_item_shown(editing.item)))


def _item_porting(request: HttpRequest, draft: Draft) -> HttpResponse:
    """番号ポータビリティの内容: per number carrier, line type, holder, addresses, DSU; per order the
    remaining number and, when there is one, the remaining-line configuration table."""
    item: PortingItem = draft.editing.item
    rows = list(item.ports) or [PortRow()]
    remaining, remaining_rows = item.remaining, list(item.remaining_rows)
    errors: dict = {}
    if request.method == "POST":
        rows = posted_rows(request.POST, "port")
        remaining, remaining_rows = _remaining_from_post(request.POST)
        action, row = shared.step_action(request.POST), shared.row_action(request.POST)
        tables = {"port": (rows, PortRow, SCREEN_ROWS_MAX), "rem": (remaining_rows, RemainingRow, 50)}
        if row is not None and row.box in tables:
            table, row_type, limit = tables[row.box]
            if row.verb == "add" and row.index is None and len(table) < limit:
                table.append(row_type())
            elif row.verb == "del" and row.target(len(table)) is not None:
                table.pop(row.index)
        elif action == "next":
            clean, errors = porting_rows_check(contract=draft.contract, bases=item.bases, rows=rows,
                                               remaining=remaining, remaining_rows=remaining_rows)
            if errors:
                _edit(draft, ports=rows, remaining=remaining, remaining_rows=remaining_rows, back_to=2)
            else:
                _ports_save(draft, clean, remaining, remaining_rows)
                return redirect("orders:scheduled_item", draft_id=draft.pk, sub=4)
        if action != "next":
            _edit(draft, ports=rows, remaining=remaining, remaining_rows=remaining_rows, back_to=2)
        rows = rows or [PortRow()]
    bases = item.bases
    for row in rows:
        row.base = row.base or (bases[0] if len(bases) == 1 else "")
    shown = [{"index": i, "no": i + 1, "values": r, "errors": errors.get(i, {})} for i, r in enumerate(rows)]
    return render(request, "orders/scheduled/item3_porting.html", _item_context(
        draft, 3, rows=shown, bases=bases, line_types=LINE_TYPES, **_remaining_shown(remaining, remaining_rows),
        port_management=PortRowFormSet.shown(rows, "port").management_form, errors=errors,
        holder=draft.contract.holder_name, address=draft.contract.installation_address),
        status=422 if errors else 200)


def _remaining_from_post(post) -> tuple[str, list[RemainingRow]]:
    """残置番号 (有/無) and the 残回線構成表, on the porting screen and beside its CSV file."""
    return post.get("remaining", ""), posted_rows(post, "rem")


def _remaining_shown(remaining: str, rows: list[RemainingRow]) -> dict:
    rows = rows or [RemainingRow()]
    return {"remaining": remaining, "remaining_rows": list(enumerate(rows)),
            "rem_management": RemainingRowFormSet.shown(rows, "rem").management_form}


def _ports_save(draft: Draft, clean: list[PortRow], remaining: str, remaining_rows: list[RemainingRow],
                **changes) -> None:
    """Checked ported numbers saved (with `changes`, e.g. the base numbers a CSV file names); options
    stay with their numbers."""
    item: PortingItem = draft.editing.item
    kept = [r for r in remaining_rows if str(r.number).strip()] if remaining == "有" else []
    by_number = {p.number: option_at(item.port_options, i) for i, p in enumerate(item.ports)}
    _edit(draft, done=3, ports=clean, remaining=remaining, remaining_rows=kept,
          port_options=[by_number.get(p.number, Options()) for p in clean], **changes)
