"""What the screens of both flows share: bound form data and the red/blue content rows
(追加する番号の内容), which the immediate flow's content step and the scheduled flow's dial-in
sub-wizard both show."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from numbering.models import BaseNumber
from orders import drafts, rules
from orders.content import BLUE_FIELDS, RED_FIELDS, emergency_notice_applies
from orders.forms import ContactForm
from orders.models import Draft

MAX_SCREEN_ROWS = 100  # more rows than this: the CSV method


def bound(request: HttpRequest, *, files: bool = False) -> tuple:
    """Form data only on POST (an empty POST must still be validated)."""
    if request.method != "POST":
        return (None, None) if files else (None,)
    return (request.POST, request.FILES) if files else (request.POST,)


def rows_from_post(post, box: str, fields: tuple[str, ...]) -> list[dict]:
    columns = [post.getlist(f"{box}-{name}") for name in fields]
    count = max((len(c) for c in columns), default=0)
    return [{name: (col[i] if i < len(col) else "") for name, col in zip(fields, columns, strict=True)}
            for i in range(count)][:MAX_SCREEN_ROWS]


def apply_row_action(action: str, red: list[dict], blue: list[dict]) -> tuple[list[dict], list[dict]]:
    """[+] 追加 inserts an empty row after this one; [-] 削除 removes it (one row always stays)."""
    box, _sep, rest = action.partition(":")
    verb, _sep, index = rest.partition(":")
    rows, fields = (red, RED_FIELDS) if box == "red" else (blue, BLUE_FIELDS)
    if box not in ("red", "blue") or not index.isdigit():
        return red, blue
    i = int(index)
    if verb == "add" and len(rows) < MAX_SCREEN_ROWS:
        rows.insert(min(i + 1, len(rows)), dict.fromkeys(fields, ""))
    elif verb == "del" and 0 <= i < len(rows):
        rows.pop(i)
        if not rows:
            rows.append(dict.fromkeys(fields, ""))
    return red, blue


def content_context(draft: Draft, red: list[dict], blue: list[dict], content=None, *,
                     chosen: list[str] | None = None, max_quantity: int = rules.QUANTITY_MAX_IMMEDIATE,
                     urls: dict | None = None) -> dict:
    chosen = draft.base_numbers if chosen is None else chosen
    urls = urls or {"form_action": reverse("orders:wizard_step", args=[draft.pk, 4]),
                    "rows_url": reverse("orders:wizard_rows", args=[draft.pk]),
                    "back_url": reverse("orders:wizard_step", args=[draft.pk, 3])}
    bases = list(BaseNumber.objects.filter(number__in=chosen, contract__voice_group=draft.voice_group)
                 .select_related("contract"))
    order = {n: i for i, n in enumerate(chosen)}
    bases.sort(key=lambda b: order.get(b.number, 0))
    if len(bases) == 1:  # one base number: preselect it in every row
        for row in [*red, *blue]:
            row["base"] = row.get("base") or bases[0].number
    errors: dict[tuple[str, int, str], str] = {}
    for error in (content.errors if content else []):
        errors.setdefault((error.box, error.index, error.field), error.message)

    def rows(box: str, data: list[dict], fields: tuple[str, ...]) -> list[dict]:
        return [{"index": i, "no": i + 1, "values": row,
                 "errors": {f: errors.get((box, i, f), "") for f in fields}} for i, row in enumerate(data)]

    return {
        "bases": bases, "red_rows": rows("red", red, RED_FIELDS), "blue_rows": rows("blue", blue, BLUE_FIELDS),
        "non_field": content.non_field if content else [], "error_count": len(content.errors) if content else 0,
        "emergency": emergency_notice_applies(bases), "kinds": [("0AJ", _("0AJ番号")), ("050", _("050番号"))],
        "max_quantity": max_quantity, **urls,
    }


def contact_step(request: HttpRequest, draft: Draft, *, step: int, next_url: str, context: dict) -> HttpResponse:
    """お申し込みご担当者情報 (both flows): the contact person, prefilled from the signed-in user."""
    form = ContactForm(*bound(request), initial=draft.contact)
    if request.method == "POST" and form.is_valid():
        drafts.draft_save(draft=draft, finished=step, contact=form.cleaned_data)
        return redirect(next_url)
    return render(request, "orders/wizard/step5_contact.html", {**context, "form": form},
                  status=422 if form.errors else 200)
