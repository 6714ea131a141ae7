"""School-district lookups per second, by point and by address, as a ratio to a bare Sanic endpoint.

    .venv/bin/python bench/education_bench.py [--seconds 5] [--concurrency 16] [--threads 2]

Starts, on loopback, one single-worker API process (SQLite with the demo schools and the demo
districts GeoJSON) and one single-worker bare Sanic app returning a small JSON object, then drives
each in turn for a bounded time with wrk (`apt-get install wrk`) when it is installed, else with the
keep-alive load generator of bench/tourism_bench.py (the report says which). The lookup answers
from the in-process district index (shapely STRtree, normalised compound names), so after the
first request no database query runs. In-run floors, as ratios to the API's own /health in the same
run (the ceiling our middleware allows): point and address lookups >= 15%; exit 1 when missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.tourism_bench import free_port, measure, serve_bare, wait_ready  # noqa: E402

# Floors as ratios to our own /health (the middleware ceiling), measured in the same run.
FLOORS = {"point": 0.15, "address": 0.15}
POINT = "/api/v1/education/districts/lookup?" + urlencode(
    {"lat": 35.1000, "lng": 112.5720, "level": "primary"}
)
ADDRESS = "/api/v1/education/districts/lookup?" + urlencode({"address": "济源市济源碧桂园１２号楼３单元502"})


def serve_api(port: int, database_url: str) -> None:
    from citizen_api.app import create_app
    from citizen_api.settings import Settings

    settings = Settings(
        profile="embedded",
        database_url=database_url,
        redis_prefix=f"bench{os.getpid()}:",
        port=port,
        run_worker_in_process=False,
        log_level="WARNING",
        rate_limits_enabled=False,
    )
    app = create_app(settings, name="education_bench")
    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)


async def prepare_database(database_url: str) -> None:
    """Migrate, then load the demo schools and the demo districts file."""
    from citizen_api.composition import tortoise_apps
    from services.common.db import close_db, init_db, migrate
    from services.education import catalogue
    from services.education.seed import seed_schools

    await migrate(database_url, apps=tortoise_apps())
    await close_db()
    await init_db(database_url, apps=tortoise_apps())
    try:
        await seed_schools()
        await catalogue.import_districts_file(catalogue.DEMO_DISTRICTS_FILE)
    finally:
        await close_db()


def wrk_rps(port: int, path: str, *, seconds: float, concurrency: int, threads: int) -> float:
    """Requests/second reported by wrk (a warm-up run first); non-2xx answers fail the run."""
    url = f"http://127.0.0.1:{port}{path}"
    base = ["wrk", f"-t{threads}", f"-c{concurrency}"]
    subprocess.run([*base, "-d1s", url], check=True, capture_output=True)  # warm-up
    out = subprocess.run([*base, f"-d{seconds:.0f}s", url], check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{path} answered non-2xx under load:\n{out}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per endpoint (max 30)")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections (max 64)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--no-wrk", action="store_true", help="use the Python load generator even if wrk exists"
    )
    parser.add_argument("--serve", choices=["bare", "api"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "bare":
        serve_bare(args.port)
        return
    if args.serve == "api":
        serve_api(args.port, args.database_url)
        return

    seconds = max(1.0, min(30.0, args.seconds))
    concurrency = max(1, min(64, args.concurrency))
    use_wrk = shutil.which("wrk") is not None and not args.no_wrk
    folder = Path(tempfile.mkdtemp(prefix="education-bench-"))
    database_url = f"sqlite://{folder}/bench.sqlite3"
    asyncio.run(prepare_database(database_url))
    bare_port, api_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    me = [sys.executable, str(Path(__file__).resolve())]
    servers = [
        subprocess.Popen([*me, "--serve", "bare", "--port", str(bare_port)], env=env, cwd=ROOT),
        subprocess.Popen(
            [*me, "--serve", "api", "--port", str(api_port), "--database-url", database_url],
            env=env,
            cwd=ROOT,
        ),
    ]
    targets = {
        "bare": (bare_port, "/bare"),
        # Our middleware stack with no database or index: the ceiling for any API endpoint.
        "api_health": (api_port, "/health"),
        "point": (api_port, POINT),
        "address": (api_port, ADDRESS),
    }
    try:
        asyncio.run(wait_ready(bare_port, "/bare"))
        asyncio.run(wait_ready(api_port, POINT))
        rps: dict[str, float] = {}
        for name, (port, path) in targets.items():
            if use_wrk:
                rps[name] = wrk_rps(
                    port, path, seconds=seconds, concurrency=concurrency, threads=args.threads
                )
            else:
                rps[name] = asyncio.run(measure(port, path, seconds=seconds, concurrency=concurrency))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
    ratios = {k: round(v / rps["bare"], 3) for k, v in rps.items() if k != "bare"}
    to_health = {k: round(rps[k] / rps["api_health"], 3) for k in FLOORS}
    report = {
        "load_generator": "wrk" if use_wrk else "python keep-alive generator (wrk not installed)",
        "seconds_per_endpoint": seconds,
        "concurrency": concurrency,
        "requests_per_second": {k: round(v, 1) for k, v in rps.items()},
        "ratio_to_bare": ratios,
        "ratio_to_api_health": to_health,
        "floors_vs_api_health": FLOORS,
        "meets_floors": all(to_health[k] >= floor for k, floor in FLOORS.items()),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    raise SystemExit(0 if report["meets_floors"] else 1)


if __name__ == "__main__":
    main()
