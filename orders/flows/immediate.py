"""The immediate wizard (ダイヤルイン番号の追加申込【お申し込み直後に開通するお申し込み】).

The draft is a database row keyed by its UUID, in the URL: two tabs or two drafts never clash,
the browser's back button only re-shows a step, and a step reached out of order redirects to the
first unfinished one. Every step is a plain form; htmx only makes the base-number search,
paging and row add/remove instant, through fragment URLs of their own.
"""


from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from numbering import selectors as numbering_selectors
from numbering.models import BaseNumber, VoiceContract
from orders import csv_input, drafts, placement, rules, selectors
from orders.content import content_check, emergency_notice_applies
from orders.eligibility import Wish, eligibility_check
from orders.flows import shared
from orders.flows.framework import Precondition, Step, Steps, draft_view, leave
from orders.forms import CsvUploadForm, posted_rows
from orders.kinds import KINDS
from orders.models import Draft, Flow
from orders.state import BlueRow, RedRow
from portal import uploads
from portal.views import customer_required, site_url

# --- Entry: voice group, order menu ----------------------------------------------------------

@require_GET
@customer_required
def immediate_start(request: HttpRequest) -> HttpResponse:
    """音声グループIDを選択してください."""
    groups = numbering_selectors.voice_groups_for(organisation=request.user.organisation)
    return render(request, "orders/wizard/group_select.html", {
        "groups": groups, "selected": request.GET.get("group", ""), "nav": "ipvoice",
    })


def _entry_decisions(contracts) -> list[tuple[VoiceContract, object]]:
    """Entry re-check per N番 with what is known before the content: E1 and B1."""
    return [(c, eligibility_check(contract=c, wish=Wish())) for c in contracts]


@require_http_methods(["GET", "POST"])
@customer_required
def immediate_menu(request: HttpRequest, group_id: str) -> HttpResponse:
    """お申し込みメニュー: ダイヤルイン番号の追加申込 starts a new draft."""
    group = numbering_selectors.voice_group_get(organisation=request.user.organisation, group_id=group_id)
    if request.method == "POST":
        draft = shared.draft_start(request, group=group, flow=Flow.IMMEDIATE)
        return redirect("orders:wizard_step", draft_id=draft.pk, step=1)
    decisions = _entry_decisions(group.contracts.order_by("number"))
    return render(request, "orders/wizard/menu.html", {
        "group": group, "decisions": decisions, "any_allowed": any(d.immediate_allowed for _c, d in decisions),
        "drafts": _open_drafts(request).filter(voice_group=group), "nav": "ipvoice",
    })


# --- Drafts (作成中) ---------------------------------------------------------------------------

def _open_drafts(request: HttpRequest):
    return selectors.drafts_open(organisation=request.user.organisation)


def _context(draft: Draft, step: str, **extra) -> dict:
    """A step page's context: the flow's part (with the CSV method 番号の選択 is the file and お申し込み内容
    is skipped), the draft and its voice group."""
    titles = CSV_TITLES if draft.method == Draft.Method.CSV else None
    return {"draft": draft, **STEPS.page(draft, step, titles), "group": draft.voice_group, "nav": "ipvoice",
            **extra}


def resume_url(draft: Draft) -> str:
    """再開: the first unfinished step."""
    return STEPS.resume_url(draft)


# --- The steps ------------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.IMMEDIATE, preconditions=(
    Precondition("no step before the one before it is unfinished; with CSV the file stands for the content",
                 met=lambda draft, kw: STEPS.reachable(draft, kw["step"]), target=lambda draft, kw: resume_url(draft)),
))
def wizard_step(request: HttpRequest, draft: Draft, step: int) -> HttpResponse:
    return STEPS.at(step).view(request, draft)


def _step_agreement(request: HttpRequest, draft: Draft) -> HttpResponse:
    def agreed(draft: Draft) -> HttpResponse:
        STEPS.passed(draft, AGREEMENT, agreed=True)
        return STEPS.go(draft, METHOD)

    return shared.agreement_step(request, draft, template="orders/wizard/step1_agreement.html",
                                 context=_context(draft, AGREEMENT), then=agreed)


def _step_method(request: HttpRequest, draft: Draft) -> HttpResponse:
    def chosen(method: str) -> HttpResponse:
        if method != draft.method and STEPS.has_passed(draft, METHOD):
            # Switching method starts the content again, so nothing of the other method lingers.
            STEPS.reopen(draft, BASES, base_numbers=[], red_rows=[], blue_rows=[], csv_name="")
        STEPS.passed(draft, METHOD, method=method)
        return STEPS.go(draft, BASES)

    return shared.method_step(request, current=draft.method, template="orders/wizard/step2_method.html",
                              context=_context(draft, METHOD), then=chosen)


# 番号の選択 (screen): choose base numbers of the N番 that allow an immediate order.

def _allowed_contracts(draft: Draft) -> tuple[list[VoiceContract], list[tuple[VoiceContract, object]]]:
    decisions = _entry_decisions(draft.voice_group.contracts.order_by("number"))
    allowed = [c for c, d in decisions if d.immediate_allowed]
    refused = [(c, d) for c, d in decisions if not d.immediate_allowed]
    return allowed, refused


def _chooser(draft: Draft) -> shared.Chooser:
    allowed, refused = _allowed_contracts(draft)  # E1 and B1 per N番, once per request
    listed = BaseNumber.objects.filter(contract__in=allowed)

    def finish(chosen: list[str]) -> HttpResponse:
        STEPS.passed(draft, BASES, base_numbers=chosen)
        return STEPS.go(draft, CONTENT)

    return shared.Chooser(
        listed=listed,
        # A group over the E8 limit cannot be picked here (工事日指定 takes it).
        pickable=listed.filter(Q(representative_size__isnull=True) | Q(representative_size__lt=rules.E8_GROUP_LIMIT)),
        chosen=draft.base_numbers, save=lambda chosen: STEPS.reopen(draft, BASES, base_numbers=chosen), finish=finish,
        template="orders/wizard/step3_bases.html",
        context=lambda **extra: _context(draft, BASES, refused=refused, limit=rules.E8_GROUP_LIMIT, **extra),
        step_url=STEPS.url(draft, BASES), fragment_url=reverse("orders:wizard_bases", args=[draft.pk]),
        by_contract=True)


def _step_bases(request: HttpRequest, draft: Draft) -> HttpResponse:
    if draft.method == Draft.Method.CSV:
        return _step_csv(request, draft)
    return shared.chooser_step(request, _chooser(draft))


@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.IMMEDIATE, fragment=True, preconditions=(
    Precondition("お申し込み方法 is 画面から入力", target=lambda draft, kw: resume_url(draft),
                 met=lambda draft, kw: STEPS.has_passed(draft, METHOD) and draft.method == Draft.Method.SCREEN),
))
def wizard_bases(request: HttpRequest, draft: Draft) -> HttpResponse:
    """The chooser fragment (htmx): search, paging, [→] 選択 and 選択解除."""
    return shared.chooser_fragment(request, _chooser(draft))


# 番号の選択 (CSV): the file gives the base numbers and the content at once.

def _step_csv(request: HttpRequest, draft: Draft) -> HttpResponse:
    form = CsvUploadForm(*shared.bound(request, files=True), too_large=uploads.too_large(request))
    errors: list = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content, errors = csv_input.dialin_csv_check(upload.read(), organisation=draft.organisation,
                                                     voice_group=draft.voice_group)
        if content is not None:
            bases = list(dict.fromkeys(line.base.number for line in [*content.red, *content.blue]))
            STEPS.passed(draft, CONTENT, base_numbers=bases, csv_name=upload.name[:200],
                         red_rows=content.red_rows(), blue_rows=content.blue_rows())
            messages.success(request, _("CSVファイル「%(name)s」の%(rows)s行を確認しました。") % {
                "name": upload.name, "rows": f"{len(content.red) + len(content.blue):,}"})
            return leave(request, STEPS.url(draft, CONTACT))
    context = _context(draft, BASES, form=form, errors=errors[:1000], error_count=len(errors),
                       columns=csv_input.COLUMNS)
    status = 422 if (form.errors or errors) else 200
    if request.htmx and request.method == "POST":
        return render(request, "orders/wizard/step3_csv.html#upload", context, status=status)
    return render(request, "orders/wizard/step3_csv.html", context, status=status)


@require_GET
@draft_view(flow=None, fragment=True)
def wizard_csv_template(request: HttpRequest, draft: Draft) -> HttpResponse:
    return KINDS["dialin"].csv_download()  # the immediate flow places dial-in additions, in their columns


# お申し込み内容: the red box and the blue box.

def _content_page(request: HttpRequest, draft: Draft, red: list[RedRow], blue: list[BlueRow], content=None, *,
                  partial: bool = False) -> HttpResponse:
    urls = {"form_action": STEPS.url(draft, CONTENT), "rows_url": reverse("orders:wizard_rows", args=[draft.pk]),
            "back_url": STEPS.url(draft, BASES)}
    template = "orders/wizard/step4_content.html" + ("#boxes" if partial else "")
    return render(request, template, _context(draft, CONTENT, **shared.content_context(draft, red, blue, content,
                                                                                      urls=urls)),
                  status=422 if content is not None else 200)


def _step_content(request: HttpRequest, draft: Draft) -> HttpResponse:
    if request.method == "GET":
        return _content_page(request, draft, draft.red_rows or [RedRow()], draft.blue_rows or [BlueRow()])
    red, blue = posted_rows(request.POST, "red"), posted_rows(request.POST, "blue")
    if shared.step_action(request.POST) != "next":
        red, blue = shared.apply_row_action(shared.row_action(request.POST), red, blue)
        drafts.draft_save(draft=draft, red_rows=red, blue_rows=blue)
        return _content_page(request, draft, red, blue)
    content = content_check(organisation=draft.organisation, voice_group=draft.voice_group,
                            red_rows=red, blue_rows=blue, chosen=draft.base_numbers)
    # Saved as checked: normalised numbers, kinds and codes.
    if content.ok:
        STEPS.passed(draft, CONTENT, red_rows=content.red_rows(), blue_rows=content.blue_rows())
        return STEPS.go(draft, CONTACT)
    STEPS.reopen(draft, CONTENT, red_rows=red, blue_rows=blue)
    return _content_page(request, draft, red, blue, content)


@require_POST
@draft_view(flow=Flow.IMMEDIATE, fragment=True, preconditions=(
    Precondition("base numbers chosen on the screen", target=lambda draft, kw: resume_url(draft),
                 met=lambda draft, kw: STEPS.has_passed(draft, BASES) and draft.method == Draft.Method.SCREEN),
))
def wizard_rows(request: HttpRequest, draft: Draft) -> HttpResponse:
    """[+] 行追加 / [-] 行削除 for htmx: saves the rows as typed and returns both boxes."""
    red, blue = posted_rows(request.POST, "red"), posted_rows(request.POST, "blue")
    red, blue = shared.apply_row_action(shared.row_action(request.POST), red, blue)
    drafts.draft_save(draft=draft, red_rows=red, blue_rows=blue)
    return _content_page(request, draft, red, blue, partial=True)


# お申し込みご担当者情報.

def _step_contact(request: HttpRequest, draft: Draft) -> HttpResponse:
    def given(contact) -> HttpResponse:
        STEPS.passed(draft, CONTACT, contact=contact)
        return STEPS.go(draft, CONFIRM)

    return shared.contact_step(request, draft, then=given, context=_context(draft, CONTACT))


# お申し込み内容の確認: confirm and submit.

def _confirm_context(draft: Draft, content) -> dict:
    groups = []
    for contract in content.contracts():
        red = [ln for ln in content.red if ln.base.contract_id == contract.pk]
        blue = [ln for ln in content.blue if ln.base.contract_id == contract.pk]
        groups.append({"contract": contract, "red": red[:200], "blue": blue[:200],
                       "more": max(0, len(red) - 200) + max(0, len(blue) - 200),
                       "total": sum(ln.quantity for ln in red) + len(blue)})
    content_step = STEPS.before(draft, CONTACT)  # お申し込み内容, or with CSV the file
    return {"content": content, "groups": groups, "contact": draft.contact,
            "content_url": STEPS.url(draft, content_step.name),
            "emergency": emergency_notice_applies([ln.base for ln in [*content.red, *content.blue]])}


def _step_confirm(request: HttpRequest, draft: Draft) -> HttpResponse:
    if request.method == "POST":
        try:
            placement.draft_submit(draft_id=draft.pk, user=request.user, site_url=site_url(request))
        except placement.ContentInvalid as exc:
            return render(request, "orders/wizard/step6_confirm.html",
                          _context(draft, CONFIRM, **_confirm_context(draft, exc.content)), status=422)
        return redirect("orders:wizard_accepted", draft_id=draft.pk)
    content = placement.draft_content_check(draft=draft)
    return render(request, "orders/wizard/step6_confirm.html",
                  _context(draft, CONFIRM, **_confirm_context(draft, content)))


# The flow, declared once: name, title (the guide's words), view, when skipped. The guide's numbers
# (URL, step bar) are the positions. With the CSV method 番号の選択 is the file, which gives the
# content too, so お申し込み内容 is skipped.
AGREEMENT, METHOD, BASES, CONTENT, CONTACT, CONFIRM = "agreement", "method", "bases", "content", "contact", "confirm"
STEPS = Steps(
    Step(AGREEMENT, gettext_noop("お申し込みにあたってのご確認"), _step_agreement),
    Step(METHOD, gettext_noop("お申し込み方法"), _step_method),
    Step(BASES, gettext_noop("番号の選択"), _step_bases),
    Step(CONTENT, gettext_noop("お申し込み内容"), _step_content,
         skipped=lambda draft: draft.method == Draft.Method.CSV),
    Step(CONTACT, gettext_noop("お申し込みご担当者情報"), _step_contact),
    Step(CONFIRM, gettext_noop("お申し込み内容の確認"), _step_confirm),
    url_name="orders:wizard_step", url_kwarg="step", done=lambda draft: draft.step_done,
    record=lambda draft, done, **fields: drafts.draft_save(draft=draft, step_done=done, **fields),
)
CSV_TITLES = {BASES: gettext_noop("CSVファイル")}
