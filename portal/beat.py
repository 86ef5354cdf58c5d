"""The scheduler (Celery beat) as one instance that survives crashes.

- The schedule lives in memory (celery.beat.Scheduler): there is no schedule file to be left
  locked or half-written by a killed process, so a restarted beat always starts.
- A single-instance guard: before it schedules anything, beat takes an exclusive lock that the
  operating system or the database drops when the process dies — a PostgreSQL session advisory
  lock when the database is PostgreSQL (works across hosts), else an flock on
  PORTAL_VAR_DIR/beat.lock (the embedded default). A second beat stands by until the first is
  gone, so exactly one scheduler runs.
- Each tick records a "scheduler" heartbeat, so the dashboard can tell a stopped scheduler from a
  stopped worker.
"""

import fcntl
import logging
import os
import socket
import time

from celery.beat import Scheduler
from django.conf import settings

logger = logging.getLogger(__name__)
LOCK_KEY = 81_000_001
STANDBY_SECONDS = 2.0
HEARTBEAT_SECONDS = 10.0


class SingleInstanceScheduler(Scheduler):
    _lock = None
    _beat_at = 0.0

    def setup_schedule(self) -> None:
        self._lock = _acquire()
        super().setup_schedule()

    def tick(self, *args, **kwargs):
        if time.monotonic() - self._beat_at > HEARTBEAT_SECONDS:
            self._beat_at = time.monotonic()
            if not _still_held(self._lock):
                # The database restarted or dropped the session: another scheduler may have the lock
                # now. Stop; the supervisor (make run's loop, compose's restart) starts a fresh one,
                # which stands by or takes over — never two at once.
                logger.error("the scheduler lock was lost; stopping")
                raise SystemExit(1)
            try:
                _heartbeat("scheduler")
            except Exception:  # the schedule must go on even when the database hiccups
                logger.exception("scheduler heartbeat failed")
        return min(super().tick(*args, **kwargs), HEARTBEAT_SECONDS)


def _heartbeat(name: str) -> None:
    from django.db import close_old_connections

    from portal import clock
    from portal.models import WorkerHeartbeat

    close_old_connections()
    WorkerHeartbeat.objects.update_or_create(name=name, defaults={"seen_at": clock.now(),
                                                                  "hostname": socket.gethostname()})


def _acquire():
    """Block until this process is the one scheduler; return what holds the lock."""
    database = settings.DATABASES["default"]
    announced = False
    while True:
        if database["ENGINE"] == "django.db.backends.postgresql":
            held = _try_pg_lock(database)
        else:
            held = _try_file_lock(settings.VAR_DIR / "beat.lock")
        if held is not None:
            logger.info("this process is the scheduler (pid %s)", os.getpid())
            return held
        if not announced:
            logger.warning("another scheduler is running; standing by until it stops")
            announced = True
        time.sleep(STANDBY_SECONDS)


def _still_held(lock) -> bool:
    if lock is None or not hasattr(lock, "execute"):
        return lock is not None  # the flock lives as long as this process
    try:
        return bool(lock.execute(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND pid = pg_backend_pid() "
            "AND granted", [LOCK_KEY]).fetchone())
    except Exception:
        logger.exception("could not check the scheduler lock")
        return False


def _try_file_lock(path):
    handle = open(path, "a+")  # noqa: SIM115 - kept open for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _try_pg_lock(database: dict):
    import psycopg

    conn = psycopg.connect(
        dbname=database["NAME"], user=database.get("USER") or None, password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None, port=database.get("PORT") or None, autocommit=True,
        application_name="portal-beat-lock", keepalives=1, keepalives_idle=30,
        **{k: v for k, v in (database.get("OPTIONS") or {}).items() if k in ("sslmode", "sslrootcert", "options")},
    )
    if conn.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]:
        return conn  # held while this session lives; the server drops it when the process dies
    conn.close()
    return None
