"""Before the suite: PostgreSQL, Redis and Chromium must be there. Never falls back to SQLite."""

import os
import shutil
import sys

import dj_database_url
import psycopg
import psycopg.sql
import redis

CHROMIUM = os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")


def main() -> int:
    problems: list[str] = []
    url = os.getenv("DATABASE_URL", "")
    db = dj_database_url.parse(url) if url else {}
    if db.get("ENGINE") != "django.db.backends.postgresql":
        problems.append(
            f"DATABASE_URL must point at PostgreSQL for the test suite (got {url!r}).\n"
            "  e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal"
        )
    else:
        try:
            with psycopg.connect(
                host=db["HOST"] or None, port=db["PORT"] or None, user=db["USER"] or None,
                password=db["PASSWORD"] or None, dbname="postgres", connect_timeout=5,
                autocommit=True,
            ) as conn:
                # The named database is used by `manage.py` checks; the suite uses test_<name>.
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
                    conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(db["NAME"])))
        except psycopg.Error as exc:
            problems.append(
                f"PostgreSQL at {db['HOST']}:{db['PORT'] or 5432} is not reachable: {exc}".strip()
                + "\n  Install and start it: apt-get install -y postgresql && "
                "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
                "  (PostgreSQL 15 or newer; the user needs CREATEDB) or set DATABASE_URL."
            )
    broker = os.getenv("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        problems.append(f"CELERY_BROKER_URL must point at Redis for the test suite (got {broker!r}).")
    else:
        try:
            redis.Redis.from_url(broker, socket_connect_timeout=5).ping()
        except redis.RedisError as exc:
            problems.append(
                f"Redis at {broker} is not reachable: {exc}\n"
                "  Install and start it: apt-get install -y redis-server && "
                'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
                "--appendonly no\n  or set CELERY_BROKER_URL."
            )
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        problems.append(
            f"Chromium is missing ({CHROMIUM}); the browser tests drive it through Playwright.\n"
            "  Install it: apt-get install -y chromium  (or set CHROMIUM_PATH)."
        )
    if problems:
        print("make test cannot run:\n- " + "\n- ".join(problems), file=sys.stderr)
        return 1
    print(f"preflight: PostgreSQL {db.get('HOST')}:{db.get('PORT') or 5432}, Redis {broker}, "
          f"Chromium {CHROMIUM}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
