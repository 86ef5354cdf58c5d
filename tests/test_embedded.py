"""Smoke test of the embedded default: no DATABASE_URL, no CELERY_BROKER_URL.

SQLite plus a Celery worker and the scheduler (beat, its own process) on kombu's filesystem
transport, as `make run` starts them: the sign-in page serves and scheduled work gets done.
"""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_embedded_default_serves_and_runs_scheduled_work(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")}
    env["PORTAL_VAR_DIR"] = str(tmp_path)
    env["PORTAL_HEARTBEAT_SECONDS"] = "2"
    python = sys.executable

    def manage(*args: str) -> str:
        done = subprocess.run([python, "manage.py", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput")
    assert "demo-2026" in manage("load_demo")
    page = manage("shell", "-c", (
        "from django.test import Client; r = Client().get('/login/'); "
        "print(r.status_code, 'ログイン' in r.content.decode())"))
    assert page.strip().endswith("200 True")
    # The API too: a key, a read, an idempotent order (twice: replayed), its history page by cursor.
    api = manage("shell", "-c", (
        "import json, uuid\n"
        "from django.test import Client\n"
        "from portal.apikeys import api_key_create\n"
        "from portal.models import User\n"
        "key = api_key_create(user=User.objects.get(username='demo'), name='embedded')[1]\n"
        "c = Client(HTTP_AUTHORIZATION='Bearer ' + key)\n"
        "body = json.dumps({'flow': 'immediate', 'rows': [{'base': '05012340008', 'kind': '050', 'quantity': 1}],"
        " 'contact': {'name': 'a', 'phone': '0311112222', 'email': 'a@example.com'}})\n"
        "k = str(uuid.uuid4())\n"
        "r1 = c.post('/api/v1/orders', body, content_type='application/json', HTTP_IDEMPOTENCY_KEY=k)\n"
        "r2 = c.post('/api/v1/orders', body, content_type='application/json', HTTP_IDEMPOTENCY_KEY=k)\n"
        "page = c.get('/api/v1/orders', {'limit': 2}).json()\n"
        "nxt = c.get('/api/v1/orders', {'limit': 2, 'cursor': page['next_cursor']})\n"
        "print(c.get('/api/v1/contracts').status_code, r1.status_code, r2['Idempotent-Replayed'],"
        " r1.json() == r2.json(), nxt.status_code, len(nxt.json()['data']))"))
    assert api.strip().endswith("200 201 true True 200 2"), api

    celery = str(Path(python).with_name("celery"))
    worker = subprocess.Popen(
        [celery, "-A", "portal", "worker", "-P", "solo", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    beat = subprocess.Popen([celery, "-A", "portal", "beat", "--loglevel", "INFO"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        database = tmp_path / "portal.sqlite3"
        deadline = time.monotonic() + 60
        seen = None
        while time.monotonic() < deadline and not seen:
            time.sleep(1)
            with sqlite3.connect(database, timeout=10) as conn:
                seen = conn.execute(
                    "SELECT seen_at FROM portal_workerheartbeat WHERE name='worker'").fetchone()
        assert seen, "the embedded worker and scheduler ran no task"
    finally:
        beat.terminate()
        beat.wait(30)
        worker.terminate()
        output = worker.communicate(timeout=30)[0]
    assert "filesystem" in output
