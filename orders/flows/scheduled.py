"""The scheduled wizard (ダイヤルイン番号の追加申込【工事日を指定するお申し込み】).

Steps: agreement (privacy policy and 重要事項説明) → N番 → the order content menu
(お申し込み内容選択メニュー), from which an item's sub-wizard (method → base numbers or a CSV file →
its kind's content → options → confirm → 保存) is opened, changed or removed → other confirmations and the desired
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
from orders import drafts, placement, rules, selectors
from orders.attachments import EXTENSIONS, attachment_store
from orders.eligibility import Wish, eligibility_check
from orders.flows import shared
from orders.flows.framework import Precondition, Step, Steps, draft_view
from orders.forms import (
    NW_ROWS_MAX,
    ContractChoiceForm,
    CsvUploadForm,
    NetworkRowFormSet,
    OptionsForm,
    RowAction,
    ScheduleForm,
)
from orders.kinds import BASES, CONFIRM, CONTENT, KINDS, METHOD, OPTIONS, SubWizard, kind_for_action, kind_of
from orders.lead_times import earliest_date
from orders.models import Draft, Flow
from orders.scheduled_checks import (
    aml_applies,
    desired_time_allowed,
    network_rows_check,
    o4_unlinked,
    options_clean,
    parse_date,
    schedule_check,
)
from orders.spec import involves_oaj, lead_items, scheduled_check, spec_of
from orders.state import (
    AmlAnswers,
    Editing,
    Item,
    NetworkRow,
    dump,
)
from portal import business_days, clock, uploads
from portal.views import customer_required, site_url


def _context(draft: Draft, step: str, **extra) -> dict:
    return {"draft": draft, **STEPS.page(draft, step), "group": draft.voice_group, "nav": "ipvoice", **extra}


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
    return STEPS.go(draft, AGREEMENT)


# --- Main steps -----------------------------------------------------------------------------

def resume_url(draft: Draft) -> str:
    """再開: the open item's first unfinished sub-step, else the first unfinished step."""
    if draft.editing is not None:
        return ITEM_STEPS.resume_url(draft)
    return STEPS.resume_url(draft)


# Preconditions (named; see orders.flows.framework).
STEP_IN_ORDER = Precondition(
    "no step before the one before it is unfinished",
    met=lambda draft, kw: STEPS.reachable(draft, kw["step"]), target=lambda draft, kw: STEPS.resume_url(draft))
NO_ITEM_OPEN = Precondition(
    "no order item open, except on the menu (保存 or discard it first)",
    met=lambda draft, kw: not draft.editing or kw["step"] == STEPS.number(MENU),
    target=lambda draft, kw: ITEM_STEPS.url(draft, METHOD))
ITEM_OPEN = Precondition(
    "an order item is open (opened from the menu)",
    met=lambda draft, kw: STEPS.has_passed(draft, CONTRACT) and draft.editing is not None,
    target=lambda draft, kw: STEPS.url(draft, MENU if STEPS.has_passed(draft, CONTRACT)
                                       else STEPS.first_unfinished(draft).name))
SUB_STEP_IN_ORDER = Precondition(
    "no sub-step of the item before the one before it is unfinished; with CSV the file stands for the content",
    met=lambda draft, kw: ITEM_STEPS.reachable(draft, kw["sub"]), target=lambda draft, kw: ITEM_STEPS.resume_url(draft))
SCREEN_METHOD_CHOSEN = Precondition(
    "an item is open and its お申し込み方法 is 画面から入力",
    met=lambda draft, kw: STEPS.has_passed(draft, CONTRACT) and draft.editing is not None
    and ITEM_STEPS.has_passed(draft, METHOD) and draft.editing.item.method == Draft.Method.SCREEN,
    target=lambda draft, kw: resume_url(draft))


@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.SCHEDULED, preconditions=(NO_ITEM_OPEN, STEP_IN_ORDER))
def scheduled_step(request: HttpRequest, draft: Draft, step: int) -> HttpResponse:
    return STEPS.at(step).view(request, draft)


def _agreement(request: HttpRequest, draft: Draft) -> HttpResponse:
    def agreed(draft: Draft) -> HttpResponse:
        if draft.contract_id and not STEPS.has_passed(draft, CONTRACT):  # carried from the pre-order check
            STEPS.passed(draft, CONTRACT, agreed=True)
            return STEPS.go(draft, MENU)
        STEPS.passed(draft, AGREEMENT, agreed=True)
        return STEPS.go(draft, CONTRACT)

    return shared.agreement_step(
        request, draft, template="orders/scheduled/step1_agreement.html", context=_context(draft, AGREEMENT),
        then=agreed,
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
        if draft.contract_id and draft.contract_id != chosen.pk:  # another N番: the content anew
            STEPS.reopen(draft, MENU, items=[], editing=None, extra=None)
        STEPS.passed(draft, CONTRACT, contract=chosen)
        return STEPS.go(draft, MENU)
    error = form.errors["contract"][0] if form.errors else ""
    return render(request, "orders/scheduled/step2_contract.html", _context(draft, CONTRACT, rows=rows, error=error),
                  status=422 if error else 200)


def _item_summary(item: Item) -> dict:
    return {"label": _(kind_of(item).label), "bases": item.bases, "total": item.number_count(),
            "with_options": len([o for o in item.all_options() if o.any])}


def _menu(request: HttpRequest, draft: Draft) -> HttpResponse:
    error = ""
    if request.method == "POST":
        action = shared.step_action(request.POST)
        if (kind := kind_for_action(action)) is not None:
            drafts.draft_save(draft=draft, editing=Editing(item=kind.new()))
            return ITEM_STEPS.go(draft, METHOD)
        row = shared.row_action(request.POST)
        if row is not None and row.verb in ("edit", "delete"):
            i = row.target(len(draft.items))
            if i is not None:
                if row.verb == "edit":
                    # Opened with its sub-steps passed up to 付加機能 (it was saved, so all checked).
                    editing = Editing(item=draft.items[i], index=i, done=ITEM_STEPS.number(OPTIONS))
                    drafts.draft_save(draft=draft, editing=editing)
                    return ITEM_STEPS.go(draft, METHOD)
                items = draft.items[:i] + draft.items[i + 1:]
                STEPS.reopen(draft, OTHER if items else MENU, items=items)
            return STEPS.go(draft, MENU)
        if action == "next":
            if draft.items:
                STEPS.passed(draft, MENU)
                return STEPS.go(draft, OTHER)
            error = _("お申し込み内容を1件以上保存してから「次へ」を押してください。")
    return render(request, "orders/scheduled/step3_menu.html", _context(
        draft, MENU, kinds=KINDS.values(), summaries=[_item_summary(i) for i in draft.items], error=error,
        editing=draft.editing is not None),
        status=422 if error else 200)


def _other(request: HttpRequest, draft: Draft) -> HttpResponse:
    contract = draft.contract
    needs_nw = involves_oaj(spec_of(draft))
    desired_time = desired_time_allowed(draft.items)
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
        extra = form.schedule(network=rows if needs_nw else [], desired_time=desired_time, aml_applies=needs_aml)
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
                earliest=earliest_date(items=lead_items(spec_of(draft))))
            for key, message in found.items():
                errors.setdefault(key, message)  # a refused upload keeps its own reason
            if not errors:
                STEPS.passed(draft, OTHER, extra=extra)
                return STEPS.go(draft, CONTACT)
        drafts.draft_save(draft=draft, extra=extra)
        rows = rows or [NetworkRow()]
    earliest = earliest_date(items=lead_items(spec_of(draft)))
    leads = selectors.lead_times()
    return render(request, "orders/scheduled/step4_other.html", _context(
        draft, OTHER, needs_nw=needs_nw, registered=registered, errors=errors,
        nw_formset=NetworkRowFormSet(prefix="nw", initial=[dump(r) for r in rows]),
        earliest=earliest, leads=leads, today=clock.today(), extra=extra, desired_time=desired_time,
        needs_aml=needs_aml, attachment=attachment, extensions=" ".join(EXTENSIONS), aml=aml,
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
    def given(contact) -> HttpResponse:
        STEPS.passed(draft, CONTACT, contact=contact)
        return STEPS.go(draft, CONFIRM)

    return shared.contact_step(request, draft, then=given, context=_context(draft, CONTACT))


def _item_shown(item: Item) -> dict:
    """An item read-only, as the guide's confirmation draws it (the sub-wizard's and step 6): the
    porting details, then the options tables with their tabs."""
    kind = kind_of(item)
    rows = kind.option_rows(item)
    for row in rows:
        o = row["options"]
        row["basic"] = (o.message_box, o.anonymous_call_rejection, o.nuisance_call_rejection)
    return {"label": _(kind.label), "partials": kind.partials, "details": kind.shown(item),
            "sections": kind.option_sections(rows)}


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
        found = scheduled_check(spec_of(draft))
        network, problems = found.network, found.problems
    extra = draft.extra
    day = parse_date(extra.date)
    notifications = {o.specific_number_notification for i in draft.items for o in i.all_options()} - {""}
    aml = extra.aml or AmlAnswers()
    return render(request, "orders/scheduled/step6_confirm.html", _context(
        draft, CONFIRM, items=[{"no": n, "sid": f"item{n}", **_item_shown(item)}
                         for n, item in enumerate(draft.items, start=1)],
        problems=problems, day=day, completion=rules.completion_date(day) if day else None,
        o4=o4_unlinked(contract=draft.contract, numbers=notifications, day=day), aml=aml,
        attachment=selectors.draft_attachment(draft=draft, attachment_id=aml.attachment),
        network=network),
        status=422 if problems and request.method == "POST" else 200)


# --- The dial-in addition sub-wizard (opened from the menu, ends with 保存) ---------------------

@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.SCHEDULED, preconditions=(ITEM_OPEN, SUB_STEP_IN_ORDER))
def scheduled_item(request: HttpRequest, draft: Draft, sub: int) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "discard":
        drafts.draft_save(draft=draft, editing=None)
        return STEPS.go(draft, MENU)
    return ITEM_STEPS.at(sub).view(request, draft)


def _item_context(draft: Draft, sub: str, **extra) -> dict:
    """An item's sub-step page: the menu step's page with the sub-wizard's part (its kind's titles)."""
    kind = kind_of(draft.editing.item)
    titles = kind.sub_titles(draft.editing.item.method)
    item = ITEM_STEPS.page(draft, sub, titles)
    return _context(draft, MENU, sub=item["step"], sub_title=titles.get(sub, item["step_title"]),
                    sub_bar=item["step_bar"],
                    item_urls=item["step_urls"], item_back_url=item["back_url"], partials=kind.partials, **extra)


def _item_record(draft: Draft, done: int, **changes) -> None:
    """Save the item being edited, with how far its sub-steps got."""
    editing = draft.editing
    for name, value in changes.items():
        setattr(editing.item, name, value)
    editing.done = done
    drafts.draft_save(draft=draft, editing=editing)


def _item_content(request: HttpRequest, draft: Draft) -> HttpResponse:
    """The item's content: its kind's own screen."""
    return kind_of(draft.editing.item).content_step(request, draft, ITEM_WIZARD)


def _item_method(request: HttpRequest, draft: Draft) -> HttpResponse:
    """お申し込み方法: 画面から入力 or CSVファイル. Switching starts the item's content again."""
    item = draft.editing.item

    def chosen(method: str) -> HttpResponse:
        if item.method and method != item.method:
            fresh = kind_of(item).new(method=method)
            ITEM_STEPS.reopen(draft, METHOD, **{f.name: getattr(fresh, f.name) for f in dataclasses.fields(fresh)})
        ITEM_STEPS.passed(draft, METHOD, method=method)
        return ITEM_STEPS.go(draft, BASES)

    return shared.method_step(request, current=item.method, template="orders/scheduled/item1_method.html",
                              context=_item_context(draft, METHOD), then=chosen)


def _chooser(draft: Draft) -> shared.Chooser:
    listed = numbering_selectors.base_numbers_of(contract=draft.contract)

    def finish(chosen: list[str]) -> HttpResponse:
        ITEM_STEPS.passed(draft, BASES, bases=chosen)
        return ITEM_STEPS.go(draft, CONTENT)

    return shared.Chooser(
        listed=listed, pickable=listed, chosen=draft.editing.item.bases,
        save=lambda chosen: ITEM_STEPS.reopen(draft, BASES, bases=chosen), finish=finish,
        template="orders/scheduled/item2_bases.html", context=lambda **extra: _item_context(draft, BASES, **extra),
        step_url=ITEM_STEPS.url(draft, BASES), fragment_url=reverse("orders:scheduled_item_bases", args=[draft.pk]),
        by_contract=False)


def _item_bases(request: HttpRequest, draft: Draft) -> HttpResponse:
    """番号の選択: the N番's base numbers in the two-pane chooser (or, with CSV, the file)."""
    if draft.editing.item.method == Draft.Method.CSV:
        return _item_csv(request, draft)
    return shared.chooser_step(request, _chooser(draft))


@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.SCHEDULED, fragment=True, preconditions=(SCREEN_METHOD_CHOSEN,))
def scheduled_item_bases(request: HttpRequest, draft: Draft) -> HttpResponse:
    """The chooser fragment (htmx): search, paging, 表示件数, [→] 選択 and 選択解除."""
    return shared.chooser_fragment(request, _chooser(draft))


def _item_csv(request: HttpRequest, draft: Draft) -> HttpResponse:
    """CSVファイルの指定: the file names base numbers and content, in the open item's kind's columns.
    Every error by line; nothing is kept from a file with errors."""
    kind = kind_of(draft.editing.item)
    form = CsvUploadForm(*shared.bound(request, files=True), too_large=uploads.too_large(request))
    data = form.cleaned_data["file"].read() if request.method == "POST" and form.is_valid() else None
    taken, errors, shown = kind.csv_step(request, draft, data, ITEM_WIZARD)
    if taken is not None:
        return taken
    return render(request, "orders/scheduled/item2_csv.html", _item_context(
        draft, BASES, form=form, errors=errors[:1000], error_count=len(errors), columns=kind.csv_columns(), **shown),
        status=422 if (form.errors or errors) else 200)


@require_GET
@draft_view(flow=Flow.SCHEDULED, fragment=True, preconditions=(ITEM_OPEN,))
def scheduled_csv_template(request: HttpRequest, draft: Draft) -> HttpResponse:
    """The open item's CSV template (its kind's columns)."""
    return kind_of(draft.editing.item).csv_download()


@require_POST
@draft_view(flow=Flow.SCHEDULED, fragment=True, preconditions=(ITEM_OPEN,))
def scheduled_item_rows(request: HttpRequest, draft: Draft) -> HttpResponse:
    """[+] 行追加 / [-] 行削除 of the open item's content screen, for htmx."""
    return kind_of(draft.editing.item).rows_fragment(request, draft, ITEM_WIZARD)


def _item_options(request: HttpRequest, draft: Draft) -> HttpResponse:
    item = draft.editing.item
    kind = kind_of(item)
    rows = kind.option_rows(item)
    errors: dict[str, dict[str, str]] = {}
    if request.method == "POST":
        kept = kind.option_tables(item)
        for row in rows:
            raw = OptionsForm(request.POST, prefix=row["key"]).options()
            options, row_errors = options_clean(kind=row["kind"], raw=raw)
            if row_errors:
                errors[row["key"]] = row_errors
            row["options"] = raw if row_errors else options
            kept[row["box"]][row["index"]] = row["options"]
        if not errors:
            ITEM_STEPS.passed(draft, OPTIONS, **{f"{box}_options": options for box, options in kept.items()})
            return ITEM_STEPS.go(draft, CONFIRM)
    for row in rows:
        row["errors"] = errors.get(row["key"], {})
    notifications = {r["options"].specific_number_notification for r in rows} - {""}
    unlinked = o4_unlinked(contract=draft.contract, numbers=notifications, day=None)
    return render(request, "orders/scheduled/item4_options.html", _item_context(
        draft, OPTIONS, sections=kind.option_sections(rows), errors=errors, unlinked=unlinked),
        status=422 if errors else 200)


def _item_save(request: HttpRequest, draft: Draft) -> HttpResponse:
    editing = draft.editing
    if request.method == "POST":
        items = list(draft.items)
        if editing.index is not None and editing.index < len(items):
            items[editing.index] = editing.item
        else:
            items.append(editing.item)
        STEPS.reopen(draft, OTHER, items=items, editing=None)
        return STEPS.go(draft, MENU)
    return render(request, "orders/scheduled/item5_confirm.html", _item_context(
        draft, CONFIRM, summary=_item_shown(editing.item)))


# The flow, declared once: name, title (the guide's words), view; the guide's numbers (URL, step
# bar) are the positions.
AGREEMENT, CONTRACT, MENU, OTHER, CONTACT = "agreement", "contract", "menu", "other", "contact"
STEPS = Steps(
    Step(AGREEMENT, gettext_noop("お申し込みにあたってのご確認"), _agreement),
    Step(CONTRACT, gettext_noop("音声契約番号の選択"), _contract),
    Step(MENU, gettext_noop("お申し込み内容選択メニュー"), _menu),
    Step(OTHER, gettext_noop("その他ご確認事項・工事希望日"), _other),
    Step(CONTACT, gettext_noop("お申し込みご担当者情報等"), _contact),
    Step(CONFIRM, gettext_noop("ご契約内容の確認"), _confirm),
    url_name="orders:scheduled_step", url_kwarg="step", done=lambda draft: draft.step_done,
    record=lambda draft, done, **fields: drafts.draft_save(draft=draft, step_done=done, **fields),
)

# An item's sub-wizard (opened from the menu, ends with 保存), the same for every kind: each kind
# gives its content screen and titles. With a CSV file, 番号の選択 is the file, which gives the
# content too, so the content sub-step is skipped.
ITEM_STEPS = Steps(
    Step(METHOD, gettext_noop("お申し込み方法"), _item_method),
    Step(BASES, gettext_noop("番号の選択"), _item_bases),
    Step(CONTENT, gettext_noop("お申し込み内容"), _item_content,
         skipped=lambda draft: draft.editing.item.method == Draft.Method.CSV),
    Step(OPTIONS, gettext_noop("付加機能"), _item_options),
    Step(CONFIRM, gettext_noop("お申し込み内容の確認"), _item_save),
    url_name="orders:scheduled_item", url_kwarg="sub", done=lambda draft: draft.editing.done, record=_item_record,
)

# What the sub-wizard lends each kind's screens.
ITEM_WIZARD = SubWizard(passed=ITEM_STEPS.passed, reopen=ITEM_STEPS.reopen, context=_item_context, url=ITEM_STEPS.url,
                        go=ITEM_STEPS.go)
