"""What `make test` needs and a fresh machine may lack, provided before the suite and removed after.

    python -m tests.services up     # Chromium; PostgreSQL and Redis at DATABASE_URL / CELERY_BROKER_URL
    python -m tests.services down   # stops what `up` started (nothing else)

Chromium: installed with apt when running as root (else the exact command is printed and preflight
stops). PostgreSQL and Redis: when nothing answers at the configured local address, a throwaway
instance is started there from the machine's server binaries (installed with apt first when root
and missing), in a temporary folder, and stopped and deleted by `down`. Never SQLite."""

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

STATE = Path(os.getenv("PORTAL_VAR_DIR", Path(__file__).resolve().parent.parent / "var")) / "test-services.json"
LOCAL = {"127.0.0.1", "localhost", "::1", ""}


def say(message: str) -> None:
    print(f"services: {message}", file=sys.stderr, flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def apt_install(*packages: str) -> bool:
    if not is_root() or not shutil.which("apt-get"):
        return False
    say(f"installing {' '.join(packages)} with apt")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return subprocess.run(command, env=env, stdout=subprocess.DEVNULL).returncode == 0
    return True


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host or "127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def wait_for(host: str, port: int, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if listening(host, port):
            return True
        time.sleep(0.2)
    return False


def tools_ensure() -> None:
    """Chromium (the browser tests), with Japanese fonts for screenshots; docker-compose to validate
    docker-compose.yml (optional: without it the check is skipped with a note)."""
    have = os.path.exists(os.getenv("CHROMIUM_PATH", "/usr/bin/chromium")) or shutil.which("chromium")
    if not have and not apt_install("chromium", "fonts-noto-cjk"):
        say("Chromium is missing; run as root: apt-get install -y --no-install-recommends chromium fonts-noto-cjk")
    if not shutil.which("docker-compose"):
        apt_install("docker-compose")


def postgres_binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def postgres_ensure(state: dict) -> None:
    url = urlsplit(os.getenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"))
    host, port, user = url.hostname or "127.0.0.1", url.port or 5432, url.username or "postgres"
    if listening(host, port) or host not in LOCAL:
        return
    binaries = postgres_binaries()
    if binaries is None and apt_install("postgresql"):
        binaries = postgres_binaries()
        if wait_for(host, port, 10):  # the package started its own cluster
            return
    if binaries is None:
        say("no PostgreSQL server binaries; run as root: apt-get install -y postgresql")
        return
    folder = Path(tempfile.mkdtemp(prefix="portal-test-pg-"))
    run_as: list[str] = []
    if is_root():  # PostgreSQL refuses to run as root
        owner = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(folder, owner)
        folder.chmod(0o700)
        run_as = ["runuser", "-u", owner, "--"]
    say(f"starting a throwaway PostgreSQL on {host}:{port} ({folder})")
    subprocess.run([*run_as, str(binaries / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", user,
                    "-E", "UTF8", "--no-locale"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*run_as, str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w",
                    "-o", f"-p {port} -k {folder} -c listen_addresses={host} -c fsync=off -c max_connections=200",
                    "start"], check=True, stdout=subprocess.DEVNULL)
    state["postgres"] = {"folder": str(folder), "pg_ctl": str(binaries / "pg_ctl"), "run_as": run_as}


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def redis_ensure(state: dict) -> None:
    url = urlsplit(os.getenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    if listening(host, port) or host not in LOCAL:
        return
    server = shutil.which("redis-server")
    if server is None and apt_install("redis-server"):
        server = shutil.which("redis-server")
        if wait_for(host, port, 5):
            return
    if server is None:
        say("no Redis server; run as root: apt-get install -y redis-server")
        return
    folder = Path(tempfile.mkdtemp(prefix="portal-test-redis-"))
    say(f"starting a throwaway Redis on {host}:{port} ({folder})")
    subprocess.run([server, "--bind", host, "--port", str(port), "--save", "", "--appendonly", "no", "--daemonize",
                    "yes", "--dir", str(folder), "--pidfile", str(folder / "redis.pid")], check=True,
                   stdout=subprocess.DEVNULL)
    wait_for(host, port, 10)
    state["redis"] = {"folder": str(folder)}


def up() -> int:
    state: dict = json.loads(STATE.read_text()) if STATE.exists() else {}
    tools_ensure()
    postgres_ensure(state)
    redis_ensure(state)
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps(state))
    return 0


def down() -> int:
    if not STATE.exists():
        return 0
    state = json.loads(STATE.read_text())
    if "postgres" in state:
        pg = state["postgres"]
        subprocess.run([*pg["run_as"], pg["pg_ctl"], "-D", f"{pg['folder']}/data", "-m", "fast", "-w", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(pg["folder"], ignore_errors=True)
        say("throwaway PostgreSQL stopped")
    if "redis" in state:
        pidfile = Path(state["redis"]["folder"]) / "redis.pid"
        if pidfile.exists():
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(pidfile.read_text().strip()), 15)
            time.sleep(0.5)
        shutil.rmtree(state["redis"]["folder"], ignore_errors=True)
        say("throwaway Redis stopped")
    STATE.unlink()
    return 0


if __name__ == "__main__":
    sys.exit({"up": up, "down": down}[sys.argv[1]]())
