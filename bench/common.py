"""What the server benchmarks share (bench/pages.py, bench/api.py): the knobs from the environment,
a database and a Redis database of their own beside `make test`'s, the production server started
against them, and `wrk` under load."""

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.getenv("ROUNDS", "3"))
SECONDS = int(os.getenv("SECONDS", "5"))
CONNECTIONS = int(os.getenv("CONNECTIONS", "16"))
WORKERS = os.getenv("WEB_CONCURRENCY", str((os.cpu_count() or 2) + 1))
ORDERS = int(os.getenv("ORDERS", "100000"))


def bench_env(*, db_name: str, redis_db: int, secret_key: str, work: Path, **extra: str) -> tuple[str, str, dict]:
    """(the database URL, the maintenance database's, the servers' environment): the production
    settings (DEBUG off, no HTTPS redirect) on the bench's own database and Redis database."""
    parts = urlsplit(os.getenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"))
    db_url = urlunsplit(parts._replace(path=f"/{db_name}"))
    redis_url = urlunsplit(urlsplit(os.getenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
                           ._replace(path=f"/{redis_db}"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")},
        "DATABASE_URL": db_url, "CELERY_BROKER_URL": redis_url, "CACHE_URL": redis_url,
        "DEBUG": "false", "SECRET_KEY": secret_key,
        "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false", "SECURE_HSTS_SECONDS": "0",
        "DB_CONN_MAX_AGE": os.getenv("DB_CONN_MAX_AGE", "60"), "DB_POOL": os.getenv("DB_POOL", "false"),
        "WEB_CONCURRENCY": WORKERS,
        "STATIC_ROOT": str(work / "static"), "PORTAL_VAR_DIR": str(work / "var"), "LOG_LEVEL": "WARNING",
        **extra,
    }
    return db_url, urlunsplit(parts._replace(path="/postgres")), env


def database_ensure(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def serve(app: str | None, settings: str, port: int, env: dict, *, probe: str = "/nowhere/",
          log: Path | None = None) -> subprocess.Popen:
    """gunicorn with the portal's configuration (its own session, so it is stopped with its workers),
    answering on `port` (any HTTP answer to `probe` will do)."""
    server_env = {**env, "DJANGO_SETTINGS_MODULE": settings, "PORT": str(port), "PYTHONPATH": str(ROOT)}
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - the server's, closed with it
    server = subprocess.Popen([gunicorn, "-c", "portal/gunicorn_conf.py", *([app] if app else [])], cwd=ROOT,
                              env=server_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=1)
        except urllib.error.HTTPError:
            return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.1)
    raise SystemExit(f"server on {port} did not start" + (f":\n{log.read_text()[-3000:]}" if log else ""))


def wrk(url: str, header: str) -> tuple[float, float]:
    """Requests per second and mean latency (ms) for SECONDS under CONNECTIONS connections, every
    request with `header`; any non-2xx answer or socket error stops the run."""
    done = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "-H", header, url],
                          capture_output=True, text=True, check=True)
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise SystemExit(f"{url}: errors under load\n{done.stdout}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))
    value, unit = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", done.stdout).groups()
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
