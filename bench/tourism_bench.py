"""Cached tourism reads and /health as ratios to a bare Sanic JSON endpoint, driven by wrk, in one run.

    PYTHONPATH=$PWD .venv/bin/python bench/tourism_bench.py \
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--redis-url redis://127.0.0.1:6379/0] \
        [--duration 8] [--connections 32] [--profile DIR]

Needs wrk (found on PATH, or installed with apt-get when run as root; exit 2 otherwise). Creates a scratch
PostgreSQL database citizen_bench_<random> with the demo scenic areas and a Redis prefix of its own (both
removed at the end), starts `citizen-api serve --workers 1` and the bare Sanic floor (bench/floors.py) on
127.0.0.1, and runs wrk -t1 against each path in turn (bench/lua/get.lua) after a warm-up that fills the
cache. Prints requests/s, p50/p99, the server's CPU per request (utime+stime of its process tree from
/proc) and each ratio to the bare endpoint (by req/s and by CPU per request), and the size of each answer
(status line, headers and body: the floor's is the smallest). The floor runs twice: as installed (Sanic
auto-loads sanic-ext into it) and with the API's Sanic settings (SANIC_AUTO_EXTEND=false), the
like-for-like one; the ratios to both are printed. Targets: cached detail >= 0.8, /health >= 0.9.
`--profile DIR` also samples each path's server with py-spy into DIR/<path>.raw (+ .raw.txt, hottest frames).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import wrk as bench  # noqa: E402  (bench/wrk.py)


async def prepare_database(database_url: str, secret: str) -> str:
    """Migrate and seed the demo scenic areas; returns one area id."""
    from citizen_api.composition import tortoise_apps
    from citizen_api.runtime import build_cipher
    from citizen_api.settings import Settings
    from services.common.db import close_db, init_db, migrate
    from services.common.seeding import SeedContext
    from services.tourism.models import ScenicArea
    from services.tourism.seed import seed_demo

    await migrate(database_url, apps=tortoise_apps())
    await close_db()
    await init_db(database_url, apps=tortoise_apps())
    try:
        await seed_demo(SeedContext(cipher=build_cipher(Settings(secret_key=secret))))
        area = await ScenicArea.get(code="wangwushan")
        return str(area.id)
    finally:
        await close_db()


def answer_bytes(port: int, path: str) -> int:
    """Bytes of one answer on the wire (status line, headers, body), as wrk receives it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return len(received)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per path (max 60)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (max 256)")
    parser.add_argument(
        "--profile", type=Path, default=None, help="directory: py-spy each path into <dir>/<n>.raw"
    )
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 60.0)
    connections = min(max(args.connections, 1), 256)
    bench.find_wrk()

    secret = "bench-secret-" + uuid.uuid4().hex
    prefix = f"citizen_bench_{uuid.uuid4().hex[:8]}:"
    database_url, pg_name = bench.scratch_postgres(args.database_url)
    processes = []
    results: list[bench.WrkResult] = []
    started = bench.load_text()
    try:
        area_id = asyncio.run(prepare_database(database_url, secret))
        bare_port, api_port = bench.free_port(), bench.free_port()
        bare = bench.start_floor("bare", bare_port)
        processes.append(bare)
        # The same floor with the API's Sanic settings: sanic-ext (installed, so Sanic auto-loads it
        # into the floor) adds its signals, injection and CORS handling to every request (~25% of the
        # floor's CPU); the API turns it off (AUTO_EXTEND = False). Both floors are reported.
        plain_port = bench.free_port()
        os.environ["SANIC_AUTO_EXTEND"] = "false"
        try:
            plain = bench.start_floor("bare", plain_port)
        finally:
            del os.environ["SANIC_AUTO_EXTEND"]
        processes.append(plain)
        api = bench.start_api(
            api_port, database_url=database_url, redis_url=args.redis_url, redis_prefix=prefix, secret=secret
        )
        processes.append(api)
        listing = "/api/v1/tourism/scenic-areas"
        paths = [
            ("bare Sanic GET /ping", bare, bare_port, "/ping"),
            ("bare Sanic, no sanic-ext (API settings)", plain, plain_port, "/ping"),
            ("API GET /health", api, api_port, "/health"),
            ("API cached scenic-area detail", api, api_port, f"{listing}/{area_id}"),
            ("API scenic-area list", api, api_port, listing),
            ("API scenic-area list ?near=", api, api_port, listing + "?near=35.09,112.60"),
        ]
        for _, _, port, path in paths:  # warm-up: imports, pools, and the cache filled
            bench.run_wrk(
                "warm", f"http://127.0.0.1:{port}{path}", script="get.lua", duration=1, connections=4
            )
        sizes = {name: answer_bytes(port, path) for name, _, port, path in paths}
        for number, (name, process, port, path) in enumerate(paths):
            results.append(
                bench.run_wrk(
                    name,
                    f"http://127.0.0.1:{port}{path}",
                    script="get.lua",
                    duration=duration,
                    connections=connections,
                    cpu_pids=[process.pid],
                    profile=None if args.profile is None else args.profile / f"{number}_{port}.raw",
                )
            )
        rss = {str(k): round(v, 1) for k, v in bench.rss_mb([api.pid]).items()}
    finally:
        bench.stop(*processes)
        bench.drop_postgres(args.database_url, pg_name)
        bench.drop_redis_prefix(args.redis_url, prefix)

    print(
        f"\ntourism read benchmark — PostgreSQL + Redis, wrk -t1 -c{connections}, {duration:.0f} s per path"
    )
    for row in results:
        print(row.line())
    bare_rps = results[0].rps
    ratios = {row.name: round(row.rps / bare_rps, 3) for row in results[1:]}
    bare_cpu = results[0].server_ms_per_request
    cpu_ratios = {row.name: round(bare_cpu / row.server_ms_per_request, 3) for row in results[1:]}
    plain_rps, plain_cpu = results[1].rps, results[1].server_ms_per_request
    like_for_like = {
        row.name: {
            "rps": round(row.rps / plain_rps, 3),
            "cpu": round(plain_cpu / row.server_ms_per_request, 3),
        }
        for row in results[2:]
    }
    report = {
        "started": started,
        "finished": bench.load_text(),
        "ratio_to_bare": ratios,
        "cpu_ratio_bare_over_path": cpu_ratios,
        "ratio_to_bare_without_sanic_ext": like_for_like,
        "server_cpu_us_per_request": {
            row.name: round(1000 * row.server_ms_per_request, 1) for row in results
        },
        "answer_bytes": sizes,
        "rss_mb_api_tree": rss,
        "targets_met": {
            "cached detail >= 0.8 of bare Sanic": ratios["API cached scenic-area detail"] >= 0.8,
            "/health >= 0.9 of bare Sanic": ratios["API GET /health"] >= 0.9,
        },
        "results": [row.as_dict() for row in results],
    }
    print(json.dumps({k: v for k, v in report.items() if k != "results"}, indent=2, ensure_ascii=False))
    ok = all(row.statuses.keys() == {"200"} for row in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
