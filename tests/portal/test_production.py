"""Production settings in their own processes (DEBUG off, as docker-compose runs them): the deploy
checks are clean, the dev key is refused, and gunicorn serves pages, hashed compressed static files
and the health endpoint."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
KEY = "a-production-key-of-enough-length-for-the-deploy-check-0123456789"


DROPPED = ("DEBUG", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")


def production_env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in DROPPED}
    env.update({"SECRET_KEY": KEY, "EMAIL_BACKEND": "smtp", "STATIC_ROOT": str(tmp_path / "static"),
                "PORTAL_VAR_DIR": str(tmp_path / "var")}, **extra)
    return env


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def test_deploy_checks_are_clean_and_the_dev_key_is_refused(tmp_path):
    done = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues (0 silenced)" in done.stdout
    for key in ("", "insecure-dev-only-key-do-not-use-in-production", "change-me-in-production", "short"):
        done = manage(production_env(tmp_path, SECRET_KEY=key), "check")
        assert done.returncode != 0 and "SECRET_KEY must come from the environment" in done.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.slow
def test_gunicorn_serves_pages_static_files_and_health(tmp_path, transactional_db):
    from django.db import connection

    database = connection.settings_dict  # the suite's test database, migrated
    env = production_env(tmp_path, SECURE_PROXY_SSL_HEADER="true", WEB_CONCURRENCY="2", DATABASE_URL=(
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"))
    assert manage(env, "collectstatic", "--noinput").returncode == 0
    port = free_port()
    env["PORT"] = str(port)
    server = subprocess.Popen([GUNICORN, "-c", "portal/gunicorn_conf.py"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=(tmp_path / "gunicorn.log").open("w"),
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                health = get(base + "/healthz/")
                break
            except OSError:
                time.sleep(0.1)
        assert health.status == 200, (tmp_path / "gunicorn.log").read_text()[-3000:]
        assert json.loads(health.read()) == {"status": "ok", "database": "ok", "broker": "ok"}
        # Plain HTTP is sent to HTTPS; through the TLS proxy (X-Forwarded-Proto) the page serves.
        plain = get(base + "/login/")
        assert plain.status == 301 and plain.headers["Location"].startswith("https://")
        page = get(base + "/login/", **{"X-Forwarded-Proto": "https"})
        assert page.status == 200 and page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        html = page.read().decode()
        css = re.search(r'href="(/static/portal/portal\.[0-9a-f]{12}\.css)"', html).group(1)
        static = get(base + css, **{"Accept-Encoding": "gzip", "X-Forwarded-Proto": "https"})
        assert static.status == 200 and static.headers["Content-Encoding"] == "gzip"
        assert "max-age=315360000" in static.headers["Cache-Control"]
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    # With the broker unreachable the health check says so (503), in a second.
    broken = {**env, "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0"}
    done = manage(broken, "shell", "-c", (
        "from django.test import Client; r = Client().get('/healthz/', secure=True); "
        "print(r.status_code, r.json()['broker'])"))
    assert done.stdout.strip().endswith("503 unreachable"), done.stderr[-2000:]


def test_production_keeps_every_demo_and_training_switch_off(tmp_path):
    """No test clock, demo mode, trainer mode, network failure or private webhook target unless
    asked for: each is on in `make run` and the tests only."""
    names = ("PORTAL_DEMO_CLOCK", "PORTAL_DEMO_MODE", "PORTAL_TRAINER_MODE", "PORTAL_NETWORK_SCENARIOS",
             "WEBHOOKS_ALLOW_PRIVATE")
    code = f"from django.conf import settings; print({{n: getattr(settings, n) for n in {names!r}}})"
    done = manage(production_env(tmp_path), "shell", "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(dict.fromkeys(names, False))
