"""The README's API quick start, run as written (bash, curl, manage.py) against a live server and a
real worker: a key made by the command, an immediate order placed, polled to 工事了, its numbers
fetched as CSV."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from orders.models import Order

pytestmark = [pytest.mark.worker]
ROOT = Path(__file__).resolve().parents[2]


def _block(heading: str) -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(heading):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def _quick_start() -> str:
    return _block("### Quick start")


def test_the_readme_quick_start_works_as_written(live_server, transactional_db, celery_session_app,
                                                 celery_session_worker, tmp_path):
    from orders import demo

    demo.demo_load()
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (tmp_path / "manage.py").symlink_to(ROOT / "manage.py")
    db = connection.settings_dict
    env = {**os.environ, "PORTAL": live_server.url, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "portal.settings",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", _quick_start()], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    placed = json.loads((tmp_path / "order.json").read_text())["data"][0]["request_id"]
    order = Order.objects.get(created_by__username="demo", status="completed", request_id=placed)
    lines = done.stdout.strip().splitlines()
    assert lines[-3] == "request_id,number,kind,base,activated_on" and len(lines[-2:]) == 2
    assert all(line.startswith(order.request_id + ",050") for line in lines[-2:])
    assert "05012340008" in done.stdout  # the base numbers listed first

    # The integrator's loop, in the same shell: a scheduled order carried to 竣工 by the
    # organisation's test clock, every step a signed event in the portal's own inbox.
    loop = subprocess.run(["bash", "-euo", "pipefail", "-c", _quick_start() + _block("### The integrator's loop")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert loop.returncode == 0, loop.stderr
    lines = loop.stdout.strip().splitlines()
    status_line = next(line for line in lines if line.startswith("completed ["))
    assert "construction_started" in status_line and "issued" in status_line
    received = [line for line in lines if line.endswith((" True", " False"))]
    assert received and all(line.endswith(" True") for line in received), received
    kinds = [line.split()[0] for line in received]
    scheduled_events = [k for k in kinds if k.startswith("order.")]
    assert kinds.index("test_clock.advancing") < kinds.index("test_clock.ready")
    for event in ("order.accepted", "order.in_construction", "order.activated", "order.completed"):
        assert event in scheduled_events, kinds


def test_the_readme_failure_block_works_as_written(live_server, transactional_db, celery_session_app,
                                                   celery_session_worker, tmp_path):
    """The README's "Provoke a failure": the order ends in エラー with activation_failed and its words,
    then the test helper's retry activates it."""
    from orders import demo

    demo.demo_load()
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (tmp_path / "manage.py").symlink_to(ROOT / "manage.py")
    db = connection.settings_dict
    env = {**os.environ, "PORTAL": live_server.url, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "portal.settings",
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", _quick_start() + _block("### Provoke a failure")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-2].startswith("activation_failed ネットワークの障害のため開通できませんでした"), lines[-2:]
    assert lines[-1] == "completed"
    failing = json.loads((tmp_path / "failing.json").read_text())["data"][0]["request_id"]
    order = Order.objects.get(request_id=failing)
    assert order.status == "completed" and order.events.filter(note_code="retry").exists()
