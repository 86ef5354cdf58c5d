"""Nothing is lost, tried with real processes: a worker SIGKILLed in the middle of a 20,000-number
activation, a broker that cannot be reached at submit, and `make run`'s worker and scheduler
killed. Each ends with the work done exactly once."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from numbering.models import BaseNumber, DialInNumber
from numbering.services import stock_add_range
from orders.drafts import draft_create, draft_save
from orders.models import Draft, Order, OrderItem, SentMail, Status
from orders.status import request_id_new
from portal import clock
from tests import factories

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def wait_for(condition, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def broker_url() -> str:
    """A Redis database of the tests' own (7, or 8 when the suite itself runs on 7)."""
    base, _sep, current = os.environ["CELERY_BROKER_URL"].rpartition("/")
    return f"{base}/{8 if current == '7' else 7}"


def process_env(tmp_path, **extra) -> dict:
    """The test database and a broker of our own, so no other worker takes the tasks."""
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=url, CELERY_BROKER_URL=broker_url(), PORTAL_VAR_DIR=str(tmp_path), EMAIL_BACKEND="file",
               EMAIL_FILE_PATH=str(tmp_path / "sent"), PORTAL_LOST_TASK_SECONDS="2", PORTAL_SWEEP_SECONDS="1",
               PORTAL_HEARTBEAT_SECONDS="1", DB_LOCK_TIMEOUT_MS="60000")
    env.update(extra)
    return env


def start(env, *args) -> subprocess.Popen:
    """A worker or beat process; its log goes to PORTAL_VAR_DIR (kept by pytest for a look)."""
    log = open(Path(env["PORTAL_VAR_DIR"]) / f"{args[0]}-{time.monotonic_ns()}.log", "w")  # noqa: SIM115
    return subprocess.Popen([CELERY, "-A", "portal", *args, "--loglevel", "INFO"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def worker(env) -> subprocess.Popen:
    return start(env, "worker", "-P", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat")


def stop(*processes) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def killed_mid_issue(env) -> list[subprocess.Popen]:
    """A worker and beat; the worker SIGKILLed in the middle of issuing numbers of the block
    0502000xxxx, then a second worker. The guard's lock on that block is held here, so the worker's
    issuing statement stops inside its transaction (stock rows deleted, dial-ins inserted) until it
    dies. Returns the processes still running (for stop())."""
    blocker = psycopg.connect(env["DATABASE_URL"], autocommit=True)
    blocker.execute("SELECT pg_advisory_lock(81, 502000)")
    first, beat = worker(env), start(env, "beat")
    try:
        wait_for(lambda: blocker.execute(
            "SELECT 1 FROM pg_stat_activity WHERE wait_event = 'advisory' AND datname = %s",
            [env["DATABASE_URL"].rsplit("/", 1)[1]]).fetchone(),
            what="the worker to be in the middle of issuing")
        os.killpg(first.pid, signal.SIGKILL)  # the worker dies with its transaction open
        first.wait(10)
        blocker.execute("SELECT pg_advisory_unlock(81, 502000)")
        return [worker(env), beat]
    except BaseException:
        stop(first, beat)
        raise
    finally:
        blocker.close()


def delivered_files(tmp_path, request_id: str) -> int:
    """Messages the file backend wrote (each send appends a message and a line of dashes)
    whose subject names the order."""
    from email import message_from_string
    from email.header import decode_header, make_header

    folder = tmp_path / "sent"
    if not folder.exists():
        return 0
    count = 0
    for path in folder.iterdir():
        for chunk in path.read_text(errors="replace").split("-" * 79):
            subject = message_from_string(chunk.strip()).get("Subject")
            count += bool(subject and request_id in str(make_header(decode_header(subject))))
    return count


def test_a_worker_killed_mid_activation_leaves_nothing_half_done(tmp_path):
    org = factories.organisation("ORG-K", "キル商事")
    contract = factories.contract(org, "N100000066", base_numbers=[f"0312345{i:03d}" for i in range(10)])
    stock_add_range(first="05020000000", last="05020029999")
    order = Order.objects.create(request_id=request_id_new(), organisation=org, contract=contract, flow="immediate",
                                 submitted_at=clock.now(), scheduled_on=clock.today(), contact_email="k@example.com")
    OrderItem.objects.bulk_create(OrderItem(order=order, position=i + 1, base_number=base, kind="050", quantity=2000)
                                  for i, base in enumerate(BaseNumber.objects.filter(contract=contract)))
    env = process_env(tmp_path)
    # The order's own task is lost (never sent): the sweep finds it, as it would after a crash.
    processes = killed_mid_issue(env)
    try:
        wait_for(lambda: SentMail.objects.filter(order=order, kind=SentMail.Kind.COMPLETED,
                                                 delivered_at__isnull=False).exists(), 90, "the completion e-mail")
    finally:
        stop(*processes)
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    numbers = list(DialInNumber.objects.filter(source=order.request_id).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 20_000
    assert SentMail.objects.filter(order=order, kind=SentMail.Kind.COMPLETED).count() == 1
    assert delivered_files(tmp_path, order.request_id) == 1  # the completion mail (no acceptance mail here)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_broker_that_cannot_be_reached_at_submit_loses_nothing(tmp_path, client):
    """The web server runs with a broker address where nothing listens; the customer presses
    申し込む, sees the accepted page, and the order and both e-mails are done once the broker (a
    worker and beat on a broker that works) is back."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    org = factories.organisation("ORG-B", "ブローカー商事")
    user = factories.customer("broker-user", org)
    contract = factories.contract(org, "N100000044", base_numbers=["0312345678"])
    stock_add_range(first="05012350000", last="05012350099")
    draft = draft_create(user=user, voice_group=contract.voice_group)
    draft_save(draft=draft, finished=5, agreed=True, method=Draft.Method.SCREEN, base_numbers=["0312345678"],
               red_rows=[{"base": "0312345678", "kind": "050", "quantity": "3"}])
    client.force_login(user)  # the session is in the database the web server reads
    port = free_port()
    web_env = process_env(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    web = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT,
                           env=web_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = f"http://127.0.0.1:{port}" + reverse("orders:wizard_step", args=[draft.pk, 6])
    jar.set_cookie(http.cookiejar.Cookie(0, "sessionid", client.cookies["sessionid"].value, None, False,
                                         "127.0.0.1", False, False, "/", True, False, None, False, None, None, {}))
    try:
        def page():
            try:
                return opener.open(url, timeout=5).read().decode()
            except OSError:
                return None

        html = wait_for(page, 60, "the web server")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        request = urllib.request.Request(url, data=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
                                         headers={"Referer": url})
        with opener.open(request, timeout=30) as response:  # redirects are followed
            status, body = response.status, response.read().decode()
    finally:
        stop(web)
    assert status == 200 and "お申し込みを受け付けました" in body  # not a 500
    order = Order.objects.get(draft_id=draft.pk)
    assert order.status == Status.ACCEPTED  # kept, waiting for the broker

    env = process_env(tmp_path)
    processes = [worker(env), start(env, "beat")]  # the broker is back
    try:
        wait_for(lambda: SentMail.objects.filter(order=order, delivered_at__isnull=True).count() == 0
                 and SentMail.objects.filter(order=order).count() == 2, 60, "both e-mails delivered")
        time.sleep(3)  # a few more sweeps: nothing is sent twice
    finally:
        stop(*processes)
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert DialInNumber.objects.filter(source=order.request_id).count() == 3
    assert delivered_files(tmp_path, order.request_id) == 2


def _processes(var_dir: Path, needle: str) -> list[int]:
    """Processes started with PORTAL_VAR_DIR=var_dir whose command line contains needle."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        cmdline = b" ".join(argv).decode(errors="replace")
        if Path(argv[0].decode(errors="replace")).name in ("bash", "sh", "make"):
            continue  # the shell loops that restart them
        if needle in cmdline and f"PORTAL_VAR_DIR={var_dir}".encode() in environ:
            found.append(int(entry.name))
    return found


def test_make_runs_scheduler_survives_a_killed_worker_and_runs_once(tmp_path):
    """`make run` on the embedded default: SIGKILL the worker and the scheduler; both come back,
    the scheduler ticks again within a minute and exactly one scheduler runs."""
    import sqlite3

    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(PORTAL_VAR_DIR=str(tmp_path), PORTAL_HEARTBEAT_SECONDS="2")
    venv = Path(sys.executable).parent.parent
    make = subprocess.Popen(["make", "run", f"VENV={venv}", f"PORT={port}"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    database = tmp_path / "portal.sqlite3"

    def beat_seen(name: str):
        if not database.exists():
            return None
        try:
            with sqlite3.connect(database, timeout=10) as conn:
                row = conn.execute("SELECT seen_at FROM portal_workerheartbeat WHERE name = ?", [name]).fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None

    try:
        wait_for(lambda: beat_seen("worker"), 180, "make run's worker heartbeat")
        for needle in ("portal worker", "portal beat"):
            [pid] = _processes(tmp_path, needle)
            os.kill(pid, signal.SIGKILL)
        killed_at = time.time()
        before = {name: beat_seen(name) for name in ("worker", "scheduler")}
        for name in ("worker", "scheduler"):
            wait_for(lambda name=name: beat_seen(name) != before[name], 60, f"the {name} to run again")
        assert time.time() - killed_at < 60
        assert len(_processes(tmp_path, "portal beat")) == 1
        # A second scheduler started by hand stands by: still one scheduler ticking.
        extra = subprocess.Popen([CELERY, "-A", "portal", "beat", "--loglevel", "INFO"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        time.sleep(5)
        stop(extra)
        output = extra.stdout.read()
        assert "standing by" in output and "this process is the scheduler" not in output
    finally:
        os.killpg(make.pid, signal.SIGTERM)
        try:
            make.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(make.pid, signal.SIGKILL)
        for pid in _processes(tmp_path, "celery"):
            os.kill(pid, signal.SIGKILL)


def test_a_worker_killed_mid_webhook_delivery_loses_nothing(tmp_path, monkeypatch):
    """The receiver holds the first attempt; the worker is SIGKILLed while it waits; a new worker
    and the sweep send the event again after the lease: the receiver has it twice with the same
    webhook-id (at least once), the delivery is delivered, and the log has the attempt that ended."""
    from portal import webhooks
    from portal.models import WebhookAttempt, WebhookDelivery
    from tests.api.receiver import Receiver

    receiver = Receiver(delays=[30])
    org = factories.organisation("ORG-H", "フック商事")
    endpoint = webhooks.endpoint_create(organisation=org, url=receiver.url)
    monkeypatch.setattr(webhooks, "deliveries_enqueue", lambda ids: None)  # only the processes below send
    webhooks.event_emit(organisation_id=org.pk, type="order.accepted", subject="20000000001",
                        data=lambda: {"request_id": "20000000001"})
    env = process_env(tmp_path, PORTAL_WEBHOOK_LEASE_SECONDS="3", WEBHOOKS_ALLOW_PRIVATE="true")
    first, beat = worker(env), start(env, "beat")
    second = None
    try:
        wait_for(lambda: receiver.received, 60, "the first attempt to reach the receiver")
        os.killpg(first.pid, signal.SIGKILL)  # dies while the receiver holds its request
        first.wait(10)
        second = worker(env)
        wait_for(lambda: WebhookDelivery.objects.filter(state="delivered").exists(), 60, "the delivery")
    finally:
        stop(first, *(p for p in (second, beat) if p))
        receiver.close()
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 2 and ids[0] == ids[1]
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.state == "delivered"
    assert list(WebhookAttempt.objects.filter(delivery=delivery).values_list("status_code", flat=True)) == [200]


def test_a_worker_killed_during_an_activation_retry_issues_each_number_once(tmp_path):
    """An order 工事中 after a transient network failure, its retry due: the sweep's attempt is
    SIGKILLed while it issues the numbers; the next worker's attempt issues them, once."""
    import datetime as dt

    from orders.models import EventNote, OrderEvent

    org = factories.organisation("ORG-KR", "再試行商事")
    contract = factories.contract(org, "N100000067", base_numbers=["0312345000"])
    stock_add_range(first="05020000000", last="05020002999")
    order = Order.objects.create(
        request_id=request_id_new(), organisation=org, contract=contract, flow="immediate", status=Status.ACCEPTED,
        submitted_at=clock.now(), scheduled_on=clock.today(), contact_email="r@example.com")
    OrderItem.objects.create(order=order, position=1, base_number=BaseNumber.objects.get(contract=contract),
                             kind="050", quantity=2000)
    # As the first attempt left it: 工事中, one failure, the next attempt due now (its own task lost).
    Order.objects.filter(pk=order.pk).update(status=Status.IN_CONSTRUCTION, activation_attempts=1,
                                             next_attempt_at=clock.now() - dt.timedelta(seconds=1))
    OrderEvent.objects.create(order=order, at=clock.now(), from_status=Status.IN_CONSTRUCTION,
                              to_status=Status.IN_CONSTRUCTION, actor="worker",
                              note_code=EventNote.ACTIVATION_TRANSIENT, note_params={"seconds": 5, "attempt": 1})
    processes = killed_mid_issue(process_env(tmp_path))
    try:
        wait_for(lambda: Order.objects.filter(pk=order.pk, status=Status.COMPLETED).exists(), 90,
                 "the retried order to complete")
    finally:
        stop(*processes)
    order.refresh_from_db()
    numbers = list(DialInNumber.objects.filter(source=order.request_id).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 2000
    assert order.next_attempt_at is None and order.error_code == ""
    assert order.events.filter(to_status=Status.ACTIVATED).count() == 1


def test_the_integrator_s_loop_with_every_part_in_its_own_process(tmp_path):
    """The web server, the worker and beat as separate processes (as docker-compose runs them), the
    program's receiver a small HTTP server here: an order placed by API on an organisation's test
    clock, the clock advanced by API, and the receiver gets order.accepted → order.in_construction
    → order.activated → order.completed in that order, each verified with standardwebhooks; the
    other organisation's order does not move."""
    import datetime as dt
    import json
    import urllib.request
    import uuid

    from standardwebhooks import Webhook

    from portal import business_days
    from portal.apikeys import api_key_create
    from tests.api.receiver import Receiver

    org = factories.organisation("ORG-L", "ループ商事")
    user = factories.customer("loop-user", org)
    contract = factories.contract(org, "N100000033", base_numbers=["05012345633"])
    other_org = factories.organisation("ORG-M", "見物商事")
    other = Order.objects.create(request_id=request_id_new(), organisation=other_org,
                                 contract=factories.contract(other_org, "N100000034", base_numbers=["05012345634"]),
                                 flow="scheduled", submitted_at=clock.now(), contact_email="m@example.com",
                                 scheduled_on=business_days.add_business_days(clock.today(), 6))
    OrderItem.objects.create(order=other, position=1, base_number=BaseNumber.objects.get(number="05012345634"),
                             kind="050", quantity=1)
    stock_add_range(first="05033000000", last="05033000099")
    key = api_key_create(user=user, name="loop")[1]
    receiver = Receiver()
    port = free_port()
    env = process_env(tmp_path, WEBHOOKS_ALLOW_PRIVATE="true", PORTAL_DEMO_CLOCK="true", DEBUG="true")
    web = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    processes = [web, worker(env), start(env, "beat")]
    root = f"http://127.0.0.1:{port}/api/v1"

    def call(method: str, path: str, body: dict | None = None):
        request = urllib.request.Request(root + path, method=method, data=json.dumps(body).encode() if body else None,
                                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                                  "Idempotency-Key": str(uuid.uuid4())})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def up():
        try:
            return call("GET", "/test-clock")
        except OSError:
            return None

    try:
        wait_for(up, 60, "the web server")
        secret = call("POST", "/webhook-endpoints", {"url": receiver.url})["secret"]
        day = business_days.add_business_days(clock.today(), 6)
        placed = call("POST", "/orders", {
            "flow": "scheduled", "contract": contract.number, "construction": {"date": day.isoformat(),
                                                                               "reason": "接続試験のため"},
            "items": [{"type": "dialin", "rows": [{"base": "05012345633", "kind": "050", "quantity": 2}]}],
            "contact": {"name": "山田 太郎", "phone": "03-1111-2222", "email": "yamada@example.com"}})
        request_id = placed["data"][0]["request_id"]
        to = dt.datetime.combine(day + dt.timedelta(days=14), dt.time(12), tzinfo=clock.JST)
        assert call("POST", "/test-clock/advance", {"to": to.isoformat()})["status"] == "advancing"
        wait_for(lambda: call("GET", "/test-clock")["status"] == "ready", 60, "the clock to be ready")
        wanted = ["order.accepted", "order.in_construction", "order.activated", "order.completed"]

        def order_events():
            found = []
            for message in list(receiver.received):
                event = Webhook(secret).verify(message.body, message.headers)  # raises unless signed right
                if event["type"].startswith("order."):
                    found.append(event["type"])
            return found if len(found) >= len(wanted) else None

        received = wait_for(order_events, 60, "the order's four events")
    finally:
        stop(*processes)
        receiver.close()
    assert received == wanted
    assert Order.objects.get(request_id=request_id).status == Status.COMPLETED
    other.refresh_from_db()
    assert other.status == Status.ACCEPTED  # the other organisation's clock did not move
