"""Cached tourism reads and /health as ratios to a bare Sanic JSON endpoint, driven by wrk, in one run.

    PYTHONPATH=$PWD .venv/bin/python bench/tourism_bench.py \
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--redis-url redis://127.0.0.1:6379/0] \
        [--duration 4] [--rounds 3] [--connections 32] [--profile DIR]

Needs wrk (found on PATH, or installed with apt-get when run as root; exit 2 otherwise). Creates a scratch
PostgreSQL database citizen_bench_<random> with the demo scenic areas and a Redis prefix of its own (both
removed at the end), starts `citizen-api serve --workers 1` and the bare Sanic floor (bench/floors.py) on
127.0.0.1, twice: in one process, and served as the API is (Sanic's worker manager, one worker: the
like-for-like floor). wrk runs on core 0 and the servers on the other cores (bench/wrk.py split_cores;
BENCH_PIN=0 turns it off). After a warm-up that fills the cache, each round runs wrk -t1 against every
path in turn (bench/lua/get.lua), `--rounds` times, interleaved, each round starting one path later than
the one before (the order turns). Prints each round's requests/s, p50/p99
and the server's CPU per request (utime+stime of its process tree from /proc), then per path the median
over rounds and the median (and range) of each round's ratio to that round's floors, by req/s and by CPU
per request, and the size of each answer (status line, headers and body: the floor's is the smallest).
Targets, on the median req/s ratio to the served floor: cached detail >= 0.8, /health >= 0.9.
`--profile DIR` also samples each path's server with py-spy in round 1 into DIR/<n>_<port>.raw (+ .txt).
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per path and round (max 60)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (1-9)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (max 256)")
    parser.add_argument(
        "--profile", type=Path, default=None, help="directory: py-spy each path into <dir>/<n>.raw"
    )
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 60.0)
    rounds = min(max(args.rounds, 1), 9)
    connections = min(max(args.connections, 1), 256)
    bench.find_wrk()
    client_cpus, server_cpus = bench.split_cores()

    secret = "bench-secret-" + uuid.uuid4().hex
    prefix = f"citizen_bench_{uuid.uuid4().hex[:8]}:"
    database_url, pg_name = bench.scratch_postgres(args.database_url)
    processes = []
    results: list[list[bench.WrkResult]] = []
    started = bench.load_text()
    try:
        area_id = asyncio.run(prepare_database(database_url, secret))
        bare_port, served_port, api_port = bench.free_port(), bench.free_port(), bench.free_port()
        bare = bench.start_floor("bare", bare_port, cpus=server_cpus)
        processes.append(bare)
        # The floor served as the API is (a worker process under Sanic's manager), the like-for-like one.
        served = bench.start_floor("bare", served_port, cpus=server_cpus, served=True)
        processes.append(served)
        api = bench.start_api(
            api_port,
            database_url=database_url,
            redis_url=args.redis_url,
            redis_prefix=prefix,
            secret=secret,
            cpus=server_cpus,
        )
        processes.append(api)
        listing = "/api/v1/tourism/scenic-areas"
        paths = [
            (FLOOR, bare, bare_port, "/ping"),
            (SERVED_FLOOR, served, served_port, "/ping"),
            (HEALTH, api, api_port, "/health"),
            (DETAIL, api, api_port, f"{listing}/{area_id}"),
            ("API scenic-area list", api, api_port, listing),
            ("API scenic-area list ?near=", api, api_port, listing + "?near=35.09,112.60"),
        ]
        for _, _, port, path in paths:  # warm-up: imports, pools, and the cache filled
            bench.run_wrk(
                "warm",
                f"http://127.0.0.1:{port}{path}",
                script="get.lua",
                duration=1,
                connections=4,
                cpus=client_cpus,
            )
        sizes = {name: answer_bytes(port, path) for name, _, port, path in paths}
        for round_number in range(rounds):
            # Every path once per round: a drift of the machine (another process, frequency) moves a
            # round's floors and paths together, and the median of the rounds' ratios is what is
            # reported. The order turns by one place each round, so no path is always the one measured
            # right after the floors (bench/README.md, seventh round).
            row = []
            for number, (name, process, port, path) in rotated(list(enumerate(paths)), round_number):
                profile = None
                if args.profile is not None and round_number == 0:
                    profile = args.profile / f"{number}_{port}.raw"
                row.append(
                    bench.run_wrk(
                        name,
                        f"http://127.0.0.1:{port}{path}",
                        script="get.lua",
                        duration=duration,
                        connections=connections,
                        cpu_pids=[process.pid],
                        profile=profile,
                        cpus=client_cpus,
                    )
                )
            results.append(row)
        rss = {str(k): round(v, 1) for k, v in bench.rss_mb([api.pid]).items()}
    finally:
        bench.stop(*processes)
        bench.drop_postgres(args.database_url, pg_name)
        bench.drop_redis_prefix(args.redis_url, prefix)

    pinned = (
        f"wrk on cores {sorted(client_cpus)}, servers on {sorted(server_cpus)}" if server_cpus else "unpinned"
    )
    print(
        f"\ntourism read benchmark — PostgreSQL + Redis, wrk -t1 -c{connections}, {duration:.0f} s per path,"
        f" {rounds} interleaved rounds, {pinned}"
    )
    for number, row in enumerate(results, 1):
        print(f"-- round {number}")
        for result in row:
            print(result.line())
    report = summarise(results, sizes)
    report = {
        "started": started,
        "finished": bench.load_text(),
        "pinning": pinned,
        **report,
        "rss_mb_api_tree": rss,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    ok = all(result.statuses.keys() == {"200"} for row in results for result in row)
    return 0 if ok else 1


FLOOR = "bare Sanic GET /ping (one process)"
SERVED_FLOOR = "bare Sanic GET /ping (served as the API: worker manager, 1 worker)"
HEALTH = "API GET /health"
DETAIL = "API cached scenic-area detail"


def summarise(results: list[list[bench.WrkResult]], sizes: dict[str, int]) -> dict:
    """Per path: the rounds' median req/s and CPU per request, and the median of each round's ratio to
    the round's floors (by req/s and by CPU per request), with the rounds' lowest and highest ratio."""
    names = [result.name for result in results[0]]
    floors = (FLOOR, SERVED_FLOOR)
    ratios: dict[str, dict[str, object]] = {}
    for floor in floors:
        for name in names:
            if name in floors and name == floor:
                continue
            by_rps = [row_of(row, name).rps / row_of(row, floor).rps for row in results]
            by_cpu = [
                row_of(row, floor).server_ms_per_request / row_of(row, name).server_ms_per_request
                for row in results
            ]
            ratios.setdefault(name, {})[f"to {floor}"] = {
                "rps": round(median(by_rps), 3),
                "rps_range": [round(min(by_rps), 3), round(max(by_rps), 3)],
                "cpu": round(median(by_cpu), 3),
                "cpu_range": [round(min(by_cpu), 3), round(max(by_cpu), 3)],
            }
    # The target ratios: to the floor served like the API (the lower of the two floors' ratios when
    # they differ is the honest one; both are printed above).
    health = ratios[HEALTH][f"to {SERVED_FLOOR}"]
    detail = ratios[DETAIL][f"to {SERVED_FLOOR}"]
    return {
        "median_rps": {name: round(median([row_of(row, name).rps for row in results]), 1) for name in names},
        "median_server_cpu_us_per_request": {
            name: round(1000 * median([row_of(row, name).server_ms_per_request for row in results]), 1)
            for name in names
        },
        "ratios": ratios,
        "answer_bytes": sizes,
        "targets_met": {
            "cached detail >= 0.8 of bare Sanic (median rps ratio)": detail["rps"] >= 0.8,
            "/health >= 0.9 of bare Sanic (median rps ratio)": health["rps"] >= 0.9,
        },
    }


def rotated(items: list, shift: int) -> list:
    """`items` turned left by `shift` places (each round of the benchmark starts one path later)."""
    shift %= len(items) or 1
    return items[shift:] + items[:shift]


def row_of(row: list[bench.WrkResult], name: str) -> bench.WrkResult:
    return next(result for result in row if result.name == name)


if __name__ == "__main__":
    raise SystemExit(main())
