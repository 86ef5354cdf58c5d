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
from orders.content import Content
from orders.state import BlueRow, RedRow

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


def csv_read(data: bytes) -> CsvRows:
    result = CsvRows()
    if len(data) > MAX_BYTES:
        result.errors.append((0, "", _("ファイルが大きすぎます（5MBまで）。")))
        return result
    try:
        text = csv_decode(data)
    except ValueError as exc:
        result.errors.append((0, "", str(exc)))
        return result
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        result.errors.append((1, "", _("ファイルが空です。")))
        return result
    except csv.Error:
        header = []
    if [h.strip() for h in header] != COLUMNS:
        result.errors.append((1, "", _(
            "見出し行が正しくありません。テンプレートの見出し（%(columns)s）をそのままお使いください。")
            % {"columns": ",".join(COLUMNS)}))
        return result
    try:
        for line, values in enumerate(reader, start=2):
            if line - 1 > MAX_ROWS:
                result.errors.append((line, "", _("行数が多すぎます（%(max)s行まで）。") % {"max": f"{MAX_ROWS:,}"}))
                break
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(COLUMNS):
                result.errors.append((line, "", _(
                    "列の数が正しくありません（%(n)s列あります。%(expected)s列にしてください）。")
                    % {"n": len(values), "expected": len(COLUMNS)}))
                continue
            base, number, quantity, code = (v.strip() for v in values)
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
    except csv.Error as exc:
        result.errors.append((reader.line_num, "", _("CSVの形式が正しくありません（%(error)s）。") % {"error": exc}))
    if not result.red and not result.blue and not result.errors:
        result.errors.append((2, "", _("お申し込み内容の行がありません。")))
    return result


def csv_errors(rows: CsvRows, content: Content) -> list[tuple[int, str, str]]:
    """Every error of the file and of its content, by line number."""
    errors = list(rows.errors)
    for error in content.errors:
        errors.append((rows.lines[(error.box, error.index)], FIELD_LABELS[error.field], error.message))
    errors.extend((0, "", message) for message in content.non_field)
    return sorted(errors, key=lambda e: e[0])
