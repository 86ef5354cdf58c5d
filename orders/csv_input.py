"""The CSV method (replaces steps 3–4): the screen's columns, one row per line.

A row without a reservation code is a red-box row (基本契約番号, 追加する電話番号 = 0AJ or 050,
追加番号数); a row with one is a blue-box row (基本契約番号, 追加する電話番号 = the reserved number,
番号予約コード). Files come as UTF-8 (with or without BOM) or Shift_JIS/CP932, as Japanese Excel
writes them; every error is reported with its line number."""

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from numbering import phone
from orders import rules
from orders.content import Content, content_check
from orders.scheduled_checks import LINE_TYPES, porting_rows_check
from orders.state import BlueRow, PortRow, RedRow, RemainingRow

COLUMNS = ["基本契約番号", "追加する電話番号", "追加番号数", "番号予約コード"]
FIELD_LABELS = {"base": "基本契約番号", "kind": "追加する電話番号", "number": "追加する電話番号",
                "quantity": "追加番号数", "code": "番号予約コード"}
MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
KIND_WORDS = {"0AJ": "0AJ", "0AJ番号": "0AJ", "050": "050", "050番号": "050"}


@dataclass
class CsvRows:
    red: list[RedRow] = field(default_factory=list)
    blue: list[BlueRow] = field(default_factory=list)
    lines: dict[tuple[str, int], int] = field(default_factory=dict)   # (box, index) → line number
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)


def csv_template() -> str:
    return "\ufeff" + ",".join(COLUMNS) + "\r\n"


def csv_decode(data: bytes) -> str:
    """UTF-8 with or without BOM first (ASCII-only files are both), else Shift_JIS (CP932)."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("文字コードを判別できません。UTF-8またはShift_JISで保存したCSVファイルをご利用ください。"))


def csv_lines(data: bytes, columns: list[str], errors: list) -> list[tuple[int, list[str]]]:
    """The file's data lines as (line number, stripped values), each with the columns given; what is
    wrong with the file itself (size, encoding, header, column count, CSV syntax, too many rows) is
    added to `errors` by line."""
    if len(data) > MAX_BYTES:
        errors.append((0, "", _("ファイルが大きすぎます（5MBまで）。")))
        return []
    try:
        text = csv_decode(data)
    except ValueError as exc:
        errors.append((0, "", str(exc)))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        errors.append((1, "", _("ファイルが空です。")))
        return []
    except csv.Error:
        header = []
    if [h.strip() for h in header] != columns:
        errors.append((1, "", _(
            "見出し行が正しくありません。テンプレートの見出し（%(columns)s）をそのままお使いください。")
            % {"columns": ",".join(columns)}))
        return []
    lines = []
    try:
        for line, values in enumerate(reader, start=2):
            if line - 1 > MAX_ROWS:
                errors.append((line, "", _("行数が多すぎます（%(max)s行まで）。") % {"max": f"{MAX_ROWS:,}"}))
                break
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(columns):
                errors.append((line, "", _(
                    "列の数が正しくありません（%(n)s列あります。%(expected)s列にしてください）。")
                    % {"n": len(values), "expected": len(columns)}))
                continue
            lines.append((line, [v.strip() for v in values]))
    except csv.Error as exc:
        errors.append((reader.line_num, "", _("CSVの形式が正しくありません（%(error)s）。") % {"error": exc}))
    if not lines and not errors:
        errors.append((2, "", _("お申し込み内容の行がありません。")))
    return lines


def csv_read(data: bytes) -> CsvRows:
    result = CsvRows()
    for line, (base, number, quantity, code) in csv_lines(data, COLUMNS, result.errors):
        if code:
            if phone.normalise(quantity) not in ("", "1"):
                result.errors.append((line, "追加番号数", _(
                    "番号予約コードを指定する行の追加番号数は1（または空欄）です。")))
                continue
            result.lines[("blue", len(result.blue))] = line
            result.blue.append(BlueRow(base=base, number=number, code=code))
        else:
            kind = KIND_WORDS.get(phone.normalise(number).upper().replace("ＡＪ", "AJ"), number)
            result.lines[("red", len(result.red))] = line
            result.red.append(RedRow(base=base, kind=kind, quantity=quantity))
    return result


# --- Porting (番号ポータビリティ): the porting screen's fields, one number a line --------------------

PORT_COLUMNS = ["基本契約番号", "追加する電話番号", "電話事業者名1", "電話事業者名2", "回線種別", "回線名義",
                "回線名義（その他の場合）", "設置場所住所", "設置場所住所（その他の場合）", "契約者住所",
                "DSU/配線等の撤去"]
PORT_FIELD_LABELS = dict(zip(PortRow.FIELDS, PORT_COLUMNS, strict=True))
# The words the screen shows, as the CSV takes them (and the codes, as the screen posts them).
HOLDER_WORDS = {"IPVoice名義と同じ": "same", "IP Voiceと同じ": "same", "same": "same", "その他": "other",
                "その他の名義": "other", "other": "other"}
ADDRESS_WORDS = {"IPVoice申込設置場所住所と同じ": "same", "IP Voiceと同じ": "same", "same": "same",
                 "その他": "other", "その他の住所": "other", "other": "other"}
# DSU/配線等の撤去: the guide's words, or the English ones the English help names.
DSU_WORDS = {"要": "要", "不要": "不要", "required": "要", "not required": "不要"}


@dataclass
class PortCsvRows:
    rows: list[PortRow] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)                    # row index → line number
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, column, message)


def port_csv_template() -> str:
    return "\ufeff" + ",".join(PORT_COLUMNS) + "\r\n"


def port_csv_read(data: bytes, *, line_types: dict[str, str]) -> PortCsvRows:
    """`line_types`: 回線種別 label → code (アナログ回線 → analog …)."""
    result = PortCsvRows()
    by_label = {**line_types, **{code: code for code in line_types.values()}}
    for line, values in csv_lines(data, PORT_COLUMNS, result.errors):
        raw = dict(zip(PortRow.FIELDS, values, strict=True))
        raw["line_type"] = by_label.get(raw["line_type"], raw["line_type"])
        raw["holder"] = HOLDER_WORDS.get(raw["holder"], raw["holder"])
        raw["address"] = ADDRESS_WORDS.get(raw["address"], raw["address"])
        raw["dsu"] = DSU_WORDS.get(raw["dsu"].strip().lower(), raw["dsu"])
        result.lines.append(line)
        result.rows.append(PortRow(**raw))
    return result


def port_csv_errors(rows: PortCsvRows, errors: dict) -> list[tuple[int, str, str]]:
    """The file's errors and porting_rows_check's (row index → field → message), by line number."""
    found = list(rows.errors)
    for key, value in errors.items():
        if isinstance(key, int):
            found.extend((rows.lines[key], PORT_FIELD_LABELS.get(f, ""), m) for f, m in value.items())
        elif key == "rows":
            found.append((0, "", value))
    return sorted(found, key=lambda e: e[0])


def csv_errors(rows: CsvRows, content: Content) -> list[tuple[int, str, str]]:
    """Every error of the file and of its content, by line number."""
    errors = list(rows.errors)
    for error in content.errors:
        errors.append((rows.lines[(error.box, error.index)], FIELD_LABELS[error.field], error.message))
    errors.extend((0, "", message) for message in content.non_field)
    return sorted(errors, key=lambda e: e[0])


# --- The checks of a whole file (the screens call these; nothing is kept from a file with errors) --

def dialin_csv_check(data: bytes, *, organisation, voice_group, chosen: list[str] | None = None,
                     max_quantity: int = rules.QUANTITY_MAX_IMMEDIATE,
                     immediate: bool = True) -> tuple[Content | None, list[tuple[int, str, str]]]:
    """A dial-in CSV file read and its content checked as the screen's would be. Returns the
    checked content, or None with every error by line."""
    rows = csv_read(data)
    if rows.errors:
        return None, rows.errors
    content = content_check(organisation=organisation, voice_group=voice_group, red_rows=rows.red,
                            blue_rows=rows.blue, chosen=chosen, max_quantity=max_quantity, immediate=immediate)
    errors = csv_errors(rows, content)
    return (None if errors else content), errors


def porting_csv_check(data: bytes, *, contract, remaining: str,
                      remaining_rows: list[RemainingRow]) -> tuple[list[PortRow] | None, list[tuple[int, str, str]]]:
    """A porting CSV file read and checked as the porting screen's rows (any base number of the
    N番), with the 残置番号 answers given beside it. Returns the checked rows, or None with every
    error by line."""
    rows = port_csv_read(data, line_types={str(label): code for code, label in LINE_TYPES})
    if rows.errors:
        return None, rows.errors
    bases = list(contract.base_numbers.values_list("number", flat=True))
    clean, found = porting_rows_check(contract=contract, bases=bases, rows=rows.rows, remaining=remaining,
                                      remaining_rows=remaining_rows)
    errors = port_csv_errors(rows, found)
    errors += [(0, _("残置番号"), m) for k, m in found.items() if k in ("remaining", "remaining_rows")]
    return (None if errors else clean), errors
