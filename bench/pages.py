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
import shutil
import signal
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import (  # noqa: E402
    CONNECTIONS,
    ORDERS,
    ROUNDS,
    SECONDS,
    WORKERS,
    bench_env,
    database_ensure,
    serve,
)
from bench.common import wrk as wrk_run  # noqa: E402
from bench.ports import free_ports  # noqa: E402 - after the project root is on the path

TARGETS = {"wizard_step": 0.8, "history": 0.7}

DB_NAME = "portal_pages_bench"
WORK = Path(tempfile.mkdtemp(prefix="pages-bench-"))
DB_URL, ADMIN_DB_URL, ENV = bench_env(db_name=DB_NAME, redis_db=6, work=WORK,
                                      secret_key="bench-pages-only-secret-key-0123456789abcdefghij")
os.environ.update(ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"


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


def fetch(url: str, cookie: str) -> str:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200, (url, response.status)
        return response.read().decode()


def wrk(url: str, cookie: str) -> tuple[float, float]:
    """Requests per second and mean latency (ms) for SECONDS under CONNECTIONS connections."""
    return wrk_run(url, f"Cookie: {cookie}")


def main() -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    database_ensure(ADMIN_DB_URL, DB_NAME)
    session_key, draft_id = seed()
    cookie = f"sessionid={session_key}"
    portal_port, floor_port = free_ports(2)
    portal = serve(None, "portal.settings", portal_port, ENV)
    floor = serve("django.core.wsgi:get_wsgi_application()", "bench.floor", floor_port, ENV)
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
