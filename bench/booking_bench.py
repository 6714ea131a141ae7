"""Booking throughput and latency under contention, beside a bare Sanic JSON endpoint, in one run.

    .venv/bin/python bench/booking_bench.py                      # SQLite file + fakeredis (embedded)
    .venv/bin/python bench/booking_bench.py --database-url postgres://postgres@127.0.0.1:5432/postgres \
        --redis-url redis://127.0.0.1:6379/0                     # PostgreSQL + Redis (a scratch database)

It starts, on loopback only, (1) the real API (`citizen-api serve`, one worker) on a fresh database and
(2) a bare Sanic app answering GET /ping with {"ok": true}; then drives each for a bounded time with the
same number of concurrent clients, and prints requests/s, p50 and p99 for both and their ratio.

Contention: every booking goes to one of a few "hot" slots of one resource, so concurrent requests race
for the same row (the conditional UPDATE on `taken`). A last phase books a small slot that fills, so the
"slot full" refusal path is measured too. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE_APP = """
import sys
from sanic import Sanic
from sanic.response import json

app = Sanic("bare_bench")

@app.get("/ping")
async def ping(request):
    return json({"ok": True})

app.run(host="127.0.0.1", port=int(sys.argv[1]), single_process=True, access_log=False, debug=False)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_until_up(url: str, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise SystemExit(f"server at {url} did not come up")


async def prepare(database_url: str, *, hot_slots: int, users: int, secret: str) -> dict:
    """Migrate a fresh database and create the resource, slots and users the load needs."""
    from citizen_api.composition import tortoise_apps
    from services.accounts.enums import VerificationLevel
    from services.accounts.models import User
    from services.accounts.tokens import issue_access_token
    from services.bookings import service
    from services.common import clock
    from services.common.db import close_db, init_db, migrate

    await migrate(database_url, apps=tortoise_apps())
    await close_db()
    await init_db(database_url, apps=tortoise_apps())
    try:
        resource = await service.ensure_resource(
            owner_domain="gov",
            owner_ref="bench-window",
            name={"zh_CN": "压测窗口", "en": "Benchmark window"},
            staff_role="dept_operator",
            rules={"per_person_per_day": None, "advance_days": 30},
        )
        start = clock.now().replace(microsecond=0) + dt.timedelta(days=1)
        hot = []
        for i in range(hot_slots):
            begin = start + dt.timedelta(minutes=30 * i)
            slot = await service.create_slot(
                resource_id=resource.id, start=begin, end=begin + dt.timedelta(minutes=30), capacity=1_000_000
            )
            hot.append(str(slot.id))
        small_begin = start + dt.timedelta(days=1)
        small = await service.create_slot(
            resource_id=resource.id,
            start=small_begin,
            end=small_begin + dt.timedelta(minutes=30),
            capacity=20,
        )
        await User.bulk_create(
            [User(openid=f"o-bench-{i:06d}", level=VerificationLevel.REAL_NAME) for i in range(users)],
            batch_size=1000,
        )
        ids = await User.filter(openid__startswith="o-bench-").order_by("openid").values_list("id", flat=True)
        tokens = [issue_access_token(user_id=uid, secret=secret, ttl_s=3600) for uid in ids]
    finally:
        await close_db()
    return {"hot": hot, "small": str(small.id), "tokens": tokens}


async def drive(make_request, *, duration: float, concurrency: int) -> tuple[list[float], Counter, float]:
    """Run `concurrency` clients for `duration` seconds; latencies (s), status counts, elapsed."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                n = next(counter)
                began = time.perf_counter()
                response = await make_request(client, n)
                latencies.append(time.perf_counter() - began)
                key = str(response.status_code)
                if response.status_code >= 400:
                    key += " " + response.json().get("error", {}).get("code", "?")
                statuses[key] += 1

        began = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(concurrency)])
        elapsed = time.perf_counter() - began
    return latencies, statuses, elapsed


def summary(name: str, latencies: list[float], statuses: Counter, elapsed: float) -> dict:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else float("nan")
    return {
        "name": name,
        "requests": len(ordered),
        "rps": len(ordered) / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p99_ms": p99 * 1000,
        "statuses": dict(statuses),
    }


def print_row(row: dict) -> None:
    print(
        f"{row['name']:<34} {row['requests']:>7} req  {row['rps']:>8.1f} req/s  "
        f"p50 {row['p50_ms']:>7.1f} ms  p99 {row['p99_ms']:>7.1f} ms  {row['statuses']}"
    )


async def scratch_postgres(admin_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"citizen_bench_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(admin_url)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment)), name


async def drop_postgres(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL admin URL; a scratch database is created and dropped"
    )
    parser.add_argument("--redis-url", help="Redis URL (default: in-process fakeredis)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per phase (max 60)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent clients (max 256)")
    parser.add_argument("--hot-slots", type=int, default=4, help="slots every booking races for")
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 60.0)
    concurrency = min(max(args.concurrency, 1), 256)

    secret = "bench-secret-" + uuid.uuid4().hex
    workdir = Path(tempfile.mkdtemp(prefix="citizen-bench-"))
    pg_name = None
    if args.database_url:
        database_url, pg_name = await scratch_postgres(args.database_url)
    else:
        database_url = f"sqlite://{workdir}/bench.sqlite3"
    # Enough distinct users that no (user, hot slot) pair repeats within the run.
    users = max(2000, int(duration * 4000 / max(1, args.hot_slots)))
    print(f"preparing {database_url.split('@')[-1]} with {users} users ...", file=sys.stderr)
    data = await prepare(database_url, hot_slots=args.hot_slots, users=users, secret=secret)

    api_port, bare_port = free_port(), free_port()
    env = {
        **os.environ,
        "CITIZEN_PROFILE": "embedded",
        "CITIZEN_DATABASE_URL": database_url,
        "CITIZEN_SECRET_KEY": secret,
        "CITIZEN_RATE_LIMITS_ENABLED": "false",
        "CITIZEN_RUN_WORKER_IN_PROCESS": "false",
        "CITIZEN_LOG_LEVEL": "WARNING",
        "CITIZEN_HOST": "127.0.0.1",
        "CITIZEN_PORT": str(api_port),
    }
    if args.redis_url:
        env["CITIZEN_REDIS_URL"] = args.redis_url
        env["CITIZEN_REDIS_PREFIX"] = f"bench{uuid.uuid4().hex[:6]}:"
    cli = Path(sys.executable).with_name("citizen-api")
    api = await asyncio.create_subprocess_exec(
        str(cli), "serve", env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL
    )
    bare = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BARE_APP, str(bare_port), cwd=str(ROOT), stdout=subprocess.DEVNULL
    )
    try:
        await wait_until_up(f"http://127.0.0.1:{api_port}/health")
        await wait_until_up(f"http://127.0.0.1:{bare_port}/ping")
        tokens, hot, small = data["tokens"], data["hot"], data["small"]
        api_base = f"http://127.0.0.1:{api_port}"

        async def bare_request(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.get(f"http://127.0.0.1:{bare_port}/ping")

        async def book_hot(client: httpx.AsyncClient, n: int) -> httpx.Response:
            user, slot = n % len(tokens), hot[(n // len(tokens)) % len(hot)]
            return await client.post(
                f"{api_base}/api/v1/bookings",
                json={"slot_id": slot},
                headers={"Authorization": f"Bearer {tokens[user]}", "Idempotency-Key": f"bench-{n}"},
            )

        async def book_small(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.post(
                f"{api_base}/api/v1/bookings",
                json={"slot_id": small},
                headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"},
            )

        async def health(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.get(f"{api_base}/health")

        # A short warm-up of each so connection set-up and first-import costs are not measured.
        for request in (bare_request, health):
            await drive(request, duration=1.0, concurrency=concurrency)
        rows = [
            summary(
                "bare Sanic GET /ping", *await drive(bare_request, duration=duration, concurrency=concurrency)
            ),
            summary("API GET /health", *await drive(health, duration=duration, concurrency=concurrency)),
            summary(
                f"POST /bookings ({len(hot)} hot slots)",
                *await drive(book_hot, duration=duration, concurrency=concurrency),
            ),
            summary(
                "POST /bookings (capacity 20, fills)",
                *await drive(book_small, duration=min(duration, 3.0), concurrency=concurrency),
            ),
        ]
    finally:
        for process in (api, bare):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        for process in (api, bare):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), timeout=10)
        if pg_name and args.database_url:
            await drop_postgres(args.database_url, pg_name)

    backend = "PostgreSQL" if pg_name else "SQLite"
    print(
        f"\nbooking benchmark — {backend}, {concurrency} concurrent clients, {duration:.0f} s per phase, loopback"
    )
    for row in rows:
        print_row(row)
    bare_row, booking_row = rows[0], rows[2]
    print(
        f"\nbooking / bare: throughput {booking_row['rps'] / bare_row['rps']:.3f}x, "
        f"p99 {booking_row['p99_ms'] / bare_row['p99_ms']:.1f}x"
    )
    taken = sum(v for k, v in rows[3]["statuses"].items() if k == "201")
    print(f"capacity-20 slot: {taken} confirmed (must be exactly 20)")
    return 0 if taken == 20 else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
