"""Issuance benchmark (prints its figures; not a test).

    .venv/bin/python bench/issuance.py [--runs 5] [--skip-worker]

On PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/portal_bench,
created and migrated here) it times:
  (a) one order of 10 rows × 2,000 numbers through the issuance service (order_activate);
  (b) 8 orders of 2,000 numbers issued concurrently (8 threads) from one stock;
and beside each, in the same run, the floor: one raw INSERT … SELECT generate_series(…) of the
same number of rows into a table created LIKE the dial-in table INCLUDING ALL (same columns,
primary key, unique and plain indexes, check constraints; no foreign key, no trigger).
Median of --runs runs after a warm-up. Then, with a real Celery worker process on Redis
(BENCH_BROKER_URL, default redis://127.0.0.1:6379/5): submit → completion e-mail stored and
delivered, for 1 number and for 20,000 numbers.
"""

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_bench")
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/5")
os.environ["DATABASE_URL"] = DB_URL
os.environ["CELERY_BROKER_URL"] = BROKER_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def ensure_database() -> None:
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    admin = DB_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


ensure_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from numbering.models import BaseNumber, DialInNumber, Organisation, StockNumber, VoiceContract  # noqa: E402
from numbering.services import stock_add_range  # noqa: E402
from orders.models import Draft, Order, SentMail  # noqa: E402
from orders.services import draft_create, draft_save, draft_submit, order_activate  # noqa: E402
from tests import factories  # noqa: E402

DIALIN = DialInNumber._meta.db_table
FLOOR = "bench_floor_dialin"


def reset() -> tuple:
    """A fresh organisation, contract and 20,000 free 050 numbers in one pool."""
    with transaction.atomic():
        SentMail.objects.all().delete()
        Order.objects.all().delete()
        Draft.objects.all().delete()
        DialInNumber.objects.all().delete()
        StockNumber.objects.all().delete()
        from numbering.models import VoiceGroup
        from portal.models import User

        User.objects.filter(username="bench").delete()
        BaseNumber.objects.all().delete()
        VoiceContract.objects.all().delete()
        VoiceGroup.objects.all().delete()
        Organisation.objects.all().delete()
    org = factories.organisation("BENCH", "ベンチ商事")
    user = factories.customer("bench", org)
    contract = factories.contract(org, "N199999999", base_numbers=[f"0312345{i:03d}" for i in range(20)])
    # Base numbers outside any representative group, so 1,000 numbers each pass E8 at submit.
    BaseNumber.objects.filter(contract=contract).update(representative_size=0)
    stock_add_range(first="05020000000", last="05020019999")
    with connection.cursor() as cursor:
        # Steady state, as autovacuum keeps it: no dead rows left by the previous run.
        for table in ("numbering_stocknumber", DIALIN, "numbering_reservednumber"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return user, contract


def submit(user, contract, rows: list[tuple[str, int]]) -> Order:
    draft = draft_create(user=user, voice_group=contract.voice_group)
    draft_save(draft=draft, finished=5, agreed=True, method=Draft.Method.SCREEN, base_numbers=[b for b, _ in rows],
               red_rows=[{"base": b, "kind": "050", "quantity": str(q)} for b, q in rows])
    [order] = draft_submit(draft_id=draft.pk, user=user)
    return order


def order_direct(contract, rows: list[tuple[str, int]]) -> Order:
    """An accepted order with these rows, as submit leaves it (E8 would refuse 2,000 numbers on one
    base number at submit; the issuance service is what is measured here)."""
    from orders.models import OrderItem
    from orders.services import request_id_new
    from portal import clock

    order = Order.objects.create(request_id=request_id_new(), organisation=contract.voice_group.organisation,
                                 contract=contract, flow="immediate", submitted_at=clock.now(),
                                 scheduled_on=clock.today(), contact_email="bench@example.com")
    bases = {b.number: b for b in contract.base_numbers.all()}
    OrderItem.objects.bulk_create(OrderItem(order=order, position=i + 1, base_number=bases[b], kind="050",
                                            quantity=q) for i, (b, q) in enumerate(rows))
    return order


def floor(rows: int) -> float:
    """One INSERT … SELECT generate_series of `rows` rows into a copy of the dial-in table."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR}")
        cursor.execute(f"CREATE TABLE {FLOOR} (LIKE {DIALIN} INCLUDING ALL)")
        cursor.execute("SELECT min(id) FROM numbering_basenumber")
        base_id = cursor.fetchone()[0]
        started = time.perf_counter()
        with transaction.atomic():
            cursor.execute(
                f"""INSERT INTO {FLOOR} (number, kind, base_number_id, status, activated_on, source, message_box,
                        anonymous_call_rejection, nuisance_call_rejection, specific_number_notification,
                        forwarding_specific_number)
                    SELECT '0503' || lpad(g::text, 7, '0'), '050', %s, 'active', CURRENT_DATE, '20000000001',
                           false, false, false, '', ''
                    FROM generate_series(1, %s) g""",
                [base_id, rows],
            )
        elapsed = time.perf_counter() - started
        cursor.execute(f"DROP TABLE {FLOOR}")
    return elapsed


def duplicates() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT number FROM {DIALIN} GROUP BY number HAVING count(*) > 1) d")
        return cursor.fetchone()[0]


def run_a() -> tuple[float, float, int, int]:
    user, contract = reset()
    order = order_direct(contract, [(f"0312345{i:03d}", 2000) for i in range(10)])
    started = time.perf_counter()
    order_activate(order_id=order.pk)
    elapsed = time.perf_counter() - started
    issued = DialInNumber.objects.filter(source=order.request_id).count()
    return elapsed, floor(20_000), issued, duplicates()


def run_b() -> tuple[float, float, int, int]:
    user, contract = reset()
    orders = [order_direct(contract, [(f"0312345{i:03d}", 2000)]) for i in range(8)]
    barrier = threading.Barrier(len(orders) + 1)
    errors: list[Exception] = []

    def work(order_id) -> None:
        try:
            barrier.wait()
            order_activate(order_id=order_id)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(o.pk,)) for o in orders]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    issued = DialInNumber.objects.filter(source__in=[o.request_id for o in orders]).count()
    return elapsed, floor(16_000), issued, duplicates()


def report(label: str, rows: int, runs: list[tuple[float, float, int, int]], target: float) -> None:
    service = statistics.median(r[0] for r in runs)
    floor_time = statistics.median(r[1] for r in runs)
    ratio = statistics.median(r[0] / r[1] for r in runs)
    issued = {r[2] for r in runs}
    dups = sum(r[3] for r in runs)
    print(f"{label}")
    print(f"  service : {service * 1000:8.1f} ms  {rows / service:10,.0f} numbers/s   (median of {len(runs)})")
    print(f"  floor   : {floor_time * 1000:8.1f} ms  {rows / floor_time:10,.0f} rows/s")
    print(f"  ratio   : {ratio:5.2f} (target ≤ {target})  issued per run: {sorted(issued)}  duplicates: {dups}")


def worker_timing(counts: list[int]) -> None:
    env = {**os.environ, "DATABASE_URL": DB_URL, "CELERY_BROKER_URL": BROKER_URL}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "solo", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-l", "WARNING", "-Q", "celery", "--purge"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(4)  # let the worker connect
        for count in counts:
            times = []
            for _ in range(3):
                user, contract = reset()
                rows = [(f"0312345{i:03d}", min(1000, count - i * 1000)) for i in range((count + 999) // 1000)]
                started = time.perf_counter()
                order = submit(user, contract, rows)
                while not SentMail.objects.filter(order=order, kind=SentMail.Kind.COMPLETED,
                                                  delivered_at__isnull=False).exists():
                    if time.perf_counter() - started > 120:
                        raise RuntimeError("no completion e-mail within 120 s")
                    time.sleep(0.005)
                times.append(time.perf_counter() - started)
            print(f"  submit → completion e-mail, {count:>6,} numbers: {statistics.median(times) * 1000:8.1f} ms "
                  f"(median of 3; target {'< 1 s' if count == 1 else 'none'})")
    finally:
        worker.terminate()
        worker.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-worker", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    print(f"PostgreSQL {connection.pg_version // 10000}, database {DB_URL.rsplit('/', 1)[1]}")
    print(f"Floor table: CREATE TABLE … (LIKE {DIALIN} INCLUDING ALL): primary key, unique(number), "
          "indexes (base_number_id), (base_number_id, number), (source, number), the O1–O3 and format check "
          "constraints; no foreign key and no trigger (the real table has both: the FK to base numbers and the "
          "statement-level cross-table guard, both counted in the service time).")
    run_a()  # warm-up
    report("(a) one order, 10 rows × 2,000 numbers = 20,000", 20_000, [run_a() for _ in range(args.runs)], 2)
    run_b()  # warm-up
    report("(b) 8 orders × 2,000 numbers concurrently = 16,000", 16_000, [run_b() for _ in range(args.runs)], 5)
    if not args.skip_worker:
        print("(c) a real Celery worker process on Redis")
        worker_timing([1, 20_000])
    reset()


if __name__ == "__main__":
    main()
