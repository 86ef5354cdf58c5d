"""Scale-out: two web processes (gunicorn, production settings) and two Celery workers against one
PostgreSQL and one Redis. Customers submit through both web processes at once; every order is
activated exactly once, no number is issued twice and no e-mail is sent twice."""

import http.cookiejar
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.urls import reverse

from bench.ports import free_ports
from numbering.models import DialInNumber
from numbering.services import stock_add_range
from orders.drafts import draft_create, draft_save
from orders.models import Draft, Order, OrderEvent, SentMail, Status
from tests import factories
from tests.faults.test_faults import ROOT, delivered_files, process_env, start, stop, wait_for, worker

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ORDERS_PER_WEB = 6
KEY = "scale-out-test-key-0123456789abcdefghijklmnop"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def production_env(env: dict, **extra) -> dict:
    production = {**env, "DEBUG": "false", "SECRET_KEY": KEY, "SECURE_SSL_REDIRECT": "false",
                  "SESSION_COOKIE_SECURE": "false", "WEB_CONCURRENCY": "2",
                  "STATIC_ROOT": str(Path(env["PORTAL_VAR_DIR"]) / "static"), **extra}
    production.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return production


def collect_static(env: dict) -> None:
    """Once, before any web process starts: a second collectstatic rewriting the files while the
    first server reads them made that server fail to boot."""
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=production_env(env),
                   check=True, capture_output=True)


def web(env: dict, port: int) -> tuple[subprocess.Popen, str]:
    production = production_env(env, PORT=str(port))
    log = open(Path(env["PORTAL_VAR_DIR"]) / f"web-{port}.log", "w")  # noqa: SIM115 - kept by pytest for a look
    process = subprocess.Popen([GUNICORN, "-c", "portal/gunicorn_conf.py"], cwd=ROOT, env=production,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return process, f"http://127.0.0.1:{port}"


def submit(base: str, session_key: str, draft: Draft) -> str:
    """申し込む on the confirmation step, as a browser does: GET (CSRF token), then POST."""
    jar = http.cookiejar.CookieJar()
    jar.set_cookie(http.cookiejar.Cookie(0, "sessionid", session_key, None, False, "127.0.0.1", False, False, "/",
                                         True, False, None, False, None, None, {}))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    url = base + reverse("orders:wizard_step", args=[draft.pk, 6])
    html = opener.open(url, timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    request = urllib.request.Request(url, data=urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode(),
                                     headers={"Referer": url})
    with opener.open(request, timeout=60) as response:
        return response.read().decode()


def test_two_web_processes_and_two_workers_place_and_activate_every_order_once(tmp_path, client, settings):
    org = factories.organisation("ORG-S", "スケール商事")
    user = factories.customer("scale-user", org)
    stock_add_range(first="05030000000", last="05030000999")  # one pool: both webs' orders compete for it
    drafts = []
    for i in range(2 * ORDERS_PER_WEB):  # one N番 each (B1: one open order per contract)
        base = f"03123457{i:02d}"
        contract = factories.contract(org, f"N1000001{i:02d}", base_numbers=[base], group_id="GSCALE")
        draft = draft_create(user=user, voice_group=contract.voice_group)
        draft_save(draft=draft, finished=5, agreed=True, method=Draft.Method.SCREEN, base_numbers=[base],
                   red_rows=[{"base": base, "kind": "050", "quantity": "25"}])
        drafts.append(draft)
    settings.SECRET_KEY = KEY  # the session's auth hash, as the web processes check it
    client.force_login(user)  # the session is in the database both web processes read
    session_key = client.cookies["sessionid"].value
    env = process_env(tmp_path)
    port_a, port_b = free_ports(2)
    collect_static(env)
    (web_a, base_a), (web_b, base_b) = web(env, port_a), web(env, port_b)
    processes = [web_a, web_b, worker(env), worker(env), start(env, "beat")]
    try:
        for base in (base_a, base_b):
            wait_for(lambda b=base: _answers(b), 60, "the web processes")
        targets = [base_a if i % 2 == 0 else base_b for i in range(len(drafts))]
        with ThreadPoolExecutor(max_workers=len(drafts)) as pool:
            pages = list(pool.map(lambda pair: submit(pair[0], session_key, pair[1]), zip(targets, drafts,
                                                                                         strict=True)))
        refused = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", p))[:300] for p in pages
                   if "お申し込みを受け付けました" not in p]
        assert not refused, refused
        wait_for(lambda: Order.objects.filter(status=Status.COMPLETED).count() == len(drafts)
                 and not SentMail.objects.filter(delivered_at__isnull=True).exists(), 120, "every order done")
        time.sleep(3)  # a few more sweeps on both workers: nothing runs twice
    finally:
        stop(*processes)
    orders = list(Order.objects.all())
    assert len(orders) == len(drafts) and {o.draft_id for o in orders} == {d.pk for d in drafts}
    numbers = list(DialInNumber.objects.filter(kind="050").values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 25 * len(drafts)
    for order in orders:
        assert DialInNumber.objects.filter(source=order.request_id).count() == 25
        # Activated once: one move into 工事了 on its timeline; one e-mail of each kind, delivered once.
        assert OrderEvent.objects.filter(order=order, to_status=Status.IN_CONSTRUCTION).count() == 1
        assert OrderEvent.objects.filter(order=order, from_status=Status.IN_CONSTRUCTION,
                                         to_status=Status.ACTIVATED).count() == 1
        assert SentMail.objects.filter(order=order).count() == 2
        assert delivered_files(tmp_path, order.request_id) == 2


def _answers(base: str) -> bool:
    try:
        return urllib.request.urlopen(base + "/healthz/", timeout=5).status == 200
    except OSError:
        return False
