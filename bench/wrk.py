"""Shared benchmark plumbing: find wrk, start servers, run wrk with a Lua script, measure CPU from /proc.

Not a test. Every server binds 127.0.0.1 only; every function that starts a process also stops it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).resolve().parent / "lua"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def split_cores() -> tuple[set[int] | None, set[int] | None]:
    """(wrk's cores, the server's cores) for a read benchmark, or (None, None) when not pinning.

    On a machine with two cores, wrk and the server otherwise migrate between them and preempt each
    other, which moved a ratio of two identical floors by up to 13% from one run to the next. Pinned,
    wrk has core 0 and the server every other core. BENCH_PIN=0 turns it off (as does a single core).
    """
    cores = sorted(os.sched_getaffinity(0))
    if os.environ.get("BENCH_PIN", "1") == "0" or len(cores) < 2:
        return None, None
    return {cores[0]}, set(cores[1:])


def _on_cores(cpus: set[int] | None):
    """A Popen preexec_fn that moves the child (and what it starts) to `cpus`; None when not pinning."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


# ------------------------------------------------------------------------------------------------ wrk


def find_wrk() -> str:
    """The wrk binary: on PATH, or installed with apt-get when running as root; else exit 2."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk not found: installing it with apt-get ...", file=sys.stderr)
        install = ["apt-get", "install", "-y", "wrk"]
        if subprocess.run(install, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], check=False)
            subprocess.run(install, check=False)
        found = shutil.which("wrk")
        if found:
            return found
    print(
        "wrk (https://github.com/wg/wrk) is required and was not found on PATH.\n"
        "Install it (Debian/Ubuntu: `sudo apt-get install wrk`; macOS: `brew install wrk`) and run again.",
        file=sys.stderr,
    )
    raise SystemExit(2)


@dataclass
class WrkResult:
    name: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    server_cpu_s: float = 0.0
    pg_cpu_s: float | None = None
    # Round trips counted by bench/probe (None when the server was started without the probe).
    trips: dict[str, int] | None = None
    load: tuple[float, float, float] = field(default_factory=os.getloadavg)

    @property
    def server_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / self.requests if self.requests else float("nan")

    @property
    def pg_ms_per_request(self) -> float | None:
        if self.pg_cpu_s is None or not self.requests:
            return None
        return 1000 * self.pg_cpu_s / self.requests

    def trips_per_request(self) -> dict[str, float] | None:
        if self.trips is None or not self.requests:
            return None
        return {kind: round(count / self.requests, 2) for kind, count in self.trips.items()}

    def line(self) -> str:
        pg = self.pg_ms_per_request
        pg_text = f"  pg {pg:5.2f} ms/req" if pg is not None else ""
        trips = self.trips_per_request()
        trips_text = (
            f"  trips/req pg {trips['pg'] + trips['pg_prepare']:.2f} redis {trips['redis']:.2f}"
            if trips
            else ""
        )
        return (
            f"{self.name:<40} {self.requests:>7} req {self.rps:>9.1f} req/s  p50 {self.p50_ms:>7.1f} ms  "
            f"p99 {self.p99_ms:>7.1f} ms  server {self.server_ms_per_request:5.2f} ms/req{pg_text}{trips_text}  "
            f"load {self.load[0]:.2f}  {self.statuses}{'  errors ' + str(self.errors) if self.errors else ''}"
        )

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "server_cpu_ms_per_request": round(self.server_ms_per_request, 3),
            "pg_cpu_ms_per_request": None
            if self.pg_ms_per_request is None
            else round(self.pg_ms_per_request, 3),
            "round_trips_per_request": self.trips_per_request(),
            "statuses": self.statuses,
            "errors": self.errors,
            "loadavg": [round(x, 2) for x in self.load],
        }


def run_wrk(
    name: str,
    url: str,
    *,
    script: str,
    duration: float,
    connections: int,
    threads: int = 1,
    env: dict[str, str] | None = None,
    cpu_pids: list[int] | None = None,
    pg: PgCpu | None = None,
    profile: Path | None = None,
    cpus: set[int] | None = None,
) -> WrkResult:
    """Run wrk with bench/lua/<script>; the script's done() prints one JSON line prefixed by `WRK_JSON `.

    `profile`: also sample the server tree with py-spy for the run and write `profile` (collapsed
    stacks, py-spy's raw format) and `profile`.txt (the hottest frames, see summarise_profile).
    `cpus`: the cores wrk runs on (see split_cores).
    """
    wrk = find_wrk()
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "30s",
        "-s",
        str(LUA / script),
        url,
    ]
    trips_before = probe_counts(cpu_pids or [])
    before = tree_cpu_seconds(cpu_pids or [])
    pg_before = pg.snapshot() if pg else None
    spy = start_profile(cpu_pids or [], profile, duration) if profile else None
    began = time.perf_counter()
    wrk_env = {**os.environ, "BENCH_LUA_DIR": str(LUA), "BENCH_THREADS": str(threads), **(env or {})}
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=wrk_env, check=False, preexec_fn=_on_cores(cpus)
    )
    elapsed = time.perf_counter() - began
    if spy is not None and profile is not None:
        spy.wait(timeout=60)
        summarise_profile(profile)
    after = tree_cpu_seconds(cpu_pids or [])
    pg_cpu = pg.delta(pg_before) if pg else None
    trips_after = probe_counts(cpu_pids or [])
    data = None
    for row in done.stdout.splitlines():
        if row.startswith("WRK_JSON "):
            data = json.loads(row[len("WRK_JSON ") :])
    if data is None:
        raise SystemExit(f"wrk gave no result for {name}:\n{done.stdout}\n{done.stderr}")
    seconds = data["duration_us"] / 1e6 or elapsed
    return WrkResult(
        name=name,
        requests=data["requests"],
        seconds=seconds,
        rps=data["requests"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        statuses={str(k): v for k, v in sorted(data.get("statuses", {}).items())},
        errors={k: v for k, v in data.get("errors", {}).items() if v},
        server_cpu_s=after - before,
        pg_cpu_s=pg_cpu,
        trips=None
        if trips_before is None or trips_after is None
        else {kind: trips_after[kind] - trips_before.get(kind, 0) for kind in trips_after},
    )


# ------------------------------------------------------------------------------------------ profile


def find_py_spy() -> str:
    """py-spy (PyPI `py-spy`): $BENCH_PY_SPY, on PATH, or next to the interpreter; else exit 2."""
    for candidate in (os.environ.get("BENCH_PY_SPY"), shutil.which("py-spy")):
        if candidate and Path(candidate).exists():
            return candidate
    local = Path(sys.executable).with_name("py-spy")
    if local.exists():
        return str(local)
    print(
        "--profile needs py-spy: `pip install py-spy` (or set BENCH_PY_SPY=/path/to/py-spy)", file=sys.stderr
    )
    raise SystemExit(2)


def start_profile(pids: list[int], out: Path, duration: float) -> subprocess.Popen:
    """py-spy record of the server tree (all worker processes), non-blocking, for `duration` seconds."""
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        find_py_spy(),
        "record",
        "--pid",
        str(pids[0]),
        "--subprocesses",
        "--nonblocking",
        "--rate",
        "250",
        "--duration",
        str(max(1, round(duration))),
        "--format",
        "raw",
        "--output",
        str(out),
    ]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise_profile(raw: Path, top: int = 40) -> str:
    """Inclusive share of samples per function (file:function), hottest first, written to <raw>.txt."""
    inclusive: dict[str, int] = {}
    total = 0
    with contextlib.suppress(OSError):
        for row in raw.read_text().splitlines():
            stack, _, count_text = row.rpartition(" ")
            if not count_text.isdigit():
                continue
            count = int(count_text)
            total += count
            seen = set()
            for frame in stack.split(";"):
                name = frame.split(" (", 1)[0] + " " + frame.rsplit("/", 1)[-1].split(":")[0]
                if name not in seen:
                    seen.add(name)
                    inclusive[name] = inclusive.get(name, 0) + count
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])[:top]
    text = f"{total} samples\n" + "\n".join(f"{100 * n / max(total, 1):5.1f}%  {name}" for name, n in ranked)
    raw.with_suffix(raw.suffix + ".txt").write_text(text + "\n")
    return text


# ------------------------------------------------------------------------------- round trips (probe)

PROBE = Path(__file__).resolve().parent / "probe"
PROBE_DIR = Path(os.environ.get("BENCH_PROBE_DIR") or f"/tmp/citizen-bench-probe-{os.getpid()}")


def probe_counts(pids: list[int]) -> dict[str, int] | None:
    """Round trips so far of the probed processes in the trees of `pids` (bench/probe/sitecustomize.py):
    each is sent SIGUSR2 and writes its totals; None when no process of the tree carries the probe."""
    import signal

    tree = [pid for pid in process_tree(pids) if _probed(pid)]
    if not tree:
        return None
    for pid in tree:
        (PROBE_DIR / f"{pid}.json").unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGUSR2)
    totals: dict[str, int] = {}
    deadline = time.monotonic() + 5
    for pid in tree:
        path = PROBE_DIR / f"{pid}.json"
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        with contextlib.suppress(OSError, ValueError):
            for kind, count in json.loads(path.read_text()).items():
                totals[kind] = totals.get(kind, 0) + count
    return totals


def _probed(pid: int) -> bool:
    """True for a process started with the probe (BENCH_PROBE_DIR in its environment)."""
    try:
        return b"BENCH_PROBE_DIR=" in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def write_lines(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


# ------------------------------------------------------------------------------------------- /proc CPU


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 of proc(5) is [0]); None if gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _proc_cpu(pid: int) -> float:
    """utime+stime of one process (all its threads), in seconds; 0 if it is gone."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK if fields else 0.0  # fields 14 and 15 of proc(5)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                kids += [int(x) for x in (task / "children").read_text().split()]
    return kids


def process_tree(pids: list[int]) -> list[int]:
    seen: list[int] = []
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.append(pid)
            todo += _children(pid)
    return seen


def tree_cpu_seconds(pids: list[int]) -> float:
    """CPU seconds of the live processes in the trees rooted at `pids` (server + its worker processes)."""
    return sum(_proc_cpu(pid) for pid in process_tree(pids))


def tree_cpu_split(pids: list[int]) -> tuple[float, float, int]:
    """(user seconds, system seconds, minor page faults) of the trees rooted at `pids`: a burst that
    grows the heap shows as system time and faults."""
    user = system = 0.0
    faults = 0
    for pid in process_tree(pids):
        fields = _stat(pid)
        if fields:
            faults += int(fields[7])  # field 10 of proc(5): minflt
            user += int(fields[11]) / CLK_TCK
            system += int(fields[12]) / CLK_TCK
    return user, system, faults


def rss_mb(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in process_tree(pids):
        with contextlib.suppress(OSError):
            for row in Path(f"/proc/{pid}/status").read_text().splitlines():
                if row.startswith("VmRSS:"):
                    out[pid] = int(row.split()[1]) / 1024
    return out


class PgCpu:
    """CPU of the PostgreSQL backends connected to one database, from /proc/<backend pid>/stat.

    pg_stat_statements is not installed here, so CPU is read from /proc: the benchmark must run on the
    database host as root or as the postgres user. Backends that start during a run count from zero;
    backends that exit during a run are lost (pools keep theirs open, so this is rare).
    """

    def __init__(self, admin_url: str, database: str):
        self.admin_url, self.database = admin_url, database

    def _pids(self) -> list[int]:
        import asyncio

        import asyncpg

        async def query() -> list[int]:
            conn = await asyncpg.connect(self.admin_url)
            try:
                rows = await conn.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                    self.database,
                )
            finally:
                await conn.close()
            return [r["pid"] for r in rows]

        return asyncio.run(query())

    def snapshot(self) -> dict[int, float]:
        return {pid: _proc_cpu(pid) for pid in self._pids()}

    def delta(self, before: dict[int, float] | None) -> float:
        before = before or {}
        now = self.snapshot()
        return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in now.items())


# --------------------------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, limit_s: float = 240.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        time.sleep(0.3)
    raise SystemExit(f"server at {url} did not come up")


def _ready_or_stopped(url: str, process: subprocess.Popen) -> None:
    """Wait for `url`; if it never answers, stop the process before giving up (never leave one running)."""
    try:
        wait_until_up(url, process)
    except BaseException:
        stop(process)
        raise


def bench_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        **extra,
    }


def start_floor(
    kind: str,
    port: int,
    *,
    database_url: str | None = None,
    cpus: set[int] | None = None,
    served: bool = False,
    workers: int = 1,
) -> subprocess.Popen:
    """bench/floors.py: `bare` (Sanic JSON endpoint) or `booking` (raw asyncpg booking); on `cpus`;
    `served`: under Sanic's worker manager with `workers` processes, as the API is served."""
    cmd = [sys.executable, str(ROOT / "bench" / "floors.py"), kind, "--port", str(port)]
    if database_url:
        cmd += ["--database-url", database_url]
    if served:
        cmd += ["--served", "--workers", str(workers)]
    process = subprocess.Popen(
        cmd, cwd=ROOT, env=bench_env(), stdout=subprocess.DEVNULL, preexec_fn=_on_cores(cpus)
    )
    _ready_or_stopped(f"http://127.0.0.1:{port}/ping", process)
    return process


def start_api(
    port: int,
    *,
    database_url: str,
    redis_url: str,
    redis_prefix: str,
    secret: str,
    workers: int = 1,
    cpus: set[int] | None = None,
) -> subprocess.Popen:
    """`citizen-api serve --workers N` on loopback against PostgreSQL + Redis; on `cpus` if given."""
    cli = Path(sys.executable).with_name("citizen-api")
    PROBE_DIR.mkdir(parents=True, exist_ok=True)
    env = bench_env(
        CITIZEN_PROFILE="embedded",  # with the URLs below it runs on PostgreSQL + Redis,
        CITIZEN_DATABASE_URL=database_url,
        CITIZEN_REDIS_URL=redis_url,
        CITIZEN_REDIS_PREFIX=redis_prefix,
        CITIZEN_SECRET_KEY=secret,
        CITIZEN_RATE_LIMITS_ENABLED="false",
        CITIZEN_RUN_WORKER_IN_PROCESS="false",
        CITIZEN_LOG_LEVEL="WARNING",
        CITIZEN_HOST="127.0.0.1",
        CITIZEN_PORT=str(port),
        BENCH_PROBE_DIR=str(PROBE_DIR),
    )
    # bench/probe first on the path: its sitecustomize counts the server's round trips.
    env["PYTHONPATH"] = str(PROBE) + os.pathsep + env["PYTHONPATH"]
    process = subprocess.Popen(
        [str(cli), "serve", "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        preexec_fn=_on_cores(cpus),
    )
    _ready_or_stopped(f"http://127.0.0.1:{port}/health", process)
    return process


def stop(*processes: subprocess.Popen | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
    for process in processes:
        if process is not None:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# ------------------------------------------------------------------------------------------- databases


def scratch_postgres(admin_url: str) -> tuple[str, str]:
    import asyncio

    import asyncpg

    name = f"citizen_bench_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment)), name


def drop_postgres(admin_url: str, name: str) -> None:
    import asyncio

    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def drop_redis_prefix(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i : i + 500])
    finally:
        client.close()


def load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
