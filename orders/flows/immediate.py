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
from orders.flows.framework import Precondition, Step, draft_view, leave
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


def _first_unfinished(draft: Draft) -> int:
    step = min(draft.step_done + 1, 6)
    if draft.method == Draft.Method.CSV and step == 4:
        return 3
    return step


def _wizard_context(draft: Draft, step: int, **extra) -> dict:
    return {
        "draft": draft, "step": step, "steps": STEPS, "step_title": dict(STEPS)[step],
        "group": draft.voice_group, "nav": "ipvoice", "csv": draft.method == Draft.Method.CSV, **extra,
    }


# --- The steps ------------------------------------------------------------------------------

def resume_url(draft: Draft) -> str:
    """再開: the first unfinished step."""
    return reverse("orders:wizard_step", args=[draft.pk, _first_unfinished(draft)])


def _first_unfinished_url(draft: Draft, _kwargs: dict | None = None) -> str:
    return reverse("orders:wizard_step", args=[draft.pk, _first_unfinished(draft)])


# Preconditions (named; the framework sends the user to the first unfinished step when one fails).
STEP_IN_ORDER = Precondition(
    "no step before the one before it is unfinished; CSV replaces steps 3–4",
    met=lambda draft, kw: kw["step"] in STEP_VIEWS and kw["step"] <= _first_unfinished(draft)
    and not (kw["step"] == 4 and draft.method == Draft.Method.CSV),
    target=_first_unfinished_url)
SCREEN_METHOD_CHOSEN = Precondition(
    "お申し込み方法 is 画面から入力",
    met=lambda draft, kw: draft.step_done >= 2 and draft.method == Draft.Method.SCREEN,
    target=_first_unfinished_url)
BASES_CHOSEN = Precondition(
    "base numbers chosen on the screen",
    met=lambda draft, kw: draft.step_done >= 3 and draft.method == Draft.Method.SCREEN,
    target=_first_unfinished_url)



@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.IMMEDIATE, preconditions=(STEP_IN_ORDER,))
def wizard_step(request: HttpRequest, draft: Draft, step: int) -> HttpResponse:
    return STEP_VIEWS[step](request, draft)


def _next(draft: Draft, step: int) -> HttpResponse:
    return redirect("orders:wizard_step", draft_id=draft.pk, step=step)


def _step_agreement(request: HttpRequest, draft: Draft) -> HttpResponse:
    def agreed(draft: Draft) -> HttpResponse:
        drafts.draft_save(draft=draft, finished=1, agreed=True)
        return _next(draft, 2)

    return shared.agreement_step(request, draft, template="orders/wizard/step1_agreement.html",
                                 context=_wizard_context(draft, 1), then=agreed)


def _step_method(request: HttpRequest, draft: Draft) -> HttpResponse:
    def chosen(method: str) -> HttpResponse:
        changes = {"method": method}
        if method != draft.method and draft.step_done >= 2:
            # Switching method starts the content again, so nothing of the other method lingers.
            changes.update(step_done=2, base_numbers=[], red_rows=[], blue_rows=[], csv_name="")
        drafts.draft_save(draft=draft, finished=2, **changes)
        return _next(draft, 3)

    return shared.method_step(request, current=draft.method, template="orders/wizard/step2_method.html",
                              context=_wizard_context(draft, 2), then=chosen)


# Step 3 (screen): choose base numbers.

def _allowed_contracts(draft: Draft) -> tuple[list[VoiceContract], list[tuple[VoiceContract, object]]]:
    decisions = _entry_decisions(draft.voice_group.contracts.order_by("number"))
    allowed = [c for c, d in decisions if d.immediate_allowed]
    refused = [(c, d) for c, d in decisions if not d.immediate_allowed]
    return allowed, refused


def _chooser_context(draft: Draft, params, allowed, refused) -> dict:
    return {"refused": refused, "limit": rules.E8_GROUP_LIMIT, **shared.chooser_context(
        params, listed=BaseNumber.objects.filter(contract__in=allowed), chosen=draft.base_numbers,
        fragment_url=reverse("orders:wizard_bases", args=[draft.pk]),
        step_url=reverse("orders:wizard_step", args=[draft.pk, 3]), by_contract=True)}


def _chooser_apply(request: HttpRequest, draft: Draft, allowed: list[VoiceContract]) -> None:
    """[→] 選択 / 選択解除, saved at once; a group over the E8 limit cannot be picked here."""
    pickable = BaseNumber.objects.filter(contract__in=allowed).filter(
        Q(representative_size__isnull=True) | Q(representative_size__lt=rules.E8_GROUP_LIMIT))
    chosen = shared.chooser_apply(request.POST, bases=pickable, chosen=draft.base_numbers)
    if chosen != draft.base_numbers:
        drafts.draft_save(draft=draft, base_numbers=chosen, step_done=min(draft.step_done, 2))


def _step_bases(request: HttpRequest, draft: Draft) -> HttpResponse:
    if draft.method == Draft.Method.CSV:
        return _step_csv(request, draft)
    error = ""
    allowed, refused = _allowed_contracts(draft)  # E1 and B1 per N番, once per request
    if request.method == "POST":
        _chooser_apply(request, draft, allowed)
        if request.POST.get("action") == "next":
            valid = set(BaseNumber.objects.filter(number__in=draft.base_numbers, contract__in=allowed)
                        .values_list("number", flat=True))
            if valid:
                drafts.draft_save(draft=draft, finished=3,
                                    base_numbers=[b for b in draft.base_numbers if b in valid])
                return _next(draft, 4)
            error = _(shared.NO_BASE_CHOSEN)
        else:
            return redirect(reverse("orders:wizard_step", args=[draft.pk, 3]) + shared.chooser_query(request.POST))
    context = _wizard_context(draft, 3, error=error, **_chooser_context(draft, request.GET, allowed, refused))
    return render(request, "orders/wizard/step3_bases.html", context, status=422 if error else 200)


@require_http_methods(["GET", "POST"])
@draft_view(flow=Flow.IMMEDIATE, fragment=True, preconditions=(SCREEN_METHOD_CHOSEN,))
def wizard_bases(request: HttpRequest, draft: Draft) -> HttpResponse:
    """The chooser fragment (htmx): search, paging, [→] 選択 and 選択解除."""
    allowed, refused = _allowed_contracts(draft)
    if request.method == "POST":
        _chooser_apply(request, draft, allowed)
    params = request.POST if request.method == "POST" else request.GET
    context = _wizard_context(draft, 3, **_chooser_context(draft, params, allowed, refused))
    return render(request, "orders/wizard/_chooser.html#chooser", context)


# Step 3 (CSV): upload the file instead of steps 3–4.

def _step_csv(request: HttpRequest, draft: Draft) -> HttpResponse:
    form = CsvUploadForm(*shared.bound(request, files=True), too_large=uploads.too_large(request))
    errors: list = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content, errors = csv_input.dialin_csv_check(upload.read(), organisation=draft.organisation,
                                                     voice_group=draft.voice_group)
        if content is not None:
            bases = list(dict.fromkeys(line.base.number for line in [*content.red, *content.blue]))
            drafts.draft_save(
                draft=draft, finished=4, base_numbers=bases, csv_name=upload.name[:200],
                red_rows=content.red_rows(), blue_rows=content.blue_rows(),
            )
            messages.success(request, _("CSVファイル「%(name)s」の%(rows)s行を確認しました。") % {
                "name": upload.name, "rows": f"{len(content.red) + len(content.blue):,}"})
            return leave(request, reverse("orders:wizard_step", args=[draft.pk, 5]))
    context = _wizard_context(draft, 3, form=form, errors=errors[:1000], error_count=len(errors),
                              columns=csv_input.COLUMNS)
    status = 422 if (form.errors or errors) else 200
    if request.htmx and request.method == "POST":
        return render(request, "orders/wizard/step3_csv.html#upload", context, status=status)
    return render(request, "orders/wizard/step3_csv.html", context, status=status)


@require_GET
@draft_view(flow=None, fragment=True)
def wizard_csv_template(request: HttpRequest, draft: Draft) -> HttpResponse:
    return KINDS["dialin"].csv_download()  # the immediate flow places dial-in additions, in their columns


# Step 4: order content, the red box and the blue box.

def _draft_rows(draft: Draft) -> tuple[list[RedRow], list[BlueRow]]:
    return draft.red_rows or [RedRow()], draft.blue_rows or [BlueRow()]


def _step_content(request: HttpRequest, draft: Draft) -> HttpResponse:
    if request.method == "GET":
        red, blue = _draft_rows(draft)
        return render(request, "orders/wizard/step4_content.html",
                      _wizard_context(draft, 4, **shared.content_context(draft, red, blue)))
    red = posted_rows(request.POST, "red")
    blue = posted_rows(request.POST, "blue")
    if shared.step_action(request.POST) != "next":
        red, blue = shared.apply_row_action(shared.row_action(request.POST), red, blue)
        drafts.draft_save(draft=draft, red_rows=red, blue_rows=blue)
        return render(request, "orders/wizard/step4_content.html",
                      _wizard_context(draft, 4, **shared.content_context(draft, red, blue)))
    content = content_check(organisation=draft.organisation, voice_group=draft.voice_group,
                            red_rows=red, blue_rows=blue, chosen=draft.base_numbers)
    # Saved as checked: normalised numbers, kinds and codes.
    if content.ok:
        drafts.draft_save(draft=draft, finished=4, red_rows=content.red_rows(), blue_rows=content.blue_rows())
        return _next(draft, 5)
    drafts.draft_save(draft=draft, red_rows=red, blue_rows=blue, step_done=min(draft.step_done, 3))
    return render(request, "orders/wizard/step4_content.html",
                  _wizard_context(draft, 4, **shared.content_context(draft, red, blue, content)), status=422)


@require_POST
@draft_view(flow=Flow.IMMEDIATE, fragment=True, preconditions=(BASES_CHOSEN,))
def wizard_rows(request: HttpRequest, draft: Draft) -> HttpResponse:
    """[+] 行追加 / [-] 行削除 for htmx: saves the rows as typed and returns both boxes."""
    red = posted_rows(request.POST, "red")
    blue = posted_rows(request.POST, "blue")
    red, blue = shared.apply_row_action(shared.row_action(request.POST), red, blue)
    drafts.draft_save(draft=draft, red_rows=red, blue_rows=blue)
    return render(request, "orders/wizard/step4_content.html#boxes",
                      _wizard_context(draft, 4, **shared.content_context(draft, red, blue)))


# Step 5: contact person.

def _step_contact(request: HttpRequest, draft: Draft) -> HttpResponse:
    return shared.contact_step(request, draft, step=5, next_url=reverse("orders:wizard_step", args=[draft.pk, 6]),
                        context=_wizard_context(draft, 5))


# Step 6: confirm and submit.

def _confirm_context(draft: Draft, content) -> dict:
    groups = []
    for contract in content.contracts():
        red = [ln for ln in content.red if ln.base.contract_id == contract.pk]
        blue = [ln for ln in content.blue if ln.base.contract_id == contract.pk]
        groups.append({"contract": contract, "red": red[:200], "blue": blue[:200],
                       "more": max(0, len(red) - 200) + max(0, len(blue) - 200),
                       "total": sum(ln.quantity for ln in red) + len(blue)})
    return {"content": content, "groups": groups, "contact": draft.contact,
            "emergency": emergency_notice_applies([ln.base for ln in [*content.red, *content.blue]])}


def _step_confirm(request: HttpRequest, draft: Draft) -> HttpResponse:
    if request.method == "POST":
        try:
            placement.draft_submit(draft_id=draft.pk, user=request.user, site_url=site_url(request))
        except placement.ContentInvalid as exc:
            return render(request, "orders/wizard/step6_confirm.html",
                          _wizard_context(draft, 6, **_confirm_context(draft, exc.content)), status=422)
        return redirect("orders:wizard_accepted", draft_id=draft.pk)
    content = placement.draft_content_check(draft=draft)
    return render(request, "orders/wizard/step6_confirm.html",
                  _wizard_context(draft, 6, **_confirm_context(draft, content)))


# The flow, declared: number, title (the guide's words), view. Step 3 is the CSV upload instead of
# the chooser when the method is CSV, and step 4 is then skipped (STEP_IN_ORDER).
FLOW_STEPS = (
    Step(1, gettext_noop("お申し込みにあたってのご確認"), _step_agreement),
    Step(2, gettext_noop("お申し込み方法"), _step_method),
    Step(3, gettext_noop("番号の選択"), _step_bases),
    Step(4, gettext_noop("お申し込み内容"), _step_content),
    Step(5, gettext_noop("お申し込みご担当者情報"), _step_contact),
    Step(6, gettext_noop("お申し込み内容の確認"), _step_confirm),
)
STEPS = [(step.number, step.title) for step in FLOW_STEPS]
STEP_VIEWS = {step.number: step.view for step in FLOW_STEPS}
