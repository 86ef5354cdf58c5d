"""The draft's typed state: what the wizard steps save, as dataclasses.

`load` and `dump` are the one boundary to JSON: the draft's JSON columns are `StateField`s, which
load on assignment (so `Draft.objects.get()` and `Draft(...)` both give typed state) and dump on
save. Views, forms and services read attributes, never keys. A new field is one line in one class.
"""

import dataclasses
import json
import types
import typing
import unicodedata
from dataclasses import dataclass, field
from typing import ClassVar

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from numbering import phone

# --- Content rows (both flows) -------------------------------------------------------------------


@dataclass
class RedRow:
    """赤枠: new numbers by kind and quantity, as typed (checked by orders.content)."""

    FIELDS: ClassVar[tuple[str, ...]] = ("base", "kind", "quantity")
    base: str = ""
    kind: str = ""
    quantity: str = ""

    def is_blank(self) -> bool:
        """Nothing but its base number (preselected on screen): an empty row."""
        return not (str(self.kind).strip() or str(self.quantity).strip())

    @property
    def count(self) -> int | None:
        """追加番号数 as a number: ASCII digits after NFKC (full-width typed is fine), no sign, no
        separators, at most six digits; anything else is None."""
        text = unicodedata.normalize("NFKC", str(self.quantity)).strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


@dataclass
class BlueRow:
    """青枠: a reserved number with its 番号予約コード."""

    FIELDS: ClassVar[tuple[str, ...]] = ("base", "number", "code")
    base: str = ""
    number: str = ""
    code: str = ""

    def is_blank(self) -> bool:
        return not (str(self.number).strip() or str(self.code).strip())

    @property
    def kind(self) -> str | None:
        return phone.kind_of(phone.normalise(str(self.number)))


# --- The scheduled flow's items ----------------------------------------------------------------------


@dataclass
class Options:
    """付加機能 of one row or number. While a row has errors it keeps what was typed, with the
    two switches, so the screen shows it again."""

    message_box: bool = False
    anonymous_call_rejection: bool = False
    nuisance_call_rejection: bool = False
    specific_number_notification: str = ""
    forwarding_specific_number: str = ""
    notification_on: bool = False
    forwarding_on: bool = False

    @property
    def special(self) -> bool:
        """特定番号通知 or 転送先特定番号: the longer lead time applies."""
        return bool(self.specific_number_notification or self.forwarding_specific_number)

    @property
    def any(self) -> bool:
        return bool(self.message_box or self.anonymous_call_rejection or self.nuisance_call_rejection
                    or self.special)


def option_at(options: list[Options], i: int) -> Options:
    """The options of row i; rows and their options lists are kept the same length."""
    return options[i] if i < len(options) else Options()


@dataclass
class PortRow:
    """One number to port (番号ポータビリティの内容): the porting screen's and CSV's fields."""

    FIELDS: ClassVar[tuple[str, ...]] = ("base", "number", "carrier1", "carrier2", "line_type", "holder",
                                         "holder_name", "address", "address_text", "contractor_address", "dsu")
    base: str = ""
    number: str = ""
    carrier1: str = ""
    carrier2: str = ""
    line_type: str = ""
    holder: str = ""              # "same" (IPVoice名義と同じ) or "other"
    holder_name: str = ""
    address: str = ""             # "same" (IPVoice申込設置場所住所と同じ) or "other"
    address_text: str = ""
    contractor_address: str = ""
    dsu: str = ""                 # ISDN only: 要 / 不要
    line_type_label: str = ""     # set when checked

    def is_blank(self) -> bool:
        return not (str(self.number).strip() or str(self.carrier1).strip())


@dataclass
class RemainingRow:
    """残回線構成表: a number that stays with the old carrier, and its use."""

    FIELDS: ClassVar[tuple[str, ...]] = ("number", "usage")
    number: str = ""
    usage: str = ""


@dataclass
class DialInItem:
    """ダイヤルイン番号追加: base numbers, red and blue rows, options per row and per number."""

    type: str = "dialin"
    method: str = ""              # お申し込み方法: "screen" or "csv"
    bases: list[str] = field(default_factory=list)
    red: list[RedRow] = field(default_factory=list)
    blue: list[BlueRow] = field(default_factory=list)
    red_options: list[Options] = field(default_factory=list)
    blue_options: list[Options] = field(default_factory=list)

    # 工事希望時間 may be given only for porting (the guide: 番号ポータビリティまたは番号移動).
    allows_desired_time: ClassVar[bool] = False

    def kinds(self) -> set[str]:
        return ({r.kind for r in self.red} | {r.kind for r in self.blue}) - {None, ""}

    def new_number_kinds(self) -> set[str]:
        """Kinds of the numbers the carrier newly issues (AML applies to new 0AJ numbers)."""
        return self.kinds()

    def all_options(self) -> list[Options]:
        return [*self.red_options, *self.blue_options]

    def number_count(self) -> int:
        return sum(r.count or 0 for r in self.red if not r.is_blank()) + \
            len([r for r in self.blue if not r.is_blank()])


@dataclass
class PortingItem:
    """ダイヤルイン番号追加（番号ポータビリティ）: numbers to port, the order's remaining number."""

    type: str = "porting"
    method: str = ""
    bases: list[str] = field(default_factory=list)
    ports: list[PortRow] = field(default_factory=list)
    remaining: str = ""           # 残置番号: 有 / 無
    remaining_rows: list[RemainingRow] = field(default_factory=list)
    port_options: list[Options] = field(default_factory=list)

    allows_desired_time: ClassVar[bool] = True

    def kinds(self) -> set[str]:
        return {phone.KIND_0AJ}

    def new_number_kinds(self) -> set[str]:
        return set()  # ported numbers exist already

    def all_options(self) -> list[Options]:
        return list(self.port_options)

    def number_count(self) -> int:
        return len(self.ports)


Item = DialInItem | PortingItem
ITEM_TYPES: dict[str, type] = {"dialin": DialInItem, "porting": PortingItem}  # Item.type → state (orders.kinds)


@dataclass
class Editing:
    """The item open in the sub-wizard: a copy of a saved item (index) or a new one; `done` is
    the number of the last sub-step passed (orders.flows.scheduled.ITEM_STEPS)."""

    item: Item = field(default_factory=DialInItem)
    index: int | None = None
    done: int = 0


# --- The scheduled flow's other confirmations ------------------------------------------------------


@dataclass
class NetworkRow:
    """0AJ利用拠点NWアドレス: add or delete one IPv4 network."""

    action: str = "add"
    network: str = ""
    prefix: str = ""


@dataclass
class AmlAnswers:
    """犯罪収益移転防止法に関するご確認: the answers and the uploaded form's attachment id."""

    changed: str = ""
    person: str = ""
    dept: str = ""
    recipient: str = ""
    attachment: str = ""


@dataclass
class Schedule:
    """その他ご確認事項・工事希望日: NW rows (as typed and as checked), date, time, reason, AML."""

    network: list[NetworkRow] = field(default_factory=list)
    network_clean: list[NetworkRow] = field(default_factory=list)
    date: str = ""
    time: str = ""
    reason: str = ""
    aml: AmlAnswers | None = None


@dataclass
class Contact:
    """お申し込みご担当者情報 (both flows)."""

    contact_name: str = ""
    contact_department: str = ""
    contact_phone: str = ""
    contact_email: str = ""


# --- load / dump ------------------------------------------------------------------------------------


def dump(value):
    """Typed state → JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    return value


_HINTS: dict[type, dict] = {}


def load(kind, data):
    """JSON data → typed state of `kind` (a dataclass, list[...], X | None, Item or a scalar).
    Unknown keys are dropped and missing ones take their defaults, so a draft saved by an older
    version still loads."""
    if kind is Item or kind == Item:
        if type(data) in ITEM_TYPES.values():
            return data
        data = data or {}
        return load(ITEM_TYPES.get(data.get("type"), DialInItem), data)
    origin = typing.get_origin(kind)
    if origin in (types.UnionType, typing.Union):
        if data is None:
            return None
        return load(next(a for a in typing.get_args(kind) if a is not type(None)), data)
    if origin is list:
        (inner,) = typing.get_args(kind)
        return [load(inner, v) for v in (data or [])]
    if dataclasses.is_dataclass(kind):
        if isinstance(data, kind):
            return data
        hints = _HINTS.get(kind)
        if hints is None:
            hints = _HINTS[kind] = {f.name: typing.get_type_hints(kind)[f.name] for f in dataclasses.fields(kind)}
        data = data or {}
        return kind(**{name: load(hint, data[name]) for name, hint in hints.items() if name in data})
    if kind is str:
        return "" if data is None else str(data)
    if kind is bool:
        return bool(data)
    return data


def load_editing(data) -> Editing | None:
    if not data:
        return None
    if isinstance(data, Editing):
        return data
    if "item" not in data:  # a draft saved before Editing had its item apart
        data = {"index": data.get("index"), "done": data.get("done", 0), "item": data}
    return load(Editing, data)


class _StateAttribute(DeferredAttribute):
    """Loads on every assignment: Django's __init__ (and so every row read) assigns each field."""

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = self.field.state_load(value)


class _StateEncoder(json.JSONEncoder):
    """So anything that JSON-encodes the value itself (admin's read-only display) gets the dump."""

    def default(self, o):
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dump(o)
        return super().default(o)


class StateField(models.JSONField):
    """A JSON column holding typed state: `schema` is the type (or a loader function)."""

    descriptor_class = _StateAttribute

    def __init__(self, *args, schema=None, **kwargs) -> None:
        self.schema = schema
        kwargs.setdefault("encoder", _StateEncoder)
        super().__init__(*args, **kwargs)

    def state_load(self, value):
        if self.schema is None or hasattr(value, "resolve_expression"):
            return value
        return self.schema(value) if isinstance(self.schema, types.FunctionType) else load(self.schema, value)

    def get_prep_value(self, value):
        return super().get_prep_value(dump(value))

    def get_db_prep_save(self, value, connection):
        if value is None and self.schema is not None:
            value = self.get_default()  # "no state" (no item open) is stored as the empty default, never NULL
        return super().get_db_prep_save(value, connection)

    def deconstruct(self):
        # Migrations see a plain JSONField: the schema is code, not database state.
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("encoder", None)
        return name, "django.db.models.JSONField", args, kwargs
