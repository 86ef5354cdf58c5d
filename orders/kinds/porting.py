"""ダイヤルイン番号追加（番号ポータビリティ）: numbers in use at another carrier, one a row with its
carrier, line type, holder, addresses and DSU; per item the remaining number (残置番号) with its
remaining-line table; 付加機能 per number."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_noop

from numbering import phone
from orders import csv_input
from orders.flows import shared
from orders.forms import SCREEN_ROWS_MAX, PortRowFormSet, RemainingRowFormSet, posted_rows
from orders.kinds import CONTENT, OPTIONS, ItemKind, OrderRows, SubWizard, register
from orders.models import LeadTime, OrderKind
from orders.scheduled_checks import LINE_TYPES, porting_rows_check
from orders.state import Options, PortingItem, PortRow, RemainingRow, dump, option_at

REMAINING_ROWS_MAX = 50


@register
class Porting(ItemKind):
    type = "porting"
    state = PortingItem
    label = gettext_noop("ダイヤルイン番号追加（番号ポータビリティ）")
    description = gettext_noop("他社で利用中の番号を、ダイヤルイン番号として追加します。")
    menu_action = "new_porting"
    order_kind = OrderKind.PORTING
    content_title = gettext_noop("番号ポータビリティの内容")
    csv_filename = "porting-order-template.csv"
    templates = "porting"
    lead_item = LeadTime.Item.PORTING
    option_titles = {"port": gettext_noop("付加機能")}

    # --- 番号ポータビリティの内容 -------------------------------------------------------------------

    def content_step(self, request: HttpRequest, draft, wizard: SubWizard) -> HttpResponse:
        """Per number carrier, line type, holder, addresses, DSU; per item the remaining number and,
        when there is one, the remaining-line configuration table."""
        item: PortingItem = draft.editing.item
        rows = list(item.ports) or [PortRow()]
        remaining, remaining_rows = item.remaining, list(item.remaining_rows)
        errors: dict = {}
        if request.method == "POST":
            rows = posted_rows(request.POST, "port")
            remaining, remaining_rows = _remaining_from_post(request.POST)
            action, button = shared.step_action(request.POST), shared.row_action(request.POST)
            tables = {"port": (rows, PortRow, SCREEN_ROWS_MAX), "rem": (remaining_rows, RemainingRow,
                                                                        REMAINING_ROWS_MAX)}
            if button is not None and button.box in tables:
                table, row_type, limit = tables[button.box]
                if button.verb == "add" and button.index is None and len(table) < limit:
                    table.append(row_type())
                elif button.verb == "del" and button.target(len(table)) is not None:
                    table.pop(button.index)
            elif action == "next":
                clean, errors = porting_rows_check(contract=draft.contract, bases=item.bases, rows=rows,
                                                   remaining=remaining, remaining_rows=remaining_rows)
                if not errors:
                    self._save(draft, wizard, clean, remaining, remaining_rows)
                    return wizard.go(draft, OPTIONS)
            wizard.reopen(draft, CONTENT, ports=rows, remaining=remaining, remaining_rows=remaining_rows)
            rows = rows or [PortRow()]
        bases = item.bases
        for row in rows:
            row.base = row.base or (bases[0] if len(bases) == 1 else "")
        shown = [{"index": i, "no": i + 1, "values": r, "errors": errors.get(i, {})} for i, r in enumerate(rows)]
        return render(request, "orders/scheduled/item3_porting.html", wizard.context(
            draft, CONTENT, rows=shown, bases=bases, line_types=LINE_TYPES,
            **_remaining_shown(remaining, remaining_rows),
            port_management=PortRowFormSet.shown(rows, "port").management_form, errors=errors,
            holder=draft.contract.holder_name, address=draft.contract.installation_address),
            status=422 if errors else 200)

    def _save(self, draft, wizard: SubWizard, clean: list[PortRow], remaining: str,
              remaining_rows: list[RemainingRow], **changes) -> None:
        """Checked ported numbers saved (with `changes`, e.g. the base numbers a CSV file names);
        options stay with their numbers."""
        item: PortingItem = draft.editing.item
        kept = [r for r in remaining_rows if str(r.number).strip()] if remaining == "有" else []
        by_number = {p.number: option_at(item.port_options, i) for i, p in enumerate(item.ports)}
        wizard.passed(draft, CONTENT, ports=clean, remaining=remaining, remaining_rows=kept,
                    port_options=[by_number.get(p.number, Options()) for p in clean], **changes)

    # --- CSV (the porting screen's fields, 残置番号 beside the file) ---------------------------------

    def csv_columns(self) -> list[str]:
        return csv_input.PORT_COLUMNS

    def csv_template(self) -> str:
        return csv_input.port_csv_template()

    def csv_step(self, request: HttpRequest, draft, data: bytes | None, wizard: SubWizard):
        item: PortingItem = draft.editing.item
        if data is None:
            return None, [], {**_remaining_shown(item.remaining, []), "line_types": LINE_TYPES}
        remaining, remaining_rows = _remaining_from_post(request.POST)
        shown = {**_remaining_shown(remaining, remaining_rows), "line_types": LINE_TYPES}
        clean, errors = csv_input.porting_csv_check(data, contract=draft.contract, remaining=remaining,
                                                    remaining_rows=remaining_rows)
        if clean is None:
            return None, errors, shown
        self._save(draft, wizard, clean, remaining, remaining_rows, bases=list(dict.fromkeys(p.base for p in clean)))
        return wizard.go(draft, OPTIONS), [], shown

    # --- 付加機能 ----------------------------------------------------------------------------------

    def option_tables(self, item: PortingItem) -> dict[str, list[Options]]:
        return {"port": [option_at(item.port_options, i) for i in range(len(item.ports))]}

    def option_rows(self, item: PortingItem) -> list[dict]:
        return [{"key": f"port-{i}", "box": "port", "index": i, "no": i + 1, "kind": phone.KIND_0AJ,
                 "base": row.base, "number": row.number, "options": option_at(item.port_options, i)}
                for i, row in enumerate(item.ports)]

    def shown(self, item: PortingItem) -> dict:
        return {"ports": item.ports, "remaining": item.remaining, "remaining_rows": item.remaining_rows}

    # --- What the order places --------------------------------------------------------------------

    def order_rows(self, *, spec, item: PortingItem, number: int) -> OrderRows:
        clean, errors = porting_rows_check(contract=spec.contract, bases=item.bases, rows=item.ports,
                                           remaining=item.remaining, remaining_rows=item.remaining_rows)
        placed = OrderRows()
        for key, error in errors.items():  # a row's fields, or the item's own (残置番号, rows)
            if isinstance(error, dict):
                for name, message in error.items():
                    placed.problem(message, item=number, row=key, field=name)
            else:
                placed.problem(error, item=number, field=key)
        for i, row in enumerate(clean):
            port = {k: v for k, v in dump(row).items() if k not in ("base", "number")}
            placed.add(number=number, label=row.number, kind=phone.KIND_0AJ, options=option_at(item.port_options, i),
                       row=i, box="ports", base=row.base, quantity=1, ported_number=row.number, port=port)
        return placed

    def order_details(self, items: list[PortingItem]) -> dict:
        return {"porting": [{"remaining": item.remaining, "remaining_rows": dump(item.remaining_rows)}
                            for item in items]}


def _remaining_from_post(post) -> tuple[str, list[RemainingRow]]:
    """残置番号 (有/無) and the 残回線構成表, on the porting screen and beside its CSV file."""
    return post.get("remaining", ""), posted_rows(post, "rem")


def _remaining_shown(remaining: str, rows: list[RemainingRow]) -> dict:
    rows = rows or [RemainingRow()]
    return {"remaining": remaining, "remaining_rows": list(enumerate(rows)),
            "rem_management": RemainingRowFormSet.shown(rows, "rem").management_form}
