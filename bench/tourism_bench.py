"""Requests per second of the cached tourism reads, as a ratio to a bare Sanic JSON endpoint.

    .venv/bin/python bench/tourism_bench.py [--seconds 3] [--concurrency 16] [--redis-url redis://127.0.0.1:6379/9]

Starts, on loopback, one single-worker API process (SQLite with the demo scenic areas, Redis if one
answers at --redis-url, else fakeredis) and one single-worker bare Sanic app returning a small JSON
object; then drives each in turn with a keep-alive HTTP/1.1 load generator for a bounded time and
prints requests/second and the ratio of each tourism read to the bare endpoint. Target: the cached
detail at >= 50% of the bare endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------------------------------- servers


def serve_bare(port: int) -> None:
    from sanic import Sanic
    from sanic.response import json as json_response

    app = Sanic("bare_bench")
    app.config.ACCESS_LOG = False

    @app.get("/bare")
    async def bare(request):
        return json_response({"id": "bare", "name": "王屋山", "ok": True})

    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)


def serve_api(port: int, database_url: str, redis_url: str | None) -> None:
    from citizen_api.app import create_app
    from citizen_api.settings import Settings

    settings = Settings(
        profile="embedded",
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=f"bench{os.getpid()}:",
        port=port,
        run_worker_in_process=False,
        log_level="WARNING",
    )
    app = create_app(settings, name="api_bench")
    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)


async def prepare_database(database_url: str) -> str:
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
        await seed_demo(SeedContext(cipher=build_cipher(Settings())))
        area = await ScenicArea.get(code="wangwushan")
        return str(area.id)
    finally:
        await close_db()


def redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return False


# ------------------------------------------------------------------------------------ load generator


async def _worker(port: int, path: str, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n".encode()
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}")
            counts[0] += 1
    finally:
        writer.close()


async def measure(port: int, path: str, *, seconds: float, concurrency: int) -> float:
    """Requests per second of `path` over `seconds`, `concurrency` keep-alive connections."""
    await _drive(
        port, path, seconds=min(1.0, seconds / 3), concurrency=concurrency
    )  # warm-up (fills the cache)
    return await _drive(port, path, seconds=seconds, concurrency=concurrency)


async def _drive(port: int, path: str, *, seconds: float, concurrency: int) -> float:
    counts = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_worker(port, path, deadline, counts) for _ in range(concurrency)))
    return counts[0] / (time.perf_counter() - started)


async def wait_ready(port: int, path: str, within_s: float = 30.0) -> None:
    limit = time.monotonic() + within_s
    while time.monotonic() < limit:
        try:
            await _drive(port, path, seconds=0.01, concurrency=1)
            return
        except (OSError, RuntimeError, asyncio.IncompleteReadError):
            await asyncio.sleep(0.2)
    raise SystemExit(f"server on {port} did not answer {path}")


# -------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured time per endpoint (max 20)")
    parser.add_argument("--concurrency", type=int, default=16, help="keep-alive connections (max 64)")
    parser.add_argument(
        "--redis-url", default=os.environ.get("CITIZEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--serve", choices=["bare", "api"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "bare":
        serve_bare(args.port)
        return
    if args.serve == "api":
        serve_api(args.port, args.database_url, args.redis_url or None)
        return

    seconds = max(0.5, min(20.0, args.seconds))
    concurrency = max(1, min(64, args.concurrency))
    folder = Path(tempfile.mkdtemp(prefix="tourism-bench-"))
    database_url = f"sqlite://{folder}/bench.sqlite3"
    area_id = asyncio.run(prepare_database(database_url))
    redis_url = args.redis_url if args.redis_url and redis_answers(args.redis_url) else ""
    bare_port, api_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    me = [sys.executable, str(Path(__file__).resolve())]
    servers = [
        subprocess.Popen([*me, "--serve", "bare", "--port", str(bare_port)], env=env, cwd=ROOT),
        subprocess.Popen(
            [
                *me,
                "--serve",
                "api",
                "--port",
                str(api_port),
                "--database-url",
                database_url,
                "--redis-url",
                redis_url,
            ],
            env=env,
            cwd=ROOT,
        ),
    ]
    detail = f"/api/v1/tourism/scenic-areas/{area_id}"
    listing = "/api/v1/tourism/scenic-areas"
    try:

        async def run() -> dict[str, float]:
            await wait_ready(bare_port, "/bare")
            await wait_ready(api_port, detail)
            return {
                "bare": await measure(bare_port, "/bare", seconds=seconds, concurrency=concurrency),
                # Our middleware stack with no cache or database: the floor for any API endpoint.
                "api_health": await measure(api_port, "/health", seconds=seconds, concurrency=concurrency),
                "detail": await measure(api_port, detail, seconds=seconds, concurrency=concurrency),
                "list": await measure(api_port, listing, seconds=seconds, concurrency=concurrency),
                "list_near": await measure(
                    api_port, listing + "?near=35.09,112.60", seconds=seconds, concurrency=concurrency
                ),
            }

        rps = asyncio.run(run())
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
    report = {
        "seconds_per_endpoint": seconds,
        "concurrency": concurrency,
        "redis": "redis-server" if redis_url else "fakeredis (in-process)",
        "requests_per_second": {k: round(v, 1) for k, v in rps.items()},
        "ratio_to_bare": {k: round(v / rps["bare"], 3) for k, v in rps.items() if k != "bare"},
        "target_detail_ratio": 0.5,
    }
    report["detail_meets_target"] = report["ratio_to_bare"]["detail"] >= 0.5
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
