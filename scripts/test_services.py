#!/usr/bin/env python3
"""Find (or start) the PostgreSQL and Redis that `make test` runs against; print shell exports.

Order, for each service:
  1. CITIZEN_TEST_DATABASE_URL / CITIZEN_TEST_REDIS_URL when set;
  2. the local server on its standard port when it answers;
  3. the machine's own cluster/daemon started the standard way when installed but stopped;
  4. a throwaway instance from the installed binaries in a temporary directory on a free port;
  5. as root with apt-get: install the server, then 3/4;
  otherwise exit 1 saying what is missing.
Messages go to stderr; only `export ...` lines go to stdout (for `eval`).
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

CLEANUP: list[str] = []  # shell commands that stop what this script started


def say(message: str) -> None:
    print(f"[test-services] {message}", file=sys.stderr, flush=True)


def answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(host: str, port: int, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers(host, port):
            return True
        time.sleep(0.3)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list[str], **kwargs) -> bool:
    try:
        result = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            **kwargs,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        say(f"could not run {cmd}: {error}")
        return False
    if result.returncode != 0:
        say(f"{cmd} failed: {(result.stderr or result.stdout).strip()[:400]}")
    return result.returncode == 0


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def pg_url_for(port: int) -> str | None:
    """An admin URL that can create databases on 127.0.0.1:port, trying the usual users."""
    psql = pg_bin("psql")
    for user in ("postgres", "root", os.environ.get("USER") or "postgres"):
        url = f"postgres://{user}@127.0.0.1:{port}/postgres"
        if psql is None:
            return url
        ok = (
            subprocess.run(
                [psql, url, "-Atc", "select 1"], capture_output=True, text=True, timeout=20, check=False
            ).returncode
            == 0
        )
        if ok:
            return url
    return None


def apt_install(packages: list[str]) -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    say(f"installing {' '.join(packages)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return run(["apt-get", "update", "-qq"], env=env) and run(
        ["apt-get", "install", "-y", "-qq", *packages], env=env
    )


def throwaway_postgres() -> str | None:
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        return None
    folder = tempfile.mkdtemp(prefix="citizen-pg-")
    port = free_port()
    user_args: list[str] = []
    prefix: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: run it as the postgres system user when there is one.
        if not shutil.which("runuser") or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            say("running as root without a postgres user: cannot start a throwaway PostgreSQL")
            return None
        shutil.chown(folder, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    say(f"starting a throwaway PostgreSQL in {folder} on port {port}")
    data = os.path.join(folder, "data")
    if not run([*prefix, initdb, "-D", data, "-A", "trust", "-U", "postgres", *user_args]):
        return None
    if not run(
        [
            *prefix,
            pg_ctl,
            "-D",
            data,
            "-l",
            os.path.join(folder, "log"),
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
            "-w",
            "start",
        ]
    ):
        return None
    return f"postgres://postgres@127.0.0.1:{port}/postgres" if wait_for("127.0.0.1", port) else None


def find_postgres() -> str | None:
    if os.environ.get("CITIZEN_TEST_DATABASE_URL"):
        return os.environ["CITIZEN_TEST_DATABASE_URL"]
    for attempt in range(2):
        if answers("127.0.0.1", 5432):
            url = pg_url_for(5432)
            if url:
                return url
        if shutil.which("pg_ctlcluster") and glob.glob("/etc/postgresql/*"):
            version = sorted(os.listdir("/etc/postgresql"))[-1]
            say(f"PostgreSQL {version} is installed but not answering: starting its cluster")
            run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"])
            if wait_for("127.0.0.1", 5432):
                url = pg_url_for(5432)
                if url:
                    return url
        url = throwaway_postgres()
        if url:
            return url
        if attempt == 0 and not apt_install(["postgresql"]):
            break
    return None


def find_redis() -> str | None:
    if os.environ.get("CITIZEN_TEST_REDIS_URL"):
        return os.environ["CITIZEN_TEST_REDIS_URL"]
    for attempt in range(2):
        if answers("127.0.0.1", 6379):
            return "redis://127.0.0.1:6379/0"
        server = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
        )
        if server:
            if os.path.isdir("/var/lib/redis") and os.geteuid() == 0:
                say("Redis is installed but not answering: starting it on 6379")
                os.makedirs("/var/log/redis", exist_ok=True)
                run(
                    [
                        server,
                        "--daemonize",
                        "yes",
                        "--bind",
                        "127.0.0.1",
                        "-::1",
                        "--port",
                        "6379",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        "/var/lib/redis",
                        "--logfile",
                        "/var/log/redis/ci.log",
                    ]
                )
                if wait_for("127.0.0.1", 6379, 10):
                    return "redis://127.0.0.1:6379/0"
            port = free_port()
            folder = tempfile.mkdtemp(prefix="citizen-redis-")
            say(f"starting a throwaway Redis on port {port}")
            run(
                [
                    server,
                    "--daemonize",
                    "yes",
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    folder,
                    "--logfile",
                    os.path.join(folder, "log"),
                ]
            )
            if wait_for("127.0.0.1", port, 10):
                CLEANUP.append(
                    f"{server.replace('redis-server', 'redis-cli')} -p {port} shutdown nosave; rm -rf {folder}"
                )
                return f"redis://127.0.0.1:{port}/0"
        if attempt == 0 and not apt_install(["redis-server"]):
            break
    return None


def main() -> int:
    database = find_postgres()
    redis = find_redis()
    missing = []
    if not database:
        missing.append("PostgreSQL (install the 'postgresql' package or set CITIZEN_TEST_DATABASE_URL)")
    if not redis:
        missing.append("Redis (install the 'redis-server' package or set CITIZEN_TEST_REDIS_URL)")
    if missing:
        say("cannot run the test suite; missing: " + "; ".join(missing))
        return 1
    say(f"PostgreSQL: {database}")
    say(f"Redis: {redis}")
    print(f"export CITIZEN_TEST_DATABASE_URL='{database}'")
    print(f"export CITIZEN_TEST_REDIS_URL='{redis}'")
    cleanup = "; ".join(CLEANUP) or ":"
    print(f"export CITIZEN_TEST_CLEANUP={shlex.quote(cleanup)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
