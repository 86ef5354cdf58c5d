import os

import pytest

from tests import factories

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync Playwright runs an event loop

pytest_plugins = ("celery.contrib.pytest",)

CHROMIUM = os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _fresh_clock():
    """The demo clock's offset is cached per process: forget it around every test."""
    from portal import clock

    clock.forget()
    yield
    clock.forget()


@pytest.fixture(autouse=True)
def _worker_quiet():
    """Before each test the suite's worker thread is idle and its queue empty: a task left by the
    test before must not run into this test's data, nor hold a table while a transactional test's
    data is flushed at its end (a TRUNCATE against a running task deadlocks)."""
    import time

    from celery.worker import state

    deadline = time.monotonic() + 15
    while state.active_requests and time.monotonic() < deadline:
        time.sleep(0.05)
    if _WORKER_STARTED:
        from portal.celery import app

        app.control.purge()
    yield


@pytest.fixture(autouse=True)
def _worker_idle_before_flush(request):
    """After a transactional test, its data is flushed only once the worker thread is idle (a
    delivery or activation the test set going may still be running: a TRUNCATE against it
    deadlocks). Set up after the database fixture, so torn down before its flush."""
    import time

    from celery.worker import state

    marker = request.node.get_closest_marker("django_db")
    transactional = (bool(marker and marker.kwargs.get("transaction"))
                     or {"transactional_db", "live_server"} & set(request.fixturenames))
    watching = transactional and (_WORKER_STARTED or "celery_session_worker" in request.fixturenames)
    if watching:
        request.getfixturevalue("_django_db_helper")
    yield
    if not watching:
        return
    from portal.celery import app

    for _round in range(2):  # idle, nothing queued, and still idle
        deadline = time.monotonic() + 15
        while state.active_requests and time.monotonic() < deadline:
            time.sleep(0.05)
        app.control.purge()


_WORKER_STARTED: list = []


@pytest.fixture(scope="session")
def celery_session_worker(celery_session_worker):  # noqa: F811 - the plugin's, remembered
    _WORKER_STARTED.append(True)
    return celery_session_worker


@pytest.fixture
def alice(db):
    """Owner organisation's user."""
    return factories.customer("alice", factories.organisation("ORG-A", "アリス商事"))


@pytest.fixture
def bob(alice):
    """A second user of alice's organisation."""
    return factories.customer("bob", alice.organisation)


@pytest.fixture
def charlie(db):
    """An outsider: another organisation."""
    return factories.customer("charlie", factories.organisation("ORG-C", "チャーリー物産"))


@pytest.fixture
def operator(db):
    return factories.operator("operator")


@pytest.fixture
def contract(alice):
    return factories.contract(alice.organisation, "N100000001", base_numbers=["0312345678"])


@pytest.fixture
def outsider_contract(charlie):
    return factories.contract(charlie.organisation, "N900000001", base_numbers=["0612345678"])


# Celery: a real worker thread on the Redis broker, shared by the session.
@pytest.fixture(scope="session")
def celery_config():
    return {
        "broker_url": os.environ["CELERY_BROKER_URL"],
        "result_backend": os.environ["CELERY_BROKER_URL"],
        "task_ignore_result": False,
    }


@pytest.fixture(scope="session")
def celery_includes():
    """The worker knows our tasks whichever test starts it."""
    return ["portal.tasks", "orders.tasks"]


@pytest.fixture(scope="session")
def celery_worker_parameters():
    return {"perform_ping_check": False, "queues": ("celery",)}


@pytest.fixture(scope="session")
def celery_enable_logging():
    return True


# Playwright drives Debian's Chromium; it cannot download its own browser here.
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "ja-JP", "timezone_id": "Asia/Tokyo"}
