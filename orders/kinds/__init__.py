"""Item kinds: the sub-orders a scheduled order holds (お申し込み内容: ダイヤルイン番号追加,
ダイヤルイン番号追加（番号ポータビリティ）), declared once each and registered here.

A kind is one module (`orders/kinds/<type>.py`) with one `ItemKind` subclass and a template folder
(`templates/orders/kinds/<type>/`). It owns what differs between kinds: its state class (in
`orders.state`), its sub-steps, its content screen, its CSV columns and check, its option rows, its
read-only summary, the order rows and details it places, and its lead-time item. The flow, the
placement, the checks and the order pages loop over `KINDS` or ask `kind_of(item)`; none of them
branches on a kind. Adding a kind: see README, "Adding an item kind".
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orders.content import Problem, rule_of
from orders.models import OPTION_FIELDS
from orders.scheduled_checks import options_clean
from orders.state import Item, Options

# The sub-steps of an item, by name (the scheduled flow declares them, with the guide's numbers):
# お申し込み方法, 番号の選択 (or the CSV file), the kind's content, 付加機能, お申し込み内容の確認.
METHOD, BASES, CONTENT, OPTIONS, CONFIRM = "method", "bases", "content", "options", "confirm"


@dataclass
class OrderRows:
    """What an item places: its OrderItem rows (base number as its number, options included) and
    every problem found, worded for the confirm step."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def problem(self, message: str, *, item: int, label: str = "", row: int | None = None, field: str = "") -> None:
        """A problem of item `item` (お申し込み内容<item> <label>: …), with the rule that refused it."""
        text = (_("お申し込み内容%(n)s %(label)s: %(message)s") if label else _("お申し込み内容%(n)s: %(message)s")) % {
            "n": item, "label": label, "message": message}
        self.problems.append(Problem(text, rule=rule_of(message), item=item, row=row, field=field))

    def add(self, *, number: int, label: str, kind: str, options: Options, row: int, box: str = "",
            **fields) -> None:
        """A row with its options checked (O1–O3) and kept as checked; `label` names the row in a
        problem, `box` the list it is in (its problems' field is `<box>.options.<option>`)."""
        clean, errors = options_clean(kind=kind, raw=options)
        for name, message in errors.items():
            self.problem(message, item=number, label=label, row=row, field=f"{box}.options.{name}")
        self.rows.append({**fields, "kind": kind, **{name: getattr(clean, name) for name in OPTION_FIELDS}})


@dataclass(frozen=True)
class SubWizard:
    """What the scheduled flow lends a kind's screens (composition, no import of the flow), each
    taking a sub-step's name: `passed(draft, name, **changes)` saves the open item with that sub-step
    passed, `reopen(draft, name, **changes)` saves an unchecked change (that sub-step must be passed
    again), `context(draft, name, **extra)` is the page context, `url(draft, name)` the sub-step's URL
    and `go(draft, name)` the redirect to it."""

    passed: Callable[..., None]
    reopen: Callable[..., None]
    context: Callable[..., dict]
    url: Callable[..., str]
    go: Callable[..., HttpResponse]


class ItemKind:
    """One kind of item. Subclasses set the class attributes and implement the methods."""

    type: ClassVar[str]                 # stored in the draft's JSON (Item.type)
    state: ClassVar[type]               # its dataclass in orders.state
    label: ClassVar[str]                # the guide's name (gettext_noop)
    description: ClassVar[str]          # the menu tile's text (gettext_noop)
    menu_action: ClassVar[str]          # the menu button that opens a new one
    order_kind: ClassVar[str]           # OrderKind of an order holding only this kind
    content_title: ClassVar[str]        # sub-step 3's title (gettext_noop)
    csv_filename: ClassVar[str]
    templates: ClassVar[str]            # its template folder: method_notes, csv_help, csv_extra, details
    lead_item: ClassVar[str | None] = None  # a standard lead time (LeadTime.Item) of its own, if any
    option_titles: ClassVar[dict[str, str]]  # its options tables, by box, titled as the guide does

    def new(self, *, method: str = "") -> Item:
        return self.state(method=method)

    def content_step(self, request: HttpRequest, draft, wizard: SubWizard) -> HttpResponse:
        raise NotImplementedError

    def rows_fragment(self, request: HttpRequest, draft, wizard: SubWizard) -> HttpResponse:
        """The content screen's row buttons for htmx (kinds without one answer 404)."""
        raise Http404

    def csv_columns(self) -> list[str]:
        raise NotImplementedError

    def csv_template(self) -> str:
        raise NotImplementedError

    def csv_download(self) -> HttpResponse:
        """Its CSV template as a download (UTF-8 with BOM, so Excel opens it)."""
        response = HttpResponse(self.csv_template(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.csv_filename}"'
        return response

    def csv_step(self, request: HttpRequest, draft, data: bytes | None,
                 wizard: SubWizard) -> tuple[HttpResponse | None, list, dict]:
        """The CSV file of this kind (data None: nothing uploaded yet). Returns the answer when the
        file was taken (saved), else None with the errors by line and what the page shows besides."""
        raise NotImplementedError

    def option_tables(self, item: Item) -> dict[str, list[Options]]:
        """The item's options by table (box), one per row, kept as long as the rows."""
        raise NotImplementedError

    def option_rows(self, item: Item) -> list[dict]:
        """One options block per row or number of the item (key, box, index, kind, base …)."""
        raise NotImplementedError

    def option_sections(self, rows: list[dict]) -> list[dict]:
        """The options tables as the guide draws them: one per box, a row per row or number."""
        return [{"box": box, "title": _(title), "rows": [r for r in rows if r["box"] == box]}
                for box, title in self.option_titles.items() if any(r["box"] == box for r in rows)]

    def shown(self, item: Item) -> dict:
        """What the read-only summary shows besides the options (its `details` template's data)."""
        return {}

    def order_rows(self, *, spec, item: Item, number: int) -> OrderRows:
        """The item's OrderItem rows for an order of `spec` (orders.spec.ScheduledSpec), checked."""
        raise NotImplementedError

    def order_details(self, items: list[Item]) -> dict:
        """What the order keeps of this kind's items besides their rows (Order.details)."""
        return {}

    def sub_titles(self, method: str) -> dict[str, str]:
        """Sub-step titles of its own: its content screen's, and with a CSV file the file's."""
        return {BASES: gettext_noop("CSVファイルの指定")} if method == "csv" else {CONTENT: self.content_title}

    def template(self, name: str) -> str:
        return f"orders/kinds/{self.templates}/{name}.html"

    @property
    def partials(self) -> dict[str, str]:
        """Its templates by name, for the flow's templates to include."""
        return {name: self.template(name) for name in ("method_notes", "csv_help", "csv_extra", "details")}


KINDS: dict[str, ItemKind] = {}


def register(kind: type[ItemKind]) -> type[ItemKind]:
    KINDS[kind.type] = kind()
    return kind


def kind_of(item: Item) -> ItemKind:
    return KINDS[item.type]


def kind_for_action(action: str) -> ItemKind | None:
    """The kind whose menu button is `action` (新たに追加), if any."""
    return next((kind for kind in KINDS.values() if kind.menu_action == action), None)


from orders.kinds import dialin, porting  # noqa: E402, F401 - each registers its kind
