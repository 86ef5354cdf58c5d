"""The REST API (/api/v1/) under load and end to end: the production server (gunicorn, DEBUG off,
portal/gunicorn_conf.py) against a bare django-ninja floor (bench/api_floor.py: the same key
authentication, database, connection and cache settings, one indexed query) started in the same run
with the same workers, loaded by `wrk` in turn (floor, API; then API, floor), ROUNDS rounds. One
line per read:

    api=order_get ratio_min=<x> ratio_median=<x> ratio_max=<x> rps_median=<n>
    api=orders_list ratio_min=<x> ratio_median=<x> ratio_max=<x> rps_median=<n>

ratio = the API's requests/s over the floor's in the same round. order_get: GET /orders/{request_id}
of an order half-way through the history (one item, its timeline, its issued number) against the
floor's one-row lookup; orders_list: GET /orders?limit=50&cursor=… 50 orders half-way through
100,000 against the floor's 50 rows of the summary's fields by the same keyset. Then, with a real
Celery worker (prefork, 2 processes) on the bench Redis queue, the time from the POST until a GET
shows the order completed (工事了; then GET /orders/{request_id} must show every number issued),
median of several fresh orders after one warm-up order. The 1-number order is watched on its own
GET every 5 ms; the CSV order on GET /orders?limit=1&contract=… every 20 ms (its own GET lists
1,000 items and takes about 0.1 s: polling it would take CPU from the worker being timed):

    api=order_create_1 seconds_median=<s>            POST /orders, immediate, 1 number
    webhook=order_activated seconds_median=<s>       POST /orders (1 number) until a local receiver has
                                                     the order.activated event, signature verified
    api=order_create_csv_10000 seconds_median=<s>    POST /orders/csv, 10,000 rows of 1 number each
                                                     (nan when the server has no such endpoint)
    clock=advance_100_orders seconds_median=<s>      100 scheduled orders of one organisation (a fresh one
                                                     each run), one POST /test-clock/advance past their
                                                     竣工, until GET /test-clock says ready
    targets=met|missed    (both reads ratio_median >= 0.7, create_1 and the webhook < 1 s, csv_10000 < 5 s,
                           the clock advance < 10 s)

On stderr: the floor's requests/s, how long the POSTs themselves took, the settings.

Every request carries `Authorization: Bearer <key>` (a fresh key per run, portal.apikeys); every
POST a new Idempotency-Key. The servers run with PORTAL_API_RATE_PER_MINUTE=0 (no per-key limit).

Needs PostgreSQL and Redis (DATABASE_URL / CELERY_BROKER_URL of `make test`, else the local
defaults) and Debian's `wrk`. Its own database (portal_api_bench, kept between runs: the 100,000
orders with their items, timelines and issued numbers are made once, in bulk SQL; stock is topped
up as runs consume it) and Redis database 7 (cache and broker).

    .venv/bin/python bench/api.py            # ROUNDS=3 SECONDS=5 CONNECTIONS=16, 5 + 3 creates
    .venv/bin/python bench/api.py --quick    # ROUNDS=2 SECONDS=2, 3 + 1 creates (about a minute)
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import common  # noqa: E402
from bench.common import (  # noqa: E402
    CONNECTIONS,
    ORDERS,
    WORKERS,
    bench_env,
    database_ensure,
    serve,
)
from bench.common import wrk as wrk_run  # noqa: E402
from bench.ports import free_ports  # noqa: E402 - after the project root is on the path

ROUNDS, SECONDS = common.ROUNDS, common.SECONDS  # --quick lowers them (and wrk's SECONDS with them)

CREATE_RUNS, CSV_RUNS, CSV_ROWS = 5, 3, 10_000
TARGET_RATIO, TARGET_CREATE_1, TARGET_CSV, TARGET_CLOCK = 0.7, 1.0, 5.0, 10.0
CLOCK_ORDERS, CLOCK_RUNS = 100, 3
E2E_TIMEOUT = 120.0
STOCK_RANGE = 100_000

DB_NAME = "portal_api_bench"
WORK = Path(tempfile.mkdtemp(prefix="api-bench-"))
DB_URL, ADMIN_DB_URL, ENV = bench_env(
    db_name=DB_NAME, redis_db=7, secret_key="bench-api-only-secret-key-0123456789abcdefghijkl", work=WORK,
    PORTAL_API_RATE_PER_MINUTE="0", WEBHOOKS_ALLOW_PRIVATE="true", PORTAL_DEMO_CLOCK="true")
os.environ.update(ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
(WORK / "static").mkdir()

# The bench's customer: history on one N番, 1-number orders on a second (both in one voice group),
# the 10,000-row CSV on a third with 10,000 base numbers, in a voice group of its own (an immediate
# order's check, orders.content.content_check, loads every base number of its group: in the same
# group the 10,000 would add about 0.25 s to each 1-number order's POST); each stock pool starts at
# its first 100,000-number range.
HISTORY_CONTRACT, HISTORY_BASE = "N900000001", "0312345678"
ONE_CONTRACT, ONE_BASE, ONE_POOL = "N900000002", "0612340000", ("0AJ", "06", 612_500_000)
CSV_CONTRACT, CSV_POOL = "N900000003", ("0AJ", "052", 521_000_000)
CSV_BASES = [f"0529{i:06d}" for i in range(CSV_ROWS)]  # outside the 052 stock (0521…)
HISTORY_NUMBERS = 313_000_000  # the history's issued numbers: 0313000000…
CONTACT = {"name": "山田 太郎", "phone": "03-1111-2222", "email": "bench@example.com"}


# --- Data ------------------------------------------------------------------------------------------

def seed(stock_needed: dict[tuple[str, str], int]) -> str:
    """Migrated; one customer with ORDERS completed orders (made once), its N番 and base numbers,
    stock for this run; a fresh API key (the earlier runs' revoked), returned."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from numbering.models import BaseNumber, VoiceContract, VoiceGroup
    from orders.models import Order
    from portal import clock
    from portal.apikeys import api_key_create
    from portal.models import ApiKey, Organisation, User

    call_command("migrate", verbosity=0)
    org, _ = Organisation.objects.get_or_create(code="BENCH", defaults={"name": "ベンチ株式会社"})
    user = User.objects.filter(username="bench").first() or User.objects.create_user(
        username="bench", password="bench-api-password", organisation=org, email="bench@example.com")
    group, _ = VoiceGroup.objects.get_or_create(group_id="GBENCH", defaults={"organisation": org})
    csv_group, _ = VoiceGroup.objects.get_or_create(group_id="GBENCHCSV", defaults={"organisation": org})
    contracts = {}
    for number, in_group in ((HISTORY_CONTRACT, group), (ONE_CONTRACT, group), (CSV_CONTRACT, csv_group)):
        contracts[number] = VoiceContract.objects.filter(number=number).first() or VoiceContract.objects.create(
            voice_group=in_group, number=number, holder_name=org.name, installation_address="東京都千代田区1-1",
            oaj_used=True)
        if contracts[number].voice_group_id != in_group.pk:  # a database from before the groups were split
            VoiceContract.objects.filter(pk=contracts[number].pk).update(voice_group=in_group)
    wanted = {HISTORY_BASE: contracts[HISTORY_CONTRACT], ONE_BASE: contracts[ONE_CONTRACT],
              **dict.fromkeys(CSV_BASES, contracts[CSV_CONTRACT])}
    have = set(BaseNumber.objects.filter(number__in=list(wanted)).values_list("number", flat=True))
    # In no representative group (representative_size NULL), so E8 never limits them.
    BaseNumber.objects.bulk_create([BaseNumber(contract=c, number=n, kind="0AJ", representative_size=None)
                                    for n, c in wanted.items() if n not in have], batch_size=5000)
    history = Order.objects.filter(contract=contracts[HISTORY_CONTRACT])
    if history.count() != ORDERS:
        started = time.perf_counter()
        history_build(org.pk, contracts[HISTORY_CONTRACT].pk, user.pk)
        print(f"# history: {ORDERS:,} orders made in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    for (kind, area, start), need in stock_needed.items():
        stock_ensure(kind, area, start, need)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=clock.now())
    _row, key = api_key_create(user=user, name="bench/api.py")
    return key


def history_build(org_id: int, contract_id: int, user_id: int) -> None:
    """ORDERS immediate orders as the portal leaves them once completed, one a minute from
    2020-01-01: one item of one 0AJ number, the four timeline entries, the issued number. Bulk
    SQL in one transaction (every guard and trigger runs, the numbers check at commit)."""
    from django.db import connection, transaction

    from numbering.models import BaseNumber, DialInNumber
    from orders.models import Order, OrderEvent, OrderItem

    base_id = BaseNumber.objects.get(number=HISTORY_BASE).pk
    order, item, event, dialin = (m._meta.db_table for m in (Order, OrderItem, OrderEvent, DialInNumber))
    mine = f"SELECT id, request_id, submitted_at FROM {order} WHERE contract_id = %(contract)s"
    params = {"org": org_id, "contract": contract_id, "user": user_id, "base": base_id, "n": ORDERS,
              "numbers": HISTORY_NUMBERS}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {dialin} WHERE base_number_id = %(base)s", params)
        cursor.execute(f"DELETE FROM {event} WHERE order_id IN (SELECT id FROM ({mine}) o)", params)
        cursor.execute(f"DELETE FROM {item} WHERE order_id IN (SELECT id FROM ({mine}) o)", params)
        cursor.execute(f"DELETE FROM {order} WHERE contract_id = %(contract)s", params)
        cursor.execute(f"""
            INSERT INTO {order} (id, request_id, organisation_id, contract_id, channel, flow, kind_label, language,
                site_url, status, submitted_at, activated_on, completion_due_on, completed_on, contact_name,
                contact_department, contact_phone, contact_email, desired_time, desired_reason, network_changes,
                details, created_by_id)
            SELECT gen_random_uuid(), '1' || lpad(i::text, 10, '0'), %(org)s, %(contract)s, 'portal', 'immediate',
                'ダイヤルイン番号の追加', 'ja', 'http://127.0.0.1', 'completed', at, day, day, day, '山田 太郎',
                '情報システム部', '0311112222', 'bench@example.com', '', '', '[]', '{{}}', %(user)s
            FROM (SELECT i, timestamptz '2020-01-01 00:00+00' + i * interval '1 minute' AS at,
                         ((timestamptz '2020-01-01 00:00+00' + i * interval '1 minute')
                          AT TIME ZONE 'Asia/Tokyo')::date AS day
                  FROM generate_series(0, %(n)s - 1) i) s""", params)
        cursor.execute(f"""
            INSERT INTO {item} (order_id, position, base_number_id, kind, quantity, reserved_number, ported_number,
                port, message_box, anonymous_call_rejection, nuisance_call_rejection, specific_number_notification,
                forwarding_specific_number)
            SELECT id, 1, %(base)s, '0AJ', 1, '', '', '{{}}', false, false, false, '', '' FROM ({mine}) o""", params)
        cursor.execute(f"""
            INSERT INTO {event} (order_id, at, from_status, to_status, actor, user_id, note_code, note_params, note)
            SELECT o.id, o.submitted_at + e.after, e.from_status, e.to_status, e.actor,
                   CASE WHEN e.actor = 'customer' THEN %(user)s END, e.code, e.params::jsonb, ''
            FROM ({mine}) o CROSS JOIN (VALUES
                (interval '0', '', 'accepted', 'customer', 'accepted', '{{}}'),
                (interval '1 second', 'accepted', 'in_construction', 'worker', 'construction_started', '{{}}'),
                (interval '2 seconds', 'in_construction', 'activated', 'worker', 'issued', '{{"count": 1}}'),
                (interval '2 seconds', 'activated', 'completed', 'system', 'completed_at_activation', '{{}}'))
                AS e(after, from_status, to_status, actor, code, params)""", params)
        cursor.execute(f"""
            INSERT INTO {dialin} (number, kind, base_number_id, status, activated_on, source, message_box,
                anonymous_call_rejection, nuisance_call_rejection, specific_number_notification,
                forwarding_specific_number)
            SELECT lpad((%(numbers)s + right(request_id, 10)::bigint)::text, 10, '0'), '0AJ', %(base)s, 'active',
                   (submitted_at AT TIME ZONE 'Asia/Tokyo')::date, request_id, false, false, false, '', ''
            FROM ({mine}) o""", params)


def stock_ensure(kind: str, area: str, start: int, need: int) -> None:
    """At least `need` free numbers in the pool: fresh 100,000-number ranges above every number the
    pool ever had (free or issued)."""
    from django.db.models import Max

    from numbering.models import DialInNumber, StockNumber
    from numbering.services import stock_add_range

    width = 10 if kind == "0AJ" else 11
    lo, hi = str(start).zfill(width), str(start + 100 * STOCK_RANGE).zfill(width)
    free = StockNumber.objects.filter(kind=kind, area_code=area).count()
    while free < need:
        known = [m.objects.filter(number__gte=lo, number__lt=hi).aggregate(m=Max("number"))["m"]
                 for m in (StockNumber, DialInNumber)]
        first = max((int(n) + 1 for n in known if n), default=start)
        free += stock_add_range(first=str(first).zfill(width), last=str(first + STOCK_RANGE - 1).zfill(width),
                                skip_existing=True)


# --- Servers and the worker ------------------------------------------------------------------------

def worker_start() -> subprocess.Popen:
    log = open(WORK / "worker.log", "wb")  # noqa: SIM115 - the worker's, closed with WORK
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "-P", "prefork", "-c", "2", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "-l", "WARNING", "--purge"],
        cwd=ROOT, env={**ENV, "DJANGO_SETTINGS_MODULE": "portal.settings"}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)


def worker_ready(worker: subprocess.Popen) -> None:
    from portal.celery import app

    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the Celery worker did not start:\n" + worker_log()[-3000:])


def worker_log() -> str:
    return (WORK / "worker.log").read_text(errors="replace")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own session: the server or worker and its children
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- HTTP ------------------------------------------------------------------------------------------

class Client:
    def __init__(self, base: str, key: str) -> None:
        self.base, self.key = base, key

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "",
                ok: tuple[int, ...] = (200,)) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {self.key}"}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {"body": raw[:500].decode(errors="replace")}
        if status not in ok:
            raise RuntimeError(f"{method} {path}: {status} {json.dumps(data, ensure_ascii=False)[:2000]}")
        return status, data

    def get(self, path: str) -> dict:
        return self.request("GET", path)[1]


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = bytearray()
    for name, value in fields.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()
    for name, (filename, data, content_type) in files.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def wrk(url: str, key: str) -> float:
    """Requests per second for SECONDS under CONNECTIONS connections, with the key."""
    return wrk_run(url, f"Authorization: Bearer {key}")[0]


# --- End to end ------------------------------------------------------------------------------------

def completed_wait(client: Client, request_id: str, numbers: int, started: float, every: float,
                   worker: subprocess.Popen, poll: str = "") -> float:
    """Seconds from `started` until a GET shows the order completed (工事了); then GET
    /orders/{request_id} must show every number issued. `poll`: a cheaper GET to watch (its first
    row is the order), for an order whose own GET is large (a 10,000-row order's lists 1,000 items:
    polling it would take CPU from the worker being timed)."""
    while True:
        order = client.get(poll)["data"][0] if poll else client.get(f"/api/v1/orders/{request_id}")
        if order["request_id"] != request_id:
            raise RuntimeError(f"{poll}: {order['request_id']} is first, not {request_id}")
        if order["status"] == "completed":
            elapsed = time.perf_counter() - started
            if poll:
                order = client.get(f"/api/v1/orders/{request_id}")
            if order["status_label"] != "工事了" or order["issued_count"] != numbers:
                raise RuntimeError(f"{request_id}: {order['status_label']}, {order['issued_count']} of {numbers} "
                                   "numbers issued")
            return elapsed
        if order["status"] == "error" or worker.poll() is not None or "Traceback" in worker_log():
            raise RuntimeError(f"{request_id}: {order['status']}; worker log:\n{worker_log()[-3000:]}")
        if time.perf_counter() - started > E2E_TIMEOUT:
            raise RuntimeError(f"{request_id} not completed within {E2E_TIMEOUT:.0f} s")
        time.sleep(every)


POSTED: dict[str, list[float]] = {"order_create_1": [], "order_create_csv": []}  # the POST's own seconds


def create_1(client: Client, worker: subprocess.Popen) -> float:
    body = json.dumps({"flow": "immediate", "rows": [{"base": ONE_BASE, "kind": "0AJ", "quantity": 1}],
                       "contact": CONTACT}, ensure_ascii=False).encode()
    started = time.perf_counter()
    _status, placed = client.request("POST", "/api/v1/orders", body, "application/json", ok=(201,))
    POSTED["order_create_1"].append(time.perf_counter() - started)
    return completed_wait(client, placed["data"][0]["request_id"], 1, started, 0.005, worker)


def csv_file(bases: list[str]) -> bytes:
    from orders.csv_input import COLUMNS

    lines = [",".join(COLUMNS), *(f"{base},0AJ,1," for base in bases)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")


def create_csv(client: Client, bases: list[str], worker: subprocess.Popen) -> float | None:
    """Seconds for a CSV order of one number per base number; None when there is no CSV endpoint."""
    body, content_type = multipart(
        {"flow": "immediate", "contact_name": CONTACT["name"], "contact_phone": CONTACT["phone"],
         "contact_email": CONTACT["email"]}, {"file": ("bench.csv", csv_file(bases), "text/csv")})
    started = time.perf_counter()
    status, placed = client.request("POST", "/api/v1/orders/csv", body, content_type, ok=(201, 404, 405))
    if status != 201:  # 405: POST /orders/csv is GET /orders/{request_id} on a server without it
        return None
    POSTED["order_create_csv"].append(time.perf_counter() - started)
    [order] = placed["data"]
    return completed_wait(client, order["request_id"], len(bases), started, 0.02, worker,
                          poll=f"/api/v1/orders?limit=1&contract={CSV_CONTRACT}")


# --- Main ------------------------------------------------------------------------------------------

class Receiver:
    """A program's webhook receiver on a free local port: records when each verified event came."""

    def __init__(self) -> None:
        import http.server
        import threading

        self.secret = ""
        self.seen: list[tuple[float, dict]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                from standardwebhooks import Webhook

                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                event = Webhook(receiver.secret).verify(body, {k.lower(): v for k, v in self.headers.items()})
                receiver.seen.append((time.perf_counter(), event))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def activated(self, request_id: str, started: float) -> float:
        """Seconds from `started` until the verified order.activated of `request_id` arrived."""
        while time.perf_counter() - started < E2E_TIMEOUT:
            for at, event in self.seen:
                if event["type"] == "order.activated" and event["data"]["request_id"] == request_id:
                    return at - started
            time.sleep(0.002)
        raise RuntimeError(f"no order.activated for {request_id} within {E2E_TIMEOUT:.0f} s")


def webhook_activated(client: Client, receiver: Receiver) -> float:
    body = json.dumps({"flow": "immediate", "rows": [{"base": ONE_BASE, "kind": "0AJ", "quantity": 1}],
                       "contact": CONTACT}, ensure_ascii=False).encode()
    started = time.perf_counter()
    _status, placed = client.request("POST", "/api/v1/orders", body, "application/json", ok=(201,))
    return receiver.activated(placed["data"][0]["request_id"], started)


def clock_organisation(run: int) -> tuple[str, str, object]:
    """A fresh organisation (its clock starts where the installation's is), its N番 with one 0AJ
    base number and a registered NW address, and a key for it."""
    from numbering.models import BaseNumber, NetworkAddress, VoiceContract, VoiceGroup
    from portal.apikeys import api_key_create
    from portal.models import Organisation, User

    tag = f"{int(time.time()) % 100_000:05d}{run}"
    org = Organisation.objects.create(code=f"BCLK{tag}", name=f"時計ベンチ{tag}")
    user = User.objects.create_user(username=f"bclk{tag}", password="bench-clock-password", organisation=org,
                                    email=f"bclk{tag}@example.com")
    group = VoiceGroup.objects.create(group_id=f"GC{tag}", organisation=org)
    contract = VoiceContract.objects.create(voice_group=group, number=f"N8{tag}{run:02d}"[:10].ljust(10, "0"),
                                            holder_name=org.name, installation_address="東京都千代田区1-1",
                                            oaj_used=True)
    base = f"0659{tag}"[:10]
    BaseNumber.objects.create(contract=contract, number=base, kind="0AJ")
    NetworkAddress.objects.create(contract=contract, network="10.8.0.0", prefix_length=24)
    return api_key_create(user=user, name="bench/api.py clock")[1], contract.number, (org.pk, base)


def clock_advance(base_url: str, run: int) -> float:
    """CLOCK_ORDERS scheduled orders of one number on one organisation, then one advance of its
    clock past their 竣工: seconds from the POST until GET /test-clock says ready (every order
    then completed)."""
    import datetime as dt

    from orders.lead_times import earliest_date
    from portal import clock

    key, contract, (org_id, base) = clock_organisation(run)
    client = Client(base_url, key)
    with clock.of(org_id):
        day = earliest_date(items={"dialin"})
    body = json.dumps({"flow": "scheduled", "contract": contract, "contact": CONTACT,
                       "construction": {"date": day.isoformat(), "reason": "接続試験のため"},
                       "items": [{"type": "dialin", "rows": [{"base": base, "kind": "0AJ", "quantity": 1}]}]},
                      ensure_ascii=False).encode()
    for _ in range(CLOCK_ORDERS):
        client.request("POST", "/api/v1/orders", body, "application/json", ok=(201,))
    to = dt.datetime.combine(day + dt.timedelta(days=7), dt.time(12), tzinfo=clock.JST)
    started = time.perf_counter()
    client.request("POST", "/api/v1/test-clock/advance", json.dumps({"to": to.isoformat()}).encode(),
                   "application/json", ok=(202,))
    while client.get("/api/v1/test-clock")["status"] != "ready":
        if time.perf_counter() - started > E2E_TIMEOUT:
            raise RuntimeError(f"the test clock of {contract} not ready within {E2E_TIMEOUT:.0f} s")
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    done = client.get(f"/api/v1/orders?contract={contract}&status=completed&limit=200")["data"]
    if len(done) != CLOCK_ORDERS:
        raise RuntimeError(f"{len(done)} of {CLOCK_ORDERS} orders completed by the advance")
    return elapsed


def main() -> None:
    global ROUNDS, SECONDS, CREATE_RUNS, CSV_RUNS, CLOCK_RUNS
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="ROUNDS=2 SECONDS=2, 3 one-number and 1 CSV order")
    if parser.parse_args().quick:
        ROUNDS, SECONDS, CREATE_RUNS, CSV_RUNS, CLOCK_RUNS = 2, 2, 3, 1, 1
        common.SECONDS = SECONDS
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the servers are stopped on kill too
    database_ensure(ADMIN_DB_URL, DB_NAME)
    key = seed({ONE_POOL: 4 * (CREATE_RUNS + 1) + CLOCK_RUNS * CLOCK_ORDERS + 10,
                CSV_POOL: 2 * (CSV_RUNS * CSV_ROWS + 10)})
    api_port, floor_port = free_ports(2)
    processes = [worker_start()]
    try:
        processes.append(serve(None, "portal.settings", api_port, ENV, probe="/api/v1/nowhere",
                               log=WORK / f"gunicorn-{api_port}.log"))
        processes.append(serve("django.core.wsgi:get_wsgi_application()", "bench.api_floor", floor_port, ENV,
                               log=WORK / f"gunicorn-{floor_port}.log"))
        worker_ready(processes[0])
        from orders.models import Order
        from portal.api import cursor_encode

        base, floor = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{floor_port}"
        client = Client(base, key)
        halfway = Order.objects.filter(contract__number=HISTORY_CONTRACT).order_by("-submitted_at", "-request_id")[
            ORDERS // 2]  # the orders this bench places are newer: the page after it is all history
        cursor = cursor_encode([round(halfway.submitted_at.timestamp() * 1_000_000), halfway.request_id])
        reads = {
            "order_get": (f"/api/v1/orders/{halfway.request_id}", f"/floor/orders/{halfway.request_id}"),
            "orders_list": (f"/api/v1/orders?limit=50&cursor={cursor}", f"/floor/orders?cursor={cursor}"),
        }
        order = client.get(reads["order_get"][0])  # 200, the order with its item, timeline and number
        assert order["status"] == "completed" and order["issued_count"] == 1 and len(order["timeline"]) == 4, order
        page = client.get(reads["orders_list"][0])
        assert len(page["data"]) == 50 and page["next_cursor"], page
        assert Client(floor, key).get(reads["order_get"][1])["status"] == "completed"
        floor_page = Client(floor, key).get(reads["orders_list"][1])["data"]
        assert [r["request_id"] for r in floor_page] == [r["request_id"] for r in page["data"]]
        for api_path, floor_path in reads.values():  # warm both servers' workers
            wrk(base + api_path, key)
            wrk(floor + floor_path, key)
        ratios: dict[str, list[float]] = {name: [] for name in reads}
        rps: dict[str, list[float]] = {name: [] for name in reads}
        floor_rpss: dict[str, list[float]] = {name: [] for name in reads}
        for round_no in range(ROUNDS):
            for name, (api_path, floor_path) in reads.items():
                if round_no % 2 == 0:
                    floor_rps = wrk(floor + floor_path, key)
                    api_rps = wrk(base + api_path, key)
                else:
                    api_rps = wrk(base + api_path, key)
                    floor_rps = wrk(floor + floor_path, key)
                ratios[name].append(api_rps / floor_rps)
                rps[name].append(api_rps)
                floor_rpss[name].append(floor_rps)
        met = True
        for name in reads:
            r = ratios[name]
            print(f"api={name} ratio_min={min(r):.2f} ratio_median={statistics.median(r):.2f} "
                  f"ratio_max={max(r):.2f} rps_median={statistics.median(rps[name]):.0f}", flush=True)
            met &= statistics.median(r) >= TARGET_RATIO
        floor_medians = (f"{name}={statistics.median(v):.0f}" for name, v in floor_rpss.items())
        print("# floor rps_median: " + ", ".join(floor_medians), file=sys.stderr)

        worker = processes[0]
        create_1(client, worker)  # warm-up: the placement, the task and the poll, once
        ones = [create_1(client, worker) for _ in range(CREATE_RUNS)]
        print(f"api=order_create_1 seconds_median={statistics.median(ones):.3f}", flush=True)
        met &= statistics.median(ones) < TARGET_CREATE_1

        # Webhooks: submit → the local receiver has the verified order.activated (1 number).
        receiver = Receiver()
        _status, endpoint = client.request("POST", "/api/v1/webhook-endpoints", json.dumps(
            {"url": receiver.url, "events": ["order.activated"]}).encode(), "application/json", ok=(201,))
        receiver.secret = endpoint["secret"]
        webhook_activated(client, receiver)  # warm-up
        hooks = [webhook_activated(client, receiver) for _ in range(CREATE_RUNS)]
        print(f"webhook=order_activated seconds_median={statistics.median(hooks):.3f}", flush=True)
        met &= statistics.median(hooks) < TARGET_CREATE_1
        client.request("DELETE", f"/api/v1/webhook-endpoints/{endpoint['id']}", ok=(204,))
        receiver.server.shutdown()

        advances = [clock_advance(base, run) for run in range(CLOCK_RUNS)]
        print(f"clock=advance_{CLOCK_ORDERS}_orders seconds_median={statistics.median(advances):.3f}", flush=True)
        met &= statistics.median(advances) < TARGET_CLOCK

        csvs: list[float] = []
        if create_csv(client, CSV_BASES[:10], worker) is None:  # warm-up, and is the endpoint there?
            print("# POST /api/v1/orders/csv answers 404/405: no CSV endpoint on this server", file=sys.stderr)
        else:
            csvs = [create_csv(client, CSV_BASES, worker) for _ in range(CSV_RUNS)]
        csv_median = statistics.median(csvs) if csvs else float("nan")
        print(f"api=order_create_csv_{CSV_ROWS} seconds_median={csv_median:.3f}", flush=True)
        met &= csv_median < TARGET_CSV  # nan: missed
        print("# of which the POST itself (median s): " + ", ".join(
            f"{name}={statistics.median(v[1:]):.3f}" for name, v in POSTED.items() if v[1:]), file=sys.stderr)
        print(f"# workers={WORKERS} connections={CONNECTIONS} seconds={SECONDS} rounds={ROUNDS} orders={ORDERS} "
              f"creates={CREATE_RUNS} csv_runs={len(csvs)} "
              f"db={'psycopg-pool' if ENV['DB_POOL'] == 'true' else 'conn_max_age=' + ENV['DB_CONN_MAX_AGE']} "
              f"rate_limit=off", file=sys.stderr, flush=True)
        print("targets=met" if met else "targets=missed", flush=True)
    finally:
        for process in reversed(processes):
            stop(process)
        from django.db import connections

        connections.close_all()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
