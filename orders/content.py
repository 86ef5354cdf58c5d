"""Order content (お申し込み内容): the red box (new numbers by kind and quantity) and the blue box
(reserved numbers with their 番号予約コード), checked row by row in a few set-based queries,
so the screen and a CSV file of 10,000 rows get every error at once, on its row and field."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from numbering import phone
from numbering.models import BaseNumber, ReservationCode, ReservedNumber, VoiceGroup
from numbering.services import issue_area_code, stock_free_counts, stock_pool
from orders import rules
from orders.eligibility import Wish, eligibility_check, representative_overflow
from orders.state import BlueRow, RedRow
from portal import clock
from portal.i18n import list_text
from portal.models import Organisation

KINDS = (phone.KIND_0AJ, phone.KIND_050)
# Rules that depend on the number kind (0AJ) and on the quantity (E8): the error goes on that field.
KIND_RULES = {"E2", "E4", "E6"}


@dataclass(frozen=True)
class RedLine:
    base: BaseNumber
    kind: str
    quantity: int


@dataclass(frozen=True)
class BlueLine:
    base: BaseNumber
    number: str
    code: ReservationCode


@dataclass(frozen=True)
class RowError:
    box: str        # "red" or "blue"
    index: int      # 0-based row in its box
    field: str
    message: str
    rule: str = ""  # the domain rule that refused the row (E1 … E8, B1), if one did


@dataclass(frozen=True)
class Problem:
    """A problem of an order specification, as data: the message the customer reads, the domain rule
    that refused it (E1 … E8, B1, O1 … O4; "" for a plain input error) and where it is — the item
    (お申し込み内容 number, scheduled orders), its row (0-based) and field. Shown, it is its message."""

    message: str
    rule: str = ""
    item: int | None = None
    row: int | None = None
    field: str = ""

    def __str__(self) -> str:
        return self.message


class Refusal(str):
    """A message that a domain rule refused something: a str (shown and compared as the message)
    that names its rule."""

    rule: str

    def __new__(cls, message: str, rule: str) -> "Refusal":
        refusal = super().__new__(cls, message)
        refusal.rule = rule
        return refusal


def rule_of(message: str) -> str:
    return getattr(message, "rule", "")


@dataclass
class Content:
    red: list[RedLine] = field(default_factory=list)
    blue: list[BlueLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    non_field: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.non_field

    def add(self, box: str, index: int, field_name: str, message: str, rule: str = "") -> None:
        self.errors.append(RowError(box, index, field_name, message, rule))

    def refuse(self, box: str, index: int, field_name: str, rule: str, reason: str) -> None:
        """A row refused by a domain rule: the message names it ([E2] …), and so does the error."""
        self.add(box, index, field_name, f"[{rule}] {reason}", rule)

    def red_rows(self) -> list[RedRow]:
        """The red lines as checked (normalised), to be saved in a draft."""
        return [RedRow(base=ln.base.number, kind=ln.kind, quantity=str(ln.quantity)) for ln in self.red]

    def blue_rows(self) -> list[BlueRow]:
        return [BlueRow(base=ln.base.number, number=ln.number, code=ln.code.code) for ln in self.blue]

    def contracts(self) -> list:
        """The N番 of the content, each of which becomes its own order."""
        seen = {}
        for line in [*self.red, *self.blue]:
            seen.setdefault(line.base.contract_id, line.base.contract)
        return list(seen.values())


def _clean(value) -> str:
    return phone.normalise(str(value if value is not None else ""))


def content_check(
    *,
    organisation: Organisation,
    voice_group: VoiceGroup,
    red_rows: list[RedRow],
    blue_rows: list[BlueRow],
    chosen: list[str] | None = None,
    max_quantity: int = rules.QUANTITY_MAX_IMMEDIATE,
    immediate: bool = True,
) -> Content:
    """Check every row; return the cleaned lines, or every error with its row and field.

    `chosen` limits the base numbers to those picked in step 3 (the CSV method passes None: any
    base number of the voice group). With `immediate`, each N番 must still allow an immediate
    order for what is asked (E1–E8, B1), checked with the quantities now known (E8).
    """
    result = Content()
    named = {_clean(row.base) for row in [*red_rows, *blue_rows]} - {""}  # only these are read
    bases = {
        b.number: b for b in BaseNumber.objects.filter(
            contract__voice_group=voice_group, contract__voice_group__organisation=organisation, number__in=named,
        ).select_related("contract", "contract__voice_group")
    }
    if chosen is not None:
        bases = {number: b for number, b in bases.items() if number in set(chosen)}

    def base_of(box: str, index: int, raw) -> BaseNumber | None:
        number = _clean(raw)
        if not number:
            result.add(box, index, "base", _("基本契約番号を選択してください。"))
            return None
        base = bases.get(number)
        if base is None:
            result.add(box, index, "base", _("基本契約番号「%(number)s」はこの音声グループでお申し込みいただけません。")
                       % {"number": raw})
        return base

    # Red box: new numbers by kind and quantity.
    seen_red: dict[tuple[str, str], int] = {}
    red_index: list[int] = []
    for i, row in enumerate(red_rows):
        if row.is_blank():
            continue
        base = base_of("red", i, row.base)
        kind = _clean(row.kind).upper().replace("０", "0")
        if kind not in KINDS:
            result.add("red", i, "kind", _("追加する電話番号の種類（0AJ番号・050番号）を選択してください。"))
        quantity = row.count or 0
        if not 1 <= quantity <= max_quantity:
            result.add("red", i, "quantity", _("追加番号数は1～%(max)sまでの数字で入力してください。")
                       % {"max": max_quantity})
        if base is None or kind not in KINDS or not 1 <= quantity <= max_quantity:
            continue
        key = (base.number, kind)
        # Immediate: one row per base number and kind. Scheduled: two rows may differ by options.
        if immediate and key in seen_red:
            result.add("red", i, "base", _("同じ基本契約番号・電話番号の種類の行がNo.%(no)sにあります。")
                       % {"no": seen_red[key] + 1})
            continue
        seen_red[key] = i
        result.red.append(RedLine(base, kind, quantity))
        red_index.append(i)

    # Blue box: one reserved number a row, with its code.
    wanted_codes = {_clean(row.code).upper() for row in blue_rows} - {""}
    codes = {c.code: c for c in ReservationCode.objects.filter(  # another organisation's code is unknown here
        code__in=wanted_codes, contract__voice_group__organisation=organisation)}
    code_numbers: dict[int, set[str]] = defaultdict(set)
    for code_id, number in ReservedNumber.objects.filter(code__in=codes.values()).values_list("code_id", "number"):
        code_numbers[code_id].add(number)
    now = clock.now()
    seen_blue: dict[str, int] = {}
    blue_index: list[int] = []
    for i, row in enumerate(blue_rows):
        if row.is_blank():
            continue
        base = base_of("blue", i, row.base)
        number = ""
        try:
            number = phone.validate(str(row.number))
        except Exception as exc:  # ValidationError: the message says what is wrong
            messages = getattr(exc, "messages", [str(exc)])
            if not str(row.number).strip():
                messages = [_("予約した電話番号を入力してください。")]
            result.add("blue", i, "number", messages[0])
        code_text = _clean(row.code).upper()
        code = codes.get(code_text)
        if not code_text:
            result.add("blue", i, "code", _("番号予約コードを入力してください。"))
        elif base is None:
            code = None  # nothing is said of a code until its base number is known
        elif code is None or code.contract_id != base.contract_id:
            result.add("blue", i, "code", _("番号予約コード「%(code)s」はこの基本契約番号のご契約では使用できません。")
                       % {"code": code_text})
            code = None
        elif code.status == ReservationCode.Status.USED:
            result.add("blue", i, "code", _("番号予約コード「%(code)s」は使用済みです。") % {"code": code_text})
            code = None
        elif code.status == ReservationCode.Status.HELD:
            result.add("blue", i, "code", _("番号予約コード「%(code)s」は他のお申し込みで使用中です。")
                       % {"code": code_text})
            code = None
        elif code.expires_at <= now:
            result.add("blue", i, "code", _("番号予約コード「%(code)s」は有効期限（%(date)s）が切れています。")
                       % {"code": code_text, "date": date_format(localtime(code.expires_at), "SHORT_DATETIME_FORMAT")})
            code = None
        if code is not None and number and number not in code_numbers[code.pk]:
            result.add("blue", i, "number", _(
                "電話番号 %(number)s は番号予約コード「%(code)s」で予約された番号ではありません。")
                % {"number": number, "code": code_text})
            continue
        if base is None or code is None or not number:
            continue
        if phone.kind_of(number) == phone.KIND_0AJ and phone.area_code(number) != issue_area_code(base):
            result.add("blue", i, "number", _(
                "電話番号 %(number)s は基本契約番号 %(base)s の市外局番（%(area)s）の番号ではありません。")
                % {"number": number, "base": base.number, "area": issue_area_code(base)})
            continue
        if number in seen_blue:
            result.add("blue", i, "number", _("電話番号 %(number)s はNo.%(no)sにも入力されています。")
                       % {"number": number, "no": seen_blue[number] + 1})
            continue
        seen_blue[number] = i
        result.blue.append(BlueLine(base, number, code))
        blue_index.append(i)

    # A code's numbers are ordered together: every one of them, or the code is refused.
    first_row_of_code: dict[int, int] = {}
    given: dict[int, set[str]] = defaultdict(set)
    for line, i in zip(result.blue, blue_index, strict=True):
        first_row_of_code.setdefault(line.code.pk, i)
        given[line.code.pk].add(line.number)
    for code_id, i in first_row_of_code.items():
        missing = sorted(code_numbers[code_id] - given[code_id])
        if missing:
            shown = list_text(missing[:10])
            if len(missing) > 10:
                shown += _(" ほか%(n)s件") % {"n": len(missing) - 10}
            result.add("blue", i, "code", _(
                "番号予約コードで予約されたすべての番号をお申し込みください（未入力: %(numbers)s）。")
                % {"numbers": shown})

    if all(r.is_blank() for r in red_rows) and all(r.is_blank() for r in blue_rows):
        result.non_field.append(_("①、②のどちらかのお申し込み内容を入力してください。"))
        return result

    # Enough free stock in each pool (kind, area code).
    need: dict[tuple[str, str], int] = defaultdict(int)
    for line in result.red:
        need[stock_pool(base_number=line.base, kind=line.kind)] += line.quantity
    free = stock_free_counts(need)
    for line, i in zip(result.red, red_index, strict=True):
        pool = stock_pool(base_number=line.base, kind=line.kind)
        if free[pool] < need[pool]:
            area = "" if pool[0] == phone.KIND_050 else _("（市外局番 %(area)s）") % {"area": pool[1]}
            result.add("red", i, "quantity", _(
                "%(kind)s番号%(area)sの空き番号が不足しています（空き %(free)s件、お申し込み %(need)s件）。")
                % {"kind": pool[0], "area": area, "free": f"{free[pool]:,}", "need": f"{need[pool]:,}"})

    if immediate:
        _check_eligibility(result, red_index, blue_index)
    else:
        _check_oaj_allowed(result, red_index, blue_index)
    return result


def _check_oaj_allowed(result: Content, red_index: list[int], blue_index: list[int]) -> None:
    """The scheduled flow takes any content its N番 allows; E2 (Smart PBX, 0AJ never used) sends
    0AJ numbers to sales, so those rows are refused and 050 rows stay."""
    for contract in result.contracts():
        decision = eligibility_check(contract=contract, wish=Wish(kinds=frozenset({phone.KIND_0AJ})))
        if decision.rule != "E2":
            continue
        for line, i in zip(result.red, red_index, strict=True):
            if line.base.contract_id == contract.pk and line.kind == phone.KIND_0AJ:
                result.refuse("red", i, "kind", "E2", decision.reason)
        for line, i in zip(result.blue, blue_index, strict=True):
            if line.base.contract_id == contract.pk and phone.kind_of(line.number) == phone.KIND_0AJ:
                result.refuse("blue", i, "number", "E2", decision.reason)


def _check_eligibility(result: Content, red_index: list[int], blue_index: list[int]) -> None:
    """E1–E8 and B1 per N番, with the kinds and quantities now known."""
    kinds: dict[int, set[str]] = defaultdict(set)
    additions: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line in result.red:
        kinds[line.base.contract_id].add(line.kind)
        additions[line.base.contract_id][line.base.number] += line.quantity
    for line in result.blue:
        kinds[line.base.contract_id].add(phone.kind_of(line.number))
        additions[line.base.contract_id][line.base.number] += 1
    for contract in result.contracts():
        decision = eligibility_check(contract=contract, wish=Wish(
            kinds=frozenset(kinds[contract.pk]), additions=dict(additions[contract.pk])))
        if decision.immediate_allowed:
            continue
        reason = decision.block.reason if decision.flow == "immediate" else decision.reason
        rule = decision.block.rule if decision.flow == "immediate" else decision.rule
        overflow = ({b.number for b in representative_overflow(contract, additions[contract.pk])}
                    if rule == "E8" else set())
        rows = [("red", i, line.kind, line.base) for line, i in zip(result.red, red_index, strict=True)]
        rows += [("blue", i, phone.kind_of(line.number), line.base)
                 for line, i in zip(result.blue, blue_index, strict=True)]
        for box, i, kind, base in rows:
            if base.contract_id != contract.pk:
                continue
            if rule in KIND_RULES:
                if kind == phone.KIND_0AJ:
                    result.refuse(box, i, "kind" if box == "red" else "number", rule, reason)
            elif rule == "E8":
                if base.number in overflow:
                    result.refuse(box, i, "quantity" if box == "red" else "number", rule, reason)
            else:
                result.refuse(box, i, "base", rule, reason)


def emergency_notice_applies(bases: list[BaseNumber]) -> bool:
    """The guide's notice: on a contract in an emergency-call area, added 050 numbers cannot
    call 110/118/119."""
    return any(b.contract.emergency_area for b in bases)
