"""Writes on contracts and numbers. Rule ids from domain.md in comments where enforced."""

import datetime as dt
import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
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
    if int(last) < int(first):
        raise ValidationError({"last": _("末尾番号は先頭番号以降の番号を指定してください。")})
    count = int(last) - int(first) + 1
    if count > MAX_STOCK_RANGE:
        raise ValidationError(
            {"last": _("一度に追加できるのは%(max)s件までです（指定: %(count)s件）。")
             % {"max": f"{MAX_STOCK_RANGE:,}", "count": f"{count:,}"}}
        )
    area = phone.area_code(first)
    if not last.startswith(area) or phone.area_code(last) != area:
        raise ValidationError({"last": _("先頭番号と末尾番号の市外局番が異なります。")})
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
        sample = "、".join(existing[:5])
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
                % {"number": number, "areas": "、".join(sorted(areas)) or "-"}
            )
    if problems:
        raise ValidationError({"numbers": problems[:20]})
    free = set(StockNumber.objects.filter(number__in=wanted).values_list("number", flat=True))
    missing = [n for n in wanted if n not in free]
    if missing:
        raise ValidationError(
            {"numbers": _("次の番号は空き番号ではありません: %(numbers)s")
             % {"numbers": "、".join(missing[:20])}}
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


def stock_free_counts(pools: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Free numbers per pool, in one query."""
    pools = set(pools)
    if not pools:
        return {}
    q = None
    for kind, area in pools:
        part = Q(kind=kind, area_code=area)
        q = part if q is None else q | part
    rows = (StockNumber.objects.filter(q).values_list("kind", "area_code").annotate(n=Count("id")))
    counts = {(kind, area): n for kind, area, n in rows}
    return {pool: counts.get(pool, 0) for pool in pools}


_DIALIN_COLUMNS = (
    "number, kind, base_number_id, status, activated_on, source, message_box, "
    "anonymous_call_rejection, nuisance_call_rejection, specific_number_notification, "
    "forwarding_specific_number"
)


OPTION_DEFAULTS = {"message_box": False, "anonymous_call_rejection": False, "nuisance_call_rejection": False,
                   "specific_number_notification": "", "forwarding_specific_number": ""}


def numbers_issue_many(
    *, allocations: list[tuple[BaseNumber, str, int] | tuple[BaseNumber, str, int, dict]], source: str,
    day: dt.date,
) -> list[str]:
    """Issue new numbers for several rows (base number, kind, count): one statement per pool.

    On PostgreSQL one statement moves a pool's numbers: free rows picked lowest first with FOR
    UPDATE SKIP LOCKED (concurrent issuers take different rows and never wait on each other),
    deleted from stock, numbered, and inserted as dial-ins on their rows' base numbers (each row
    takes its slice), all in the caller's transaction. The unique constraint and the cross-table
    guard are the last word against a duplicate. Raises InsufficientStock (the caller rolls
    back) when a pool has fewer free rows than asked.
    """
    pools: dict[tuple[str, str], list[tuple[int, int, dict]]] = {}
    for base_number, kind, count, *rest in allocations:
        options = {**OPTION_DEFAULTS, **(rest[0] if rest else {})}
        pools.setdefault(stock_pool(base_number=base_number, kind=kind), []).append((base_number.pk, count, options))
    issued: list[str] = []
    for (kind, area), rows in pools.items():
        wanted = sum(row[1] for row in rows)
        got = _issue_pool(kind=kind, area=area, rows=rows, source=source, day=day)
        if len(got) != wanted:
            raise InsufficientStock(kind=kind, area=area, wanted=wanted, got=len(got))
        issued.extend(got)
    return issued


def _issue_pool(*, kind: str, area: str, rows: list[tuple[int, int, dict]], source: str, day: dt.date) -> list[str]:
    stock, dialin = StockNumber._meta.db_table, DialInNumber._meta.db_table
    wanted = sum(count for _base, count, _options in rows)
    slots, low = [], 1
    for base_id, count, o in rows:  # row i takes numbers low..high of the pool's picks, in order
        slots.append((base_id, low, low + count - 1, o["message_box"], o["anonymous_call_rejection"],
                      o["nuisance_call_rejection"], o["specific_number_notification"],
                      o["forwarding_specific_number"]))
        low += count
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            slot_sql = ", ".join(["(%s::bigint, %s::int, %s::int, %s::bool, %s::bool, %s::bool, %s, %s)"] * len(slots))
            cursor.execute(
                f"""WITH picked AS (
                        SELECT id FROM {stock} WHERE kind = %s AND area_code = %s
                        ORDER BY number LIMIT %s FOR UPDATE SKIP LOCKED),
                    moved AS (
                        DELETE FROM {stock} s USING picked WHERE s.id = picked.id RETURNING s.number, s.kind),
                    numbered AS (
                        SELECT number, kind, row_number() OVER (ORDER BY number) AS rn FROM moved),
                    slots (base_id, lo, hi, mb, acr, ncr, sn, fs) AS (VALUES {slot_sql})
                    INSERT INTO {dialin} ({_DIALIN_COLUMNS})
                    SELECT n.number, n.kind, s.base_id, 'active', %s, %s, s.mb, s.acr, s.ncr, s.sn, s.fs
                    FROM numbered n JOIN slots s ON n.rn BETWEEN s.lo AND s.hi
                    RETURNING number""",
                [kind, area, wanted, *(v for slot in slots for v in slot), day, source],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite (embedded default): one writer at a time, so no locking clause is needed.
        cursor.execute(
            f"""DELETE FROM {stock} WHERE id IN (
                    SELECT id FROM {stock} WHERE kind = %s AND area_code = %s ORDER BY number LIMIT %s)
                RETURNING number, kind""",
            [kind, area, wanted],
        )
        moved = sorted(cursor.fetchall())
        params = []
        for base_id, lo, hi, *options in slots:
            params += [(number, k, base_id, "active", day, source, *options) for number, k in moved[lo - 1:hi]]
        cursor.executemany(
            f"INSERT INTO {dialin} ({_DIALIN_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", params)
        return [number for number, _k in moved]


def reserved_numbers_issue(
    *, code: ReservationCode, numbers: dict[str, BaseNumber | tuple[BaseNumber, dict]], source: str,
    day: dt.date,
) -> list[str]:
    """A held reservation code yields exactly its numbers, on the base numbers given, and is used up."""
    changed = ReservationCode.objects.filter(
        pk=code.pk, status=ReservationCode.Status.HELD, held_by=source
    ).update(status=ReservationCode.Status.USED, used_at=clock.now(), used_by=source, held_by="")
    if not changed:
        raise ValidationError(_("番号予約コード %(code)s はこのお申し込みで保留されていません。") % {"code": code.code})
    reserved, dialin = ReservedNumber._meta.db_table, DialInNumber._meta.db_table
    targets: dict[str, tuple[int, dict]] = {}
    for number, target in numbers.items():
        base, options = target if isinstance(target, tuple) else (target, {})
        targets[number] = (base.pk, {**OPTION_DEFAULTS, **options})
    issued: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {reserved} WHERE code_id = %s AND number IN ({', '.join(['%s'] * len(targets))}) "
            "RETURNING number, kind",
            [code.pk, *targets],
        )
        moved = cursor.fetchall()
        cursor.executemany(
            f"INSERT INTO {dialin} ({_DIALIN_COLUMNS}) VALUES (%s, %s, %s, 'active', %s, %s, %s, %s, %s, %s, %s)",
            [(number, kind, targets[number][0], day, source, *targets[number][1].values()) for number, kind in moved],
        )
        issued.extend(number for number, _kind in moved)
    left = ReservedNumber.objects.filter(code=code).count()
    if len(issued) != len(numbers) or left:
        raise ValidationError(
            _("番号予約コード %(code)s の番号が予約内容と一致しません。") % {"code": code.code})
    return issued


def reservation_code_hold(*, code: ReservationCode, holder: str) -> bool:
    """Held at submit: only an available, unexpired code is taken, and by one order only."""
    return bool(ReservationCode.objects.filter(
        pk=code.pk, status=ReservationCode.Status.AVAILABLE, expires_at__gt=clock.now()
    ).update(status=ReservationCode.Status.HELD, held_by=holder))


def reservation_code_release(*, holder: str) -> int:
    """A cancelled order gives its held codes back."""
    return ReservationCode.objects.filter(status=ReservationCode.Status.HELD, held_by=holder).update(
        status=ReservationCode.Status.AVAILABLE, held_by="")


def ported_numbers_issue(*, numbers: list[tuple[str, BaseNumber, dict]], source: str, day: dt.date) -> list[str]:
    """Numbers ported in from another carrier (番号ポータビリティ) become dial-in numbers; they come
    from no stock, so the unique constraint and the cross-table guard refuse one already here."""
    dialin = DialInNumber._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {dialin} ({_DIALIN_COLUMNS}) VALUES (%s, %s, %s, 'active', %s, %s, %s, %s, %s, %s, %s)",
            [(number, phone.KIND_0AJ, base.pk, day, source, *{**OPTION_DEFAULTS, **options}.values())
             for number, base, options in numbers],
        )
    return [number for number, _base, _options in numbers]
