"""ダイヤルイン番号追加: new numbers by kind and quantity (red box) and reserved numbers with their
番号予約コード (blue box), with 付加機能 per red row and per reserved number."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from numbering import phone
from numbering import selectors as numbering_selectors
from orders import csv_input, rules
from orders.content import Problem, content_check
from orders.flows import shared
from orders.forms import posted_rows
from orders.kinds import BASES, CONTENT, OPTIONS, ItemKind, OrderRows, SubWizard, register
from orders.models import OrderKind
from orders.state import BlueRow, DialInItem, Options, RedRow, option_at


@register
class DialIn(ItemKind):
    type = "dialin"
    state = DialInItem
    label = gettext_noop("ダイヤルイン番号追加")
    description = gettext_noop("新しい番号・予約した番号を基本契約番号に追加します（付加機能も選べます）。")
    menu_action = "new"
    order_kind = OrderKind.DIALIN
    content_title = gettext_noop("お申し込み内容")
    csv_filename = "dialin-order-template.csv"
    templates = "dialin"
    option_titles = {"red": gettext_noop("①付加機能（番号予約コードをお持ちでない場合）"),
                     "blue": gettext_noop("②付加機能（番号予約コードをお持ちの場合）")}

    # --- Content (赤枠 / 青枠), the screens' shared rows -------------------------------------------

    def _render(self, request: HttpRequest, draft, wizard: SubWizard, red, blue, content=None, status=200,
                partial=False) -> HttpResponse:
        urls = {"form_action": wizard.url(draft, CONTENT),
                "rows_url": reverse("orders:scheduled_item_rows", args=[draft.pk]),
                "back_url": wizard.url(draft, BASES)}
        context = wizard.context(draft, CONTENT, layout="orders/wizard/_layout.html", **shared.content_context(
            draft, red, blue, content, chosen=draft.editing.item.bases, max_quantity=rules.QUANTITY_MAX_SCHEDULED,
            urls=urls))
        template = "orders/wizard/step4_content.html" + ("#boxes" if partial else "")
        return render(request, template, context, status=status)

    def content_step(self, request: HttpRequest, draft, wizard: SubWizard) -> HttpResponse:
        item: DialInItem = draft.editing.item
        if request.method == "GET":
            return self._render(request, draft, wizard, item.red or [RedRow()], item.blue or [BlueRow()])
        red, blue = posted_rows(request.POST, "red"), posted_rows(request.POST, "blue")
        if shared.step_action(request.POST) != "next":
            red, blue = shared.apply_row_action(shared.row_action(request.POST), red, blue)
            wizard.reopen(draft, CONTENT, red=red, blue=blue)
            return self._render(request, draft, wizard, red, blue)
        content = content_check(organisation=draft.organisation, voice_group=draft.voice_group, red_rows=red,
                                blue_rows=blue, chosen=item.bases, max_quantity=rules.QUANTITY_MAX_SCHEDULED,
                                immediate=False)
        if not content.ok:
            wizard.reopen(draft, CONTENT, red=red, blue=blue)
            return self._render(request, draft, wizard, red, blue, content, status=422)
        # Saved as checked (normalised numbers, kinds and codes); options stay with their rows.
        self._save(draft, wizard, content.red_rows(), content.blue_rows())
        return wizard.go(draft, OPTIONS)

    def rows_fragment(self, request: HttpRequest, draft, wizard: SubWizard) -> HttpResponse:
        red, blue = posted_rows(request.POST, "red"), posted_rows(request.POST, "blue")
        red, blue = shared.apply_row_action(shared.row_action(request.POST), red, blue)
        wizard.reopen(draft, CONTENT, red=red, blue=blue)
        return self._render(request, draft, wizard, red, blue, partial=True)

    def _save(self, draft, wizard: SubWizard, red: list[RedRow], blue: list[BlueRow], **changes) -> None:
        item: DialInItem = draft.editing.item
        wizard.passed(draft, CONTENT, red=red, blue=blue,
                    red_options=[option_at(item.red_options, i) for i in range(len(red))],
                    blue_options=[option_at(item.blue_options, i) for i in range(len(blue))], **changes)

    # --- CSV (the immediate flow's columns) -------------------------------------------------------

    def csv_columns(self) -> list[str]:
        return csv_input.COLUMNS

    def csv_template(self) -> str:
        return csv_input.csv_template()

    def csv_step(self, request: HttpRequest, draft, data: bytes | None, wizard: SubWizard):
        shown = {"max_quantity": rules.QUANTITY_MAX_SCHEDULED}
        if data is None:
            return None, [], shown
        content, errors = csv_input.dialin_csv_check(
            data, organisation=draft.organisation, voice_group=draft.voice_group,
            chosen=list(numbering_selectors.base_numbers_of(contract=draft.contract).values_list("number", flat=True)),
            max_quantity=rules.QUANTITY_MAX_SCHEDULED, immediate=False)
        if content is None:
            return None, errors, shown
        red, blue = content.red_rows(), content.blue_rows()
        wizard.passed(draft, CONTENT, bases=list(dict.fromkeys(r.base for r in [*red, *blue])), red=red,
                    blue=blue, red_options=[Options() for _r in red], blue_options=[Options() for _b in blue])
        return wizard.go(draft, OPTIONS), [], shown

    # --- 付加機能 ----------------------------------------------------------------------------------

    def option_tables(self, item: DialInItem) -> dict[str, list[Options]]:
        return {"red": [option_at(item.red_options, i) for i in range(len(item.red))],
                "blue": [option_at(item.blue_options, i) for i in range(len(item.blue))]}

    def option_rows(self, item: DialInItem) -> list[dict]:
        """One options block per red row (its numbers wait for issuance) and per reserved number."""
        rows = [{"key": f"red-{i}", "box": "red", "index": i, "no": i + 1, "kind": row.kind, "base": row.base,
                 "quantity": row.quantity, "options": option_at(item.red_options, i)}
                for i, row in enumerate(item.red)]
        rows += [{"key": f"blue-{i}", "box": "blue", "index": i, "no": i + 1, "kind": row.kind, "base": row.base,
                  "number": phone.normalise(row.number), "code": row.code, "options": option_at(item.blue_options, i)}
                 for i, row in enumerate(item.blue)]
        return rows

    # --- What the order places --------------------------------------------------------------------

    def order_rows(self, *, spec, item: DialInItem, number: int) -> OrderRows:
        content = content_check(
            organisation=spec.organisation, voice_group=spec.voice_group, red_rows=item.red,
            blue_rows=item.blue, chosen=item.bases, max_quantity=rules.QUANTITY_MAX_SCHEDULED, immediate=False)
        placed = OrderRows()
        for error in content.errors:
            placed.problems.append(Problem(
                _("お申し込み内容%(n)s %(box)s No.%(row)s: %(message)s") % {
                    "n": number, "box": "①" if error.box == "red" else "②", "row": error.index + 1,
                    "message": error.message},
                rule=error.rule, item=number, row=error.index, field=f"{error.box}.{error.field}"))
        placed.problems.extend(Problem(message, item=number) for message in content.non_field)
        for i, line in enumerate(content.red):
            placed.add(number=number, label=f"No.{i + 1}", kind=line.kind, options=option_at(item.red_options, i),
                       row=i, box="red", base=line.base.number, quantity=line.quantity)
        for i, line in enumerate(content.blue):
            placed.add(number=number, label=line.number, kind=phone.kind_of(line.number),
                       options=option_at(item.blue_options, i), row=i, box="blue", base=line.base.number, quantity=1,
                       reservation_code=line.code, reserved_number=line.number)
        return placed
