"""Pages under load: the production server (gunicorn, DEBUG off, portal/gunicorn_conf.py) against a
bare-Django floor (bench/floor.py) started in the same run with the same workers, middleware,
database, connection and session settings, loaded by `wrk` in turn (floor, portal; then portal,
floor), ROUNDS rounds. One line per page:

    page=<name> ratio_min=<x> ratio_median=<x> ratio_max=<x> rps_median=<n>

ratio = the portal's requests/s over the floor's in the same round. Pages: wizard_step (a signed-in
wizard step), history (50 orders of 100,000, a page in the middle), history_first, history_last.
Then `latency history_last/history_first median=<x>` and `targets=met` or `targets=missed`
(wizard_step >= 0.8, history >= 0.7, history_last within 1.5x of history_first).

Needs PostgreSQL and Redis (DATABASE_URL / CELERY_BROKER_URL of `make test`, else the local
defaults) and Debian's `wrk`. Its own database (portal_pages_bench, kept between runs: the
100,000 orders are made once) and Redis database 6.

    .venv/bin/python bench/pages.py            # ROUNDS=3 SECONDS=5 CONNECTIONS=16
    DB_POOL=true .venv/bin/python bench/pages.py   # psycopg's pool instead of kept connections
"""

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.ports import free_ports  # noqa: E402 - after the project root is on the path

ROUNDS = int(os.getenv("ROUNDS", "3"))
SECONDS = int(os.getenv("SECONDS", "5"))
CONNECTIONS = int(os.getenv("CONNECTIONS", "16"))
WORKERS = os.getenv("WEB_CONCURRENCY", str((os.cpu_count() or 2) + 1))
ORDERS = int(os.getenv("ORDERS", "100000"))
TARGETS = {"wizard_step": 0.8, "history": 0.7}

source_db = os.getenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
source_broker = os.getenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
parts = urlsplit(source_db)
DB_URL = urlunsplit(parts._replace(path="/portal_pages_bench"))
ADMIN_DB_URL = urlunsplit(parts._replace(path="/postgres"))
REDIS_URL = urlunsplit(urlsplit(source_broker)._replace(path="/6"))
WORK = Path(tempfile.mkdtemp(prefix="pages-bench-"))
ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")},
    "DATABASE_URL": DB_URL, "CELERY_BROKER_URL": REDIS_URL, "CACHE_URL": REDIS_URL,
    "DEBUG": "false", "SECRET_KEY": "bench-pages-only-secret-key-0123456789abcdefghij",
    "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
    "DB_CONN_MAX_AGE": os.getenv("DB_CONN_MAX_AGE", "60"), "DB_POOL": os.getenv("DB_POOL", "false"),
    "WEB_CONCURRENCY": WORKERS,
    "STATIC_ROOT": str(WORK / "static"), "PORTAL_VAR_DIR": str(WORK / "var"), "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"


def database_ensure() -> None:
    import psycopg

    with psycopg.connect(ADMIN_DB_URL, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = 'portal_pages_bench'").fetchone():
            admin.execute("CREATE DATABASE portal_pages_bench")


def seed() -> tuple[str, str]:
    """Migrated, one customer with 100,000 orders and an open draft; a signed-in session."""
    import django

    django.setup()
    import datetime as dt

    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.core.management import call_command
    from django.db import connection

    from numbering.models import BaseNumber, VoiceContract, VoiceGroup
    from orders import drafts
    from orders.models import Draft, Flow, Order
    from portal.models import Organisation, User

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    org, _ = Organisation.objects.get_or_create(code="BENCH", defaults={"name": "ベンチ株式会社"})
    user = User.objects.filter(username="bench").first() or User.objects.create_user(
        username="bench", password="bench-pages-password", organisation=org, email="bench@example.com")
    group, _ = VoiceGroup.objects.get_or_create(group_id="GBENCH", defaults={"organisation": org})
    contract = VoiceContract.objects.filter(number="N900000001").first() or VoiceContract.objects.create(
        voice_group=group, number="N900000001", holder_name=org.name, installation_address="東京都千代田区1-1")
    BaseNumber.objects.get_or_create(contract=contract, number="0312345678", defaults={"kind": "0AJ"})
    have = Order.objects.filter(organisation=org).count()
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for first in range(have, ORDERS, 5000):
        Order.objects.bulk_create([
            Order(request_id=f"B{i:09d}", organisation=org, contract=contract, flow=Flow.IMMEDIATE,
                  submitted_at=start + dt.timedelta(minutes=i)) for i in range(first, min(first + 5000, ORDERS))])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
    Draft.objects.filter(created_by=user).delete()
    draft = drafts.draft_create(user=user, voice_group=group, flow=Flow.IMMEDIATE)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "portal.backends.OrganisationModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key, str(draft.pk)


def serve(app: str | None, settings: str, port: int) -> subprocess.Popen:
    env = {**ENV, "DJANGO_SETTINGS_MODULE": settings, "PORT": str(port), "PYTHONPATH": str(ROOT)}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen([gunicorn, "-c", "portal/gunicorn_conf.py", *([app] if app else [])], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/nowhere/", timeout=1)
        except urllib.error.HTTPError:
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start")


def fetch(url: str, cookie: str) -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, (url, response.status)
        return response.read().decode()


def wrk(url: str, cookie: str) -> tuple[float, float]:
    """Requests per second and mean latency (ms) for SECONDS under CONNECTIONS connections."""
    done = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-H", f"Cookie: {cookie}", url],
                          capture_output=True, text=True, check=True)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    value, unit = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", done.stdout).groups()
    latency = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in done.stdout:
        raise SystemExit(f"{url}: non-2xx answers under load\n{done.stdout}")
    return rps, latency


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    database_ensure()
    session_key, draft_id = seed()
    cookie = f"sessionid={session_key}"
    portal_port, floor_port = free_ports(2)
    portal = serve(None, "portal.settings", portal_port)
    floor = serve("django.core.wsgi:get_wsgi_application()", "bench.floor", floor_port)
    try:
        base = f"http://127.0.0.1:{portal_port}"
        first = fetch(base + "/ipvoice/orders/history/", cookie)
        from orders.models import Order
        from orders.selectors import history_cursor

        halfway = Order.objects.filter(organisation__code="BENCH").order_by("-submitted_at", "-request_id")[
            ORDERS // 2]
        middle = base + "/ipvoice/orders/history/?after=" + history_cursor(halfway)  # 50 of 100,000
        pages = {
            "wizard_step": base + f"/ipvoice/orders/drafts/{draft_id}/step/1/",
            "history": middle,
            "history_first": base + "/ipvoice/orders/history/",
            "history_last": base + "/ipvoice/orders/history/?last=1",
        }
        assert "件以上" in first
        for url in pages.values():  # signed in, 200, 50 rows where there are rows
            page = fetch(url, cookie)
            assert "ログアウト" in page or "logout" in page.lower(), url
        floor_url = f"http://127.0.0.1:{floor_port}/floor/"
        assert fetch(floor_url, cookie).count("<tr>") == 50
        for url in [*pages.values(), floor_url]:  # warm both servers' workers
            wrk(url, cookie)
        ratios: dict[str, list[float]] = {name: [] for name in pages}
        rps: dict[str, list[float]] = {name: [] for name in pages}
        latency: dict[str, list[float]] = {name: [] for name in pages}
        for round_no in range(ROUNDS):
            for name, url in pages.items():
                if round_no % 2 == 0:
                    floor_rps, _ = wrk(floor_url, cookie)
                    page_rps, page_latency = wrk(url, cookie)
                else:
                    page_rps, page_latency = wrk(url, cookie)
                    floor_rps, _ = wrk(floor_url, cookie)
                ratios[name].append(page_rps / floor_rps)
                rps[name].append(page_rps)
                latency[name].append(page_latency)
        met = True
        for name in pages:
            r = ratios[name]
            print(f"page={name} ratio_min={min(r):.2f} ratio_median={statistics.median(r):.2f} "
                  f"ratio_max={max(r):.2f} rps_median={statistics.median(rps[name]):.0f}", flush=True)
            met &= statistics.median(r) >= TARGETS.get(name, 0)
        last_first = statistics.median(a / b for a, b in zip(latency["history_last"], latency["history_first"],
                                                             strict=True))
        print(f"latency history_last/history_first median={last_first:.2f}")
        met &= last_first <= 1.5
        print(f"workers={WORKERS} connections={CONNECTIONS} seconds={SECONDS} rounds={ROUNDS} orders={ORDERS} "
              f"db={'psycopg-pool' if ENV['DB_POOL'] == 'true' else 'conn_max_age=' + ENV['DB_CONN_MAX_AGE']} "
              "sessions=cached_db(redis)")
        print("targets=met" if met else "targets=missed")
    finally:
        for server in (portal, floor):
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
