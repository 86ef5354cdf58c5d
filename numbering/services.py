"""Writes on contracts and numbers. Rule ids from domain.md in comments where enforced."""

import datetime as dt
import secrets
from collections.abc import Iterable
from functools import lru_cache
from itertools import accumulate, groupby
from operator import itemgetter
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from numbering import phone
from numbering.models import (
    BaseNumber,
    DialInNumber,
    ReservationCode,
    ReservedNumber,
    StockNumber,
    VoiceContract,
)
from portal import clock
from portal.i18n import list_text

MAX_STOCK_RANGE = 100_000
MAX_RESERVED_NUMBERS = 2_000
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def numbers_in_use(*, first: str, last: str) -> list[str]:
    """Numbers between first and last (same length) already free, reserved, issued or base."""
    found: list[str] = []
    for model in (StockNumber, ReservedNumber, DialInNumber, BaseNumber):
        found.extend(
            model.objects.alias(width=Length("number"))
            .filter(number__gte=first, number__lte=last, width=len(first))
            .values_list("number", flat=True)
        )
    return sorted(found)


def check_stock_range(*, first: str, last: str) -> tuple[str, str, str, int]:
    """Validate a range for stock; return (first, last, kind, count)."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        first = phone.validate(first)
    except ValidationError as exc:
        errors["first"] = exc.error_list
    try:
        last = phone.validate(last)
    except ValidationError as exc:
        errors["last"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    kind = phone.kind_of(first)
    if phone.kind_of(last) != kind:
        raise ValidationError({"last": _("先頭番号と末尾番号の番号種別が異なります。")})
    # The area code first: a range across area codes is named as such, not as a huge count.
    area = phone.area_code(first)
    if not last.startswith(area) or phone.area_code(last) != area:
        raise ValidationError({"last": _("先頭番号と末尾番号の市外局番が異なります（%(first)s と %(last)s）。")
                               % {"first": area, "last": phone.area_code(last)}})
    if int(last) < int(first):
        raise ValidationError({"last": _("末尾番号は先頭番号以降の番号を指定してください。")})
    count = int(last) - int(first) + 1
    if count > MAX_STOCK_RANGE:
        raise ValidationError(
            {"last": _("一度に追加できるのは%(max)s件までです（指定: %(count)s件）。")
             % {"max": f"{MAX_STOCK_RANGE:,}", "count": f"{count:,}"}}
        )
    return first, last, kind, count


@transaction.atomic
def stock_add_range(*, first: str, last: str, skip_existing: bool = False) -> int:
    """Add every number from first to last to the free stock in one statement.

    Numbers already known (free, reserved, issued or base) are an error, or skipped with
    skip_existing (used by the idempotent demo loader). Returns the count added.
    """
    first, last, kind, count = check_stock_range(first=first, last=last)
    area = phone.area_code(first)
    existing = numbers_in_use(first=first, last=last)
    if existing and not skip_existing:
        sample = list_text(existing[:5])
        raise ValidationError(
            {"first": _("範囲内の%(count)s件の番号は既に登録されています（%(sample)s など）。")
             % {"count": f"{len(existing):,}", "sample": sample}}
        )
    width = len(first)
    if connection.vendor == "postgresql":
        sql = (
            f"INSERT INTO {StockNumber._meta.db_table} (number, kind, area_code) "
            "SELECT num, %s, %s FROM (SELECT lpad(n::text, %s, '0') AS num "
            "FROM generate_series(%s::bigint, %s::bigint) n) s"
        )
        params: list = [kind, area, width, int(first), int(last)]
        if existing:
            sql += " WHERE NOT (num = ANY(%s))"
            params.append(existing)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount
    skip = set(existing)
    rows = (
        StockNumber(number=str(n).zfill(width), kind=kind, area_code=area)
        for n in range(int(first), int(last) + 1)
        if str(n).zfill(width) not in skip
    )
    created = StockNumber.objects.bulk_create(rows, batch_size=2000)
    return len(created)


def new_reservation_code() -> str:
    return "R" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(9))


def parse_number_list(text: str) -> list[str]:
    """Numbers one per line (or comma-separated); "first~last" gives a range."""
    numbers: list[str] = []
    for chunk in text.replace(",", "\n").replace("、", "\n").splitlines():
        chunk = chunk.strip().replace("〜", "~").replace("～", "~")
        if not chunk:
            continue
        if "~" in chunk:
            first, last = (phone.normalise(part) for part in chunk.split("~", 1))
            if not (first.isdigit() and last.isdigit()) or len(first) != len(last):
                raise ValidationError(_("範囲「%(chunk)s」の形式が正しくありません。") % {"chunk": chunk})
            if int(last) - int(first) >= MAX_RESERVED_NUMBERS:
                raise ValidationError(_("範囲「%(chunk)s」が大きすぎます。") % {"chunk": chunk})
            numbers.extend(str(n).zfill(len(first)) for n in range(int(first), int(last) + 1))
        else:
            numbers.append(phone.normalise(chunk))
    return numbers


def contract_area_codes(contract: VoiceContract) -> set[str]:
    """Area codes 0AJ numbers of this contract come from: its 0AJ base numbers' and its own."""
    areas = {
        phone.area_code(n)
        for n in contract.base_numbers.filter(kind=phone.KIND_0AJ).values_list("number", flat=True)
    }
    if contract.area_code:
        areas.add(contract.area_code)
    return areas


def check_reservation_numbers(*, contract: VoiceContract, numbers: Iterable[str]) -> list[str]:
    """Validate numbers for a new reservation code of this contract; return them sorted."""
    wanted = sorted(set(numbers))
    if not wanted:
        raise ValidationError({"numbers": _("予約する番号を1件以上指定してください。")})
    if len(wanted) > MAX_RESERVED_NUMBERS:
        raise ValidationError({"numbers": _("1つの予約コードで予約できる番号は2,000件までです。")})
    areas = contract_area_codes(contract)
    problems: list[str] = []
    for number in wanted:
        try:
            phone.validate(number)
        except ValidationError as exc:
            problems.extend(exc.messages)
            continue
        if phone.kind_of(number) == phone.KIND_0AJ and phone.area_code(number) not in areas:
            problems.append(
                _("%(number)s はこの契約の市外局番（%(areas)s）の番号ではありません。")
                % {"number": number, "areas": list_text(sorted(areas)) or "-"}
            )
    if problems:
        raise ValidationError({"numbers": problems[:20]})
    free = set(StockNumber.objects.filter(number__in=wanted).values_list("number", flat=True))
    missing = [n for n in wanted if n not in free]
    if missing:
        raise ValidationError(
            {"numbers": _("次の番号は空き番号ではありません: %(numbers)s")
             % {"numbers": list_text(missing[:20])}}
        )
    return wanted


@transaction.atomic
def reservation_code_issue(
    *,
    contract: VoiceContract,
    numbers: Iterable[str],
    expires_at: dt.datetime,
    code: str | None = None,
) -> ReservationCode:
    """Set chosen free numbers aside for one contract under a new code."""
    wanted = check_reservation_numbers(contract=contract, numbers=numbers)
    reservation = ReservationCode.objects.create(
        code=code or new_reservation_code(), contract=contract, expires_at=expires_at
    )
    # Move the rows out of stock in one statement; a number taken meanwhile fails the count.
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {StockNumber._meta.db_table} WHERE number IN "
            f"({', '.join(['%s'] * len(wanted))}) RETURNING number, kind, area_code",
            wanted,
        )
        moved = cursor.fetchall()
    if len(moved) != len(wanted):
        raise ValidationError({"numbers": _("予約中に他で使用された番号があります。もう一度お試しください。")})
    ReservedNumber.objects.bulk_create(
        ReservedNumber(code=reservation, number=number, kind=kind, area_code=area)
        for number, kind, area in moved
    )
    return reservation


# --- Issuance: free or reserved numbers become dial-in numbers, set-based -------------------

class InsufficientStock(Exception):
    """Fewer free numbers than asked for in a pool (kind, area code)."""

    def __init__(self, *, kind: str, area: str, wanted: int, got: int) -> None:
        super().__init__(f"{kind}/{area}: wanted {wanted}, got {got}")
        self.kind, self.area, self.wanted, self.got = kind, area, wanted, got


def issue_area_code(base_number: BaseNumber) -> str:
    """New 0AJ numbers come from the base number's area; a 050 base carries its contract's."""
    if base_number.kind == phone.KIND_0AJ:
        return phone.area_code(base_number.number)
    return base_number.contract.area_code


def stock_pool(*, base_number: BaseNumber, kind: str) -> tuple[str, str]:
    """The (kind, area code) pool new numbers of this kind for this base number come from."""
    return (kind, issue_area_code(base_number) if kind == phone.KIND_0AJ else "050")


def pool_for(*, base_kind: str, base_number: str, contract_area: str, kind: str) -> tuple[str, str]:
    """stock_pool's rule from plain values (no model instances: 10,000 rows stay cheap)."""
    # An area code is decided by a number's first six digits: one answer per prefix, cached.
    return _pool_for(kind, base_kind, base_number[:6], contract_area)


@lru_cache(maxsize=4096)
def _pool_for(kind: str, base_kind: str, base_prefix: str, contract_area: str) -> tuple[str, str]:
    if kind != phone.KIND_0AJ:
        return (kind, "050")
    return (kind, phone.area_code(base_prefix) if base_kind == phone.KIND_0AJ else contract_area)


def stock_free_counts(needed: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """Free numbers per pool (kind, area code), in one query, each pool counted only up to one more
    than the numbers needed from it (a shortfall is exact, plenty is never scanned)."""
    if not needed:
        return {}
    parts, params = [], []
    for (kind, area), need in needed.items():
        parts.append(f"SELECT %s, %s, (SELECT count(*) FROM (SELECT 1 FROM {StockNumber._meta.db_table} "
                     "WHERE kind = %s AND area_code = %s LIMIT %s) s)")
        params += [kind, area, kind, area, need + 1]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {(kind, area): n for kind, area, n in cursor.fetchall()}


_DIALIN_COLUMNS = (
    "number, kind, base_number_id, status, activated_on, source, message_box, "
    "anonymous_call_rejection, nuisance_call_rejection, specific_number_notification, "
    "forwarding_specific_number"
)


OPTION_DEFAULTS = {"message_box": False, "anonymous_call_rejection": False, "nuisance_call_rejection": False,
                   "specific_number_notification": "", "forwarding_specific_number": ""}


_NO_OPTIONS = tuple(OPTION_DEFAULTS.values())


class IssueRow(NamedTuple):
    """One row of an order to fill from a stock pool: count new numbers on a base number, with
    the options (付加機能) every one of them gets."""

    base_id: int
    kind: str
    area: str
    count: int
    message_box: bool = False
    anonymous_call_rejection: bool = False
    nuisance_call_rejection: bool = False
    specific_number_notification: str = ""
    forwarding_specific_number: str = ""


class _ContractAreas(dict):
    """contract id → area code, read from the database on first use."""

    def __missing__(self, contract_id: int) -> str:
        self[contract_id] = VoiceContract.objects.values_list("area_code", flat=True).get(pk=contract_id)
        return self[contract_id]


def numbers_issue_many(
    *, allocations: list[tuple[BaseNumber, str, int] | tuple[BaseNumber, str, int, dict]], source: str,
    day: dt.date,
) -> int:
    """Issue new numbers for rows given as (base number, kind, count[, options])."""
    areas = _ContractAreas()  # one query per contract (usually one), not one per base number
    make = IssueRow._make  # a comprehension over plain tuples: 10,000 rows cost a few milliseconds
    rows = [make((base.pk, *_pool_for(a[1], base.kind, base.number[:6], areas[base.contract_id]), a[2],
                  *({**OPTION_DEFAULTS, **a[3]}.values() if len(a) > 3 else _NO_OPTIONS)))
            for a in allocations for base in (a[0],)]
    return numbers_issue_rows(rows=rows, source=source, day=day)


def numbers_issue_rows(*, rows: Iterable[IssueRow], source: str, day: dt.date) -> int:
    """Issue new numbers for many rows: one statement per stock pool, linear in numbers.

    On PostgreSQL one statement moves a pool's numbers: free rows picked lowest first with FOR
    UPDATE SKIP LOCKED (concurrent issuers take different rows and never wait on each other),
    deleted from stock by their tuple ids (the picked rows are locked, so the ids hold; no index
    descent), numbered in number order, each number's row found by arithmetic (rows of one size)
    or width_bucket over the rows' lower bounds (a binary search), its base number by array
    subscript or, when options vary, an equality join on the row's ordinal; inserted as dial-ins,
    all in the caller's transaction. Pools are taken in a stable order. The unique constraint
    and the cross-table guard are the last word against a duplicate. Raises InsufficientStock
    (the caller rolls back) when a pool has fewer free rows than asked.
    """
    issued = 0
    # A stable sort keeps each pool's rows in the caller's order.
    for (kind, area), pool_rows in groupby(sorted(rows, key=_POOL_KEY), key=_POOL_KEY):
        issued += _issue_pool(kind=kind, area=area, rows=list(pool_rows), source=source, day=day)
    return issued


_POOL_KEY = itemgetter(1, 2)  # IssueRow → (kind, area)


def _csv(values) -> str:
    """A list for PostgreSQL's string_to_array: one parameter instead of thousands of adapted
    elements (psycopg adapts a 10,000-element list element by element, ~5 ms each)."""
    values = list(values)
    if values and isinstance(values[0], bool):
        return ",".join("t" if v else "f" for v in values)
    return ",".join(map(str, values))


def _lows(counts) -> list[int]:
    """The 1-based position of each row's first number among the pool's picks."""
    return list(accumulate(counts[:-1], initial=1))


def _issue_pool(*, kind: str, area: str, rows: list[IssueRow], source: str, day: dt.date) -> int:
    stock, dialin = StockNumber._meta.db_table, DialInNumber._meta.db_table
    # Columns (transposed at C speed): base_id, kind, area, count, then the five options.
    columns = list(zip(*rows, strict=True))
    counts = columns[3]
    wanted = sum(counts)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            base_ids = _csv(columns[0])
            if any(columns[4]) or any(columns[5]) or any(columns[6]) or any(columns[7]) or any(columns[8]):
                # Options vary by row: the row's values come by an equality join on its ordinal.
                select = ("s.base_id, 'active', %s, %s, s.mb, s.acr, s.ncr, s.sn, s.fs "
                          "FROM numbered n JOIN slots s USING (b)")
                slots = (""",
                    slots AS (
                        SELECT * FROM unnest(string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::bool[],
                                             string_to_array(%s, ',')::bool[], string_to_array(%s, ',')::bool[],
                                             %s::text[], %s::text[])
                        WITH ORDINALITY AS s(base_id, mb, acr, ncr, sn, fs, b))""")
                # Text arrays as lists: string_to_array('') would give no element for one empty value.
                params = [base_ids, *(_csv(column) for column in columns[4:7]), *map(list, columns[7:])]
            else:
                # The usual case, every option 契約しない: the base number by subscript (O(1) in an
                # array of bigint), no join at all.
                select = ("(SELECT string_to_array(%s, ',')::bigint[])[n.b], 'active', %s, %s, "
                          "false, false, false, '', '' FROM numbered n")
                slots, params = "", [base_ids]
            prefix = area if kind == phone.KIND_0AJ else "050"  # every number of the pool starts so
            # The next prefix as digits ("049" → "050"), so the bound holds in any collation.
            prefix_end = str(int(prefix) + 1).zfill(len(prefix)) if prefix else "99999999999"
            # The pick walks an index in number order whatever the planner's statistics say (stale
            # after bulk moves): a sequential or bitmap scan and a sort of the whole pool (seen: a
            # 100,000-number pool sorted to issue 10,000) would make the cost grow with the stock
            # instead of with the numbers issued.
            if counts.count(counts[0]) == len(counts):  # rows of one size: plain arithmetic
                bucket, bucket_param = "(row_number() OVER (ORDER BY number) - 1) / %s + 1", counts[0]
            else:
                # Row i takes the pool's picks number lows[i] .. lows[i+1]-1, in number order.
                bucket = "width_bucket(row_number() OVER (ORDER BY number), string_to_array(%s, ',')::bigint[])"
                bucket_param = _csv(_lows(counts))
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
            cursor.execute(
                f"""WITH picked AS (
                        SELECT ctid, number, kind FROM {stock}
                        WHERE kind = %s AND area_code = %s AND number >= %s AND number < %s
                        ORDER BY number LIMIT %s FOR UPDATE SKIP LOCKED),
                    moved AS (
                        DELETE FROM {stock} WHERE ctid = ANY(ARRAY(SELECT ctid FROM picked))),
                    numbered AS (
                        SELECT number, kind, {bucket} AS b FROM picked){slots}
                    INSERT INTO {dialin} ({_DIALIN_COLUMNS})
                    SELECT n.number, n.kind, {select}""",
                [kind, area, prefix, prefix_end, wanted, bucket_param, *params, day, source],
            )
            issued = cursor.rowcount
            cursor.execute("RESET enable_seqscan; RESET enable_bitmapscan")
        else:
            # SQLite (embedded default): one writer at a time, so no locking clause is needed.
            cursor.execute(
                f"""DELETE FROM {stock} WHERE id IN (
                        SELECT id FROM {stock} WHERE kind = %s AND area_code = %s ORDER BY number LIMIT %s)
                    RETURNING number, kind""",
                [kind, area, wanted],
            )
            moved = sorted(cursor.fetchall())
            params = []
            for row, lo in zip(rows, _lows(counts), strict=True):
                params += [(number, k, row.base_id, "active", day, source, *row[4:])
                           for number, k in moved[lo - 1:lo - 1 + row.count]]
            cursor.executemany(f"INSERT INTO {dialin} ({_DIALIN_COLUMNS}) "
                               "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", params)
            issued = len(params)
    if issued != wanted:
        raise InsufficientStock(kind=kind, area=area, wanted=wanted, got=issued)
    return issued


class TargetRow(NamedTuple):
    """A known number (reserved or ported) going onto a base number, with its options."""

    number: str
    base_id: int
    message_box: bool = False
    anonymous_call_rejection: bool = False
    nuisance_call_rejection: bool = False
    specific_number_notification: str = ""
    forwarding_specific_number: str = ""


def reserved_numbers_issue(*, code: ReservationCode, numbers: list[TargetRow], source: str, day: dt.date) -> int:
    """A held reservation code yields exactly its numbers, on the base numbers given, and is used up.
    One statement moves them (reserved → dial-in)."""
    changed = ReservationCode.objects.filter(
        pk=code.pk, status=ReservationCode.Status.HELD, held_by=source
    ).update(status=ReservationCode.Status.USED, used_at=clock.now(), used_by=source, held_by="")
    if not changed:
        raise ValidationError(_("番号予約コード %(code)s はこのお申し込みで保留されていません。") % {"code": code.code})
    reserved, dialin = ReservedNumber._meta.db_table, DialInNumber._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = [list(c) for c in zip(*numbers, strict=True)]
            cursor.execute(
                f"""WITH t AS (SELECT * FROM unnest(%s::text[], %s::bigint[], %s::bool[], %s::bool[], %s::bool[],
                                                   %s::text[], %s::text[]) AS t(number, base_id, mb, acr, ncr, sn, fs)),
                    moved AS (DELETE FROM {reserved} r USING t WHERE r.code_id = %s AND r.number = t.number
                              RETURNING r.number, r.kind)
                    INSERT INTO {dialin} ({_DIALIN_COLUMNS})
                    SELECT m.number, m.kind, t.base_id, 'active', %s, %s, t.mb, t.acr, t.ncr, t.sn, t.fs
                    FROM moved m JOIN t ON t.number = m.number""",
                [*columns, code.pk, day, source],
            )
            issued = cursor.rowcount
        else:
            by_number = {t.number: t for t in numbers}
            cursor.execute(
                f"DELETE FROM {reserved} WHERE code_id = %s AND number IN ({', '.join(['%s'] * len(numbers))}) "
                "RETURNING number, kind", [code.pk, *by_number])
            moved = cursor.fetchall()
            cursor.executemany(
                f"INSERT INTO {dialin} ({_DIALIN_COLUMNS}) VALUES (%s, %s, %s, 'active', %s, %s, %s, %s, %s, %s, %s)",
                [(n, kind, by_number[n].base_id, day, source, *by_number[n][2:]) for n, kind in moved])
            issued = len(moved)
    left = ReservedNumber.objects.filter(code=code).exists()
    if issued != len(numbers) or left:
        raise ValidationError(
            _("番号予約コード %(code)s の番号が予約内容と一致しません。") % {"code": code.code})
    return issued


def representative_groups_grow(*, added: dict[int, int]) -> None:
    """E8: numbers issued onto a base number in a representative group (代表) join it, in one
    statement. A base number in no group (size NULL) stays in none."""
    added = {pk: n for pk, n in added.items() if n}
    if not added:
        return
    table = BaseNumber._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""UPDATE {table} b SET representative_size = b.representative_size + a.n
                    FROM unnest(string_to_array(%s, ',')::bigint[], string_to_array(%s, ',')::int[]) AS a(id, n)
                    WHERE b.id = a.id AND b.representative_size IS NOT NULL""",
                [_csv(added), _csv(added.values())])
        else:
            cursor.executemany(
                f"UPDATE {table} SET representative_size = representative_size + %s "
                "WHERE id = %s AND representative_size IS NOT NULL", [(n, pk) for pk, n in added.items()])


def reservation_code_hold(*, code: ReservationCode, holder: str) -> bool:
    """Held at submit: only an available, unexpired code is taken, and by one order only."""
    return bool(ReservationCode.objects.filter(
        pk=code.pk, status=ReservationCode.Status.AVAILABLE, expires_at__gt=clock.now()
    ).update(status=ReservationCode.Status.HELD, held_by=holder))


def reservation_code_release(*, holder: str) -> int:
    """A cancelled order gives its held codes back."""
    return ReservationCode.objects.filter(status=ReservationCode.Status.HELD, held_by=holder).update(
        status=ReservationCode.Status.AVAILABLE, held_by="")


def ported_numbers_issue(*, numbers: list[TargetRow], source: str, day: dt.date) -> int:
    """Numbers ported in from another carrier (番号ポータビリティ) become dial-in numbers in one
    statement; they come from no stock, so the unique constraint and the cross-table guard
    refuse one already here."""
    dialin = DialInNumber._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""INSERT INTO {dialin} ({_DIALIN_COLUMNS})
                    SELECT t.number, %s, t.base_id, 'active', %s, %s, t.mb, t.acr, t.ncr, t.sn, t.fs
                    FROM unnest(%s::text[], %s::bigint[], %s::bool[], %s::bool[], %s::bool[], %s::text[],
                                %s::text[]) AS t(number, base_id, mb, acr, ncr, sn, fs)""",
                [phone.KIND_0AJ, day, source, *(list(c) for c in zip(*numbers, strict=True))],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {dialin} ({_DIALIN_COLUMNS}) VALUES (%s, %s, %s, 'active', %s, %s, %s, %s, %s, %s, %s)",
                [(t.number, phone.KIND_0AJ, t.base_id, day, source, *t[2:]) for t in numbers])
    return len(numbers)
