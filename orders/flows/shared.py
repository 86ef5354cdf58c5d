"""What the screens of both flows share: bound form data, the base-number chooser (番号の選択)
and the red/blue content rows (追加する番号の内容), which the immediate flow's steps and the
scheduled flow's dial-in sub-wizard both show, and the contact step."""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from numbering import phone
from numbering.models import BaseNumber
from orders import drafts, rules
from orders.content import emergency_notice_applies
from orders.forms import (
    PAGE_SIZES,
    SCREEN_ROWS_MAX,
    ActionForm,
    AgreementForm,
    BlueRowFormSet,
    ChooserForm,
    ContactForm,
    MethodForm,
    RedRowFormSet,
    RowAction,
)
from orders.models import Draft
from orders.state import BlueRow, Contact, RedRow


def bound(request: HttpRequest, *, files: bool = False) -> tuple:
    """Form data only on POST (an empty POST must still be validated)."""
    if request.method != "POST":
        return (None, None) if files else (None,)
    return (request.POST, request.FILES) if files else (request.POST,)


def row_action(post) -> RowAction | None:
    """The row button a POST came from ([+] 追加 / [-] 削除 of a table), parsed by its Form."""
    return ActionForm(post, default="").row_action()


def step_action(post) -> str:
    """The button a step's POST came from: "next" unless another was pressed."""
    return ActionForm(post).name()


def apply_row_action(action: RowAction | None, red: list[RedRow],
                     blue: list[BlueRow]) -> tuple[list[RedRow], list[BlueRow]]:
    """[+] 追加 inserts an empty row after this one; [-] 削除 removes it (one row always stays)."""
    if action is None or action.box not in ("red", "blue"):
        return red, blue
    rows, row_type = (red, RedRow) if action.box == "red" else (blue, BlueRow)
    i = action.target(len(rows))
    if i is None:
        return red, blue
    if action.verb == "add" and len(rows) < SCREEN_ROWS_MAX:
        rows.insert(i + 1, row_type())
    elif action.verb == "del":
        rows.pop(i)
        if not rows:
            rows.append(row_type())
    return red, blue


def content_context(draft: Draft, red: list[RedRow], blue: list[BlueRow], content=None, *, urls: dict,
                    chosen: list[str] | None = None, max_quantity: int = rules.QUANTITY_MAX_IMMEDIATE) -> dict:
    """追加する番号の内容 (both flows): the boxes' rows with their errors; `urls` are the form's
    action, the row buttons' fragment and 戻る."""
    chosen = draft.base_numbers if chosen is None else chosen
    red, blue = red or [RedRow()], blue or [BlueRow()]  # each box shows one row at least
    bases = list(BaseNumber.objects.filter(number__in=chosen, contract__voice_group=draft.voice_group)
                 .select_related("contract"))
    order = {n: i for i, n in enumerate(chosen)}
    bases.sort(key=lambda b: order.get(b.number, 0))
    if len(bases) == 1:  # one base number: preselect it in every row
        for row in [*red, *blue]:
            row.base = row.base or bases[0].number
    errors: dict[tuple[str, int, str], str] = {}
    for error in (content.errors if content else []):
        errors.setdefault((error.box, error.index, error.field), error.message)

    def rows(box: str, data: list) -> list[dict]:
        return [{"index": i, "no": i + 1, "values": row,
                 "errors": {f: errors.get((box, i, f), "") for f in row.FIELDS}} for i, row in enumerate(data)]

    return {
        "bases": bases, "red_rows": rows("red", red), "blue_rows": rows("blue", blue),
        "red_management": RedRowFormSet.shown(red, "red").management_form,
        "blue_management": BlueRowFormSet.shown(blue, "blue").management_form,
        "non_field": content.non_field if content else [], "error_count": len(content.errors) if content else 0,
        "emergency": emergency_notice_applies(bases), "kinds": [("0AJ", _("0AJ番号")), ("050", _("050番号"))],
        "max_quantity": max_quantity, **urls,
    }


def draft_start(request: HttpRequest, *, group, flow: str) -> Draft:
    """A new draft for the signed-in user; when that discards their oldest open drafts (the cap per
    user), the user is told."""
    draft, discarded = drafts.draft_start(user=request.user, voice_group=group, flow=flow)
    if discarded:
        messages.info(request, ngettext(
            "作成中のお申し込みは%(max)s件までのため、最も長く操作のなかった%(n)s件を破棄しました。",
            "作成中のお申し込みは%(max)s件までのため、最も長く操作のなかった%(n)s件を破棄しました。",
            discarded) % {"max": settings.PORTAL_DRAFTS_PER_USER, "n": discarded})
    return draft


def agreement_step(request: HttpRequest, draft: Draft, *, template: str, context: dict,
                   then: Callable[[Draft], HttpResponse], label: str = "") -> HttpResponse:
    """お申し込みにあたってのご確認 (both flows): the policy is read and agreed to; `then` saves the
    step and answers where the flow goes next."""
    form = AgreementForm(*bound(request), initial={"agree": draft.agreed})
    if label:
        form.fields["agree"].label = label
    if request.method == "POST" and form.is_valid():
        return then(draft)
    return render(request, template, {**context, "form": form}, status=422 if form.errors else 200)


def method_step(request: HttpRequest, *, current: str, template: str, context: dict,
                then: Callable[[str], HttpResponse]) -> HttpResponse:
    """お申し込み方法 (both flows, the scheduled items too): 画面から入力 or CSVファイル. `then` gets the
    method chosen, saves it (a switch starts the content again) and answers where to go."""
    form = MethodForm(*bound(request), initial={"method": current or Draft.Method.SCREEN})
    if request.method == "POST" and form.is_valid():
        return then(form.cleaned_data["method"])
    return render(request, template, {**context, "form": form}, status=422 if form.errors else 200)


def contact_step(request: HttpRequest, draft: Draft, *, then: Callable[[Contact], HttpResponse],
                 context: dict) -> HttpResponse:
    """お申し込みご担当者情報 (both flows): the contact person, prefilled from the signed-in user; `then`
    saves the step and answers where the flow goes next."""
    form = ContactForm(*bound(request), initial=dataclasses.asdict(draft.contact))
    if request.method == "POST" and form.is_valid():
        return then(Contact(**form.cleaned_data))
    return render(request, "orders/wizard/step5_contact.html", {**context, "form": form},
                  status=422 if form.errors else 200)


# --- The base-number chooser (番号の選択), both flows -------------------------------------------

NO_BASE_CHOSEN = gettext_noop("ダイヤルイン番号を追加する基本契約番号を選択し、[→] 選択ボタンを押してください。")


def chooser_params(params) -> dict:
    """Search (電話番号, 音声契約番号), page and 表示件数, as the chooser's Form reads them."""
    return ChooserForm(params).params()


def chooser_query(params) -> str:
    shown = chooser_params(params)
    query = {k: shown[k] for k in ("q", "n", "page") if shown[k]}
    if shown["size"] != PAGE_SIZES[-1]:
        query["size"] = shown["size"]
    return "?" + urlencode(query) if query else ""


def chooser_apply(post, *, bases: QuerySet, chosen: list[str]) -> list[str]:
    """[→] 選択 adds the ticked base numbers (of `bases`, those that may be chosen); [←] 選択解除
    removes them. Returns the chosen numbers in the order chosen."""
    action = post.get("action", "")
    chosen = list(chosen)
    if action == "add":
        picked = bases.filter(number__in=post.getlist("pick")).values_list("number", flat=True)
        chosen += [b for b in picked if b not in chosen]
    elif action == "remove":
        dropped = set(post.getlist("unpick"))
        chosen = [b for b in chosen if b not in dropped]
    return chosen


def chooser_context(params, *, listed: QuerySet, chosen: list[str], fragment_url: str, step_url: str,
                    by_contract: bool) -> dict:
    """The two panes: the list (searched, paged) and the chosen base numbers. The search also finds
    a base number from one of its dial-in numbers in use."""
    shown = chooser_params(params)
    q = phone.normalise(shown["q"])
    bases = listed.select_related("contract").order_by("contract__number", "number")
    if q:
        bases = bases.filter(Q(number__contains=q) | Q(dial_ins__number__contains=q)).distinct()
    if shown["n"]:
        bases = bases.filter(contract__number__icontains=shown["n"])
    page = Paginator(bases, shown["size"]).get_page(shown["page"] or 1)
    order = {n: i for i, n in enumerate(chosen)}
    chosen_bases = sorted(listed.model.objects.filter(number__in=chosen).select_related("contract"),
                          key=lambda b: order[b.number])
    return {"page": page, "q": shown["q"], "n": shown["n"], "size": shown["size"], "sizes": PAGE_SIZES,
            "chosen": chosen_bases, "chosen_numbers": set(chosen), "chooser_url": fragment_url,
            "chooser_step_url": step_url, "by_contract": by_contract}


@dataclass(frozen=True)
class Chooser:
    """What a flow's 番号の選択 step is about: the base numbers it lists, those that may be picked,
    the numbers chosen so far, how a change is saved (the later steps must be passed again) and how
    次へ is saved with the chosen numbers that are still listed; the page's template, context and
    URLs (the step, its fragment)."""

    listed: QuerySet
    pickable: QuerySet
    chosen: list[str]
    save: Callable[[list[str]], None]
    finish: Callable[[list[str]], HttpResponse]
    template: str
    context: Callable[..., dict]
    step_url: str
    fragment_url: str
    by_contract: bool


def _chooser_change(request: HttpRequest, chooser: Chooser) -> list[str]:
    """[→] 選択 / 選択解除, saved at once; returns the chosen numbers."""
    chosen = chooser_apply(request.POST, bases=chooser.pickable, chosen=chooser.chosen)
    if chosen != chooser.chosen:
        chooser.save(chosen)
    return chosen


def _chooser_shown(params, chooser: Chooser, chosen: list[str]) -> dict:
    return chooser_context(params, listed=chooser.listed, chosen=chosen, fragment_url=chooser.fragment_url,
                           step_url=chooser.step_url, by_contract=chooser.by_contract)


def chooser_step(request: HttpRequest, chooser: Chooser) -> HttpResponse:
    """番号の選択 (both flows, a plain form): [→] 選択 / 選択解除, a search or a page (the step again,
    with its query), or 次へ with at least one base number chosen."""
    error, chosen = "", chooser.chosen
    if request.method == "POST":
        chosen = _chooser_change(request, chooser)
        if request.POST.get("action") != "next":
            return redirect(chooser.step_url + chooser_query(request.POST))
        listed = set(chooser.listed.filter(number__in=chosen).values_list("number", flat=True))
        if valid := [number for number in chosen if number in listed]:
            return chooser.finish(valid)
        error = _(NO_BASE_CHOSEN)
    context = chooser.context(error=error, **_chooser_shown(request.GET, chooser, chosen))
    return render(request, chooser.template, context, status=422 if error else 200)


def chooser_fragment(request: HttpRequest, chooser: Chooser) -> HttpResponse:
    """The chooser's two panes for htmx: search, paging, 表示件数, [→] 選択 and 選択解除."""
    chosen = _chooser_change(request, chooser) if request.method == "POST" else chooser.chosen
    params = request.POST if request.method == "POST" else request.GET
    return render(request, "orders/wizard/_chooser.html#chooser",
                  chooser.context(**_chooser_shown(params, chooser, chosen)))
