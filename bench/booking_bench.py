"""Booking throughput, CPU per booking and the 200-person race, against floors measured in the same run.

    PYTHONPATH=$PWD .venv/bin/python bench/booking_bench.py \
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--redis-url redis://127.0.0.1:6379/0] \
        [--duration 8] [--connections 32]

Needs wrk (found on PATH, or installed with apt-get when run as root; exit 2 otherwise) and PostgreSQL +
Redis on this host (PostgreSQL CPU is read from /proc/<backend pid>/stat, so run as root or postgres).
A scratch database citizen_bench_<random> and a Redis prefix of its own are created and removed.

Phases, all on 127.0.0.1, wrk -t1 -c<connections>, each request a distinct (user, slot) and a fresh
Idempotency-Key (bench/lua/book.lua):
 1. bare Sanic GET /ping (bench/floors.py) and the API's GET /health, `serve --workers 1`;
 2. the raw-asyncpg booking floor (bench/floors.py booking) on its own hot slots;
 3. POST /api/v1/bookings on a few hot slots (rows race for the same conditional UPDATE);
 4. refused bookings: a 20-place slot is filled, then booked on by others (slot full): first by
    callers mostly new to the worker (their principal read from the database), then by 300 callers
    who signed in (a principal version exists) and booked before (their principal cached);
 5. the race: `serve --workers 2`, 200 distinct users book the last 20 places of one slot at once,
    `--races` times (each its own slot and users), with the CPU the API and PostgreSQL spent in each;
then the database is checked: no slot holds more confirmed bookings than places, `taken` matches, and
each race slot holds exactly 20.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import wrk as bench  # noqa: E402  (bench/wrk.py)


async def prepare(
    database_url: str, *, users: int, hot: int, floor_slots: int, secret: str, races: int = 1
) -> dict:
    """Migrate a fresh database; create the resource, slots, users and their access tokens (as
    tests/factories.py does: User rows in the database, tokens from services.accounts.tokens)."""
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
        start = clock.now().replace(second=0, microsecond=0) + dt.timedelta(days=1)
        n = 0

        async def slot(capacity: int) -> str:
            nonlocal n
            begin = start + dt.timedelta(minutes=30 * n)
            n += 1
            made = await service.create_slot(
                resource_id=resource.id, start=begin, end=begin + dt.timedelta(minutes=30), capacity=capacity
            )
            return str(made.id)

        hot_ids = [await slot(1_000_000) for _ in range(hot)]
        warm_ids = [await slot(1_000_000) for _ in range(3)]  # API, race's API, race's floor
        floor_ids = [await slot(1_000_000) for _ in range(floor_slots)]
        small = await slot(20)
        races_ids = [await slot(20) for _ in range(races)]
        floor_races = [await slot(20) for _ in range(races)]
        await User.bulk_create(
            [User(openid=f"o-bench-{i:06d}", level=VerificationLevel.REAL_NAME) for i in range(users)],
            batch_size=1000,
        )
        ids = await User.filter(openid__startswith="o-bench-").order_by("openid").values_list("id", flat=True)
        tokens = [issue_access_token(user_id=uid, secret=secret, ttl_s=6 * 3600) for uid in ids]
    finally:
        await close_db()
    return {
        "hot": hot_ids,
        "floor": floor_ids,
        "warm": warm_ids,
        "small": small,
        "races": races_ids,
        "floor_races": floor_races,
        "users": [str(u) for u in ids],
        "tokens": tokens,
    }


async def sign_in_versions(redis_url: str, prefix: str, users: list[str]) -> None:
    """What signing in adds besides the token: the principal version under which workers may keep
    the caller's principal (services/accounts/principals.py), written as sign-in writes it."""
    from services.accounts.principals import PrincipalCache
    from services.common.cache import Keys, create_redis

    redis = create_redis(redis_url)
    try:
        cache = PrincipalCache(redis=redis, keys=Keys(prefix))
        for user in users:
            await cache.ensure_version(uuid.UUID(user))
    finally:
        await redis.aclose()


async def fill(database_url: str, data: dict, places: int = 20) -> None:
    """Take every place of the small slot with the floor's SQL (conditional UPDATE + INSERT), so the
    refused phase measures "slot full" only."""
    import asyncpg
    from floors import CLAIM, INSERT

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        slot_id = uuid.UUID(data["small"])
        for user in data["users"][:places]:
            async with conn.transaction():
                slot = await conn.fetchrow(CLAIM, slot_id)
                now = dt.datetime.now(dt.UTC)
                await conn.execute(
                    INSERT,
                    uuid.uuid4(),
                    slot_id,
                    slot["resource_id"],
                    uuid.UUID(user),
                    uuid.uuid4().hex,
                    slot["day"],
                    slot["start"],
                    slot["end"],
                    now,
                )
    finally:
        await conn.close()


def rows(data: dict, slots: list[str], users: slice = slice(None)) -> list[str]:
    """One line per distinct (user, slot): users vary fastest so a slot's rows are spread over users."""
    people = list(zip(data["tokens"][users], data["users"][users], strict=True))
    return [f"{token} {user} {slot}" for slot in slots for token, user in people]


async def race(
    port: int, data: dict, *, number: int = 0, people: int = 200, pids=(), pg=None, floor: bool = False
) -> dict:
    """`people` keep-alive connections opened first, then every booking written in the same loop tick.

    wrk cannot stop each connection after exactly one request, so this burst is sent from asyncio: it
    only writes 200 requests and reads 200 responses, far below what would saturate the client.
    Race `number` books slot data["races"][number] with its own `people` users (the last ones, a block
    per race). The CPU the API tree (`pids`) and PostgreSQL (`pg`) spent from the start to the last
    answer tells a burst short of CPU (the sum near 2 cores x wall time) from one waiting on a lock.
    `floor`: the same burst against the raw-asyncpg floor's POST /book (slot data["floor_races"][number],
    the user in the body), the floor for the race.
    """
    first = len(data["tokens"]) - people * (number + 1)
    tokens, users = data["tokens"][first:][:people], data["users"][first:][:people]
    slot_id = data["floor_races" if floor else "races"][number]
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(people)]
    start = asyncio.Event()
    began = [0.0]

    async def one(i: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[int, float]:
        if floor:
            path, auth = "/book", ""
            body = json.dumps({"slot_id": slot_id, "user_id": users[i]}).encode()
        else:
            path, auth = "/api/v1/bookings", f"Authorization: Bearer {tokens[i]}\r\n"
            body = json.dumps({"slot_id": slot_id}).encode()
        request = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"{auth}Idempotency-Key: race-{i}-{uuid.uuid4().hex}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        await start.wait()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        elapsed = time.perf_counter() - began[0]
        writer.close()
        return int(head.split(b" ", 2)[1]), elapsed

    tasks = [asyncio.create_task(one(i, r, w)) for i, (r, w) in enumerate(conns)]
    await asyncio.sleep(0.2)
    # PgCpu reads PostgreSQL's backend pids with asyncio.run of its own: in a thread, before the start.
    pg_before = await asyncio.to_thread(pg.snapshot) if pg else None
    probed_before = bench.probe_counts(list(pids)) if pids else None
    cpu_before = bench.tree_cpu_seconds(list(pids))
    split_before = bench.tree_cpu_split(list(pids))
    began[0] = time.perf_counter()
    start.set()
    results = await asyncio.gather(*tasks)
    wall = time.perf_counter() - began[0]
    api_cpu = bench.tree_cpu_seconds(list(pids)) - cpu_before
    split = [a - b for a, b in zip(bench.tree_cpu_split(list(pids)), split_before, strict=True)]
    probed_after = bench.probe_counts(list(pids)) if probed_before is not None else None
    pg_cpu = await asyncio.to_thread(pg.delta, pg_before) if pg else None
    latencies = sorted(t for _, t in results)
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "people": people,
        "p50_ms": round(1000 * latencies[len(latencies) // 2], 1),
        "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
        "max_ms": round(1000 * latencies[-1], 1),
        "first_ms": round(1000 * latencies[0], 1),
        "api_cpu_ms": round(1000 * api_cpu, 1),
        "api_user_sys_ms": [round(1000 * split[0], 1), round(1000 * split[1], 1)],
        "api_minor_faults": split[2],
        "pg_cpu_ms": None if pg_cpu is None else round(1000 * pg_cpu, 1),
        "cores_busy": round((api_cpu + (pg_cpu or 0)) / wall, 2),
        "statuses": statuses,
        "loadavg": [round(x, 2) for x in __import__("os").getloadavg()],
        # The probe's counts over the race (bench/probe): round trips per request, statements
        # prepared (new pooled connections prepare theirs), the garbage collector's time.
        "probe": _race_probe(probed_before, probed_after, people),
    }


def _race_probe(before: dict | None, after: dict | None, people: int) -> dict | None:
    if before is None or after is None:
        return None
    delta = {kind: after.get(kind, 0) - before.get(kind, 0) for kind in after}
    return {
        "pg_trips_per_request": round(delta.get("pg", 0) / people, 2),
        "redis_trips_per_request": round(delta.get("redis", 0) / people, 2),
        "pg_prepares": delta.get("pg_prepare", 0),
        "gc_ms": round(delta.get("gc_us", 0) / 1000, 1),
        "full_collections": delta.get("gc2", 0),
    }


async def check(database_url: str, data: dict) -> dict:
    """Never more confirmed bookings than places; `taken` equals the live bookings; race slot exactly 20."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        over = await conn.fetch(
            """
            SELECT s.id, s.capacity, s.taken, count(b.id) AS live
            FROM booking_slot s LEFT JOIN booking_booking b
              ON b.slot_id = s.id AND b.status IN ('confirmed', 'held', 'requested', 'checked_in')
            GROUP BY s.id HAVING count(b.id) > s.capacity OR count(b.id) <> s.taken
            """
        )
        floor_race_confirmed = [
            await conn.fetchval(
                "SELECT count(*) FROM booking_booking WHERE slot_id = $1 AND status = 'confirmed'",
                uuid.UUID(race),
            )
            for race in data["floor_races"]
        ]
        race_confirmed = [
            await conn.fetchval(
                "SELECT count(*) FROM booking_booking WHERE slot_id = $1 AND status = 'confirmed'",
                uuid.UUID(race),
            )
            for race in data["races"]
        ]
        small_confirmed = await conn.fetchval(
            "SELECT count(*) FROM booking_booking WHERE slot_id = $1 AND status = 'confirmed'",
            uuid.UUID(data["small"]),
        )
    finally:
        await conn.close()
    return {
        "slots_over_capacity_or_taken_mismatch": [dict(r) | {"id": str(r["id"])} for r in over],
        "race_confirmed": race_confirmed,
        "floor_race_confirmed": floor_race_confirmed,
        "small_slot_confirmed": small_confirmed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per wrk phase (max 60)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (max 256)")
    parser.add_argument("--users", type=int, default=3000)
    parser.add_argument("--hot-slots", type=int, default=4)
    parser.add_argument("--races", type=int, default=3, help="200-person races, one after another (1-5)")
    parser.add_argument(
        "--profile", type=Path, default=None, help="directory: py-spy each API phase into <dir>/<phase>.raw"
    )
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), 60.0)
    connections = min(max(args.connections, 1), 256)
    races = min(max(args.races, 1), 5)
    bench.find_wrk()

    secret = "bench-secret-" + uuid.uuid4().hex
    prefix = f"citizen_bench_{uuid.uuid4().hex[:8]}:"
    workdir = Path(tempfile.mkdtemp(prefix="citizen-bench-"))
    database_url, pg_name = bench.scratch_postgres(args.database_url)
    pg = bench.PgCpu(args.database_url.replace("postgres://", "postgresql://", 1), pg_name)
    processes = []
    results: list[bench.WrkResult] = []
    report: dict = {"started": bench.load_text()}
    try:
        print(f"preparing {pg_name} with {args.users} users ...", file=sys.stderr)
        data = asyncio.run(
            prepare(
                database_url,
                users=max(args.users, 200 * races + 300),
                hot=args.hot_slots,
                floor_slots=16,
                secret=secret,
                races=races,
            )
        )
        api_rows = bench.write_lines(workdir / "api.rows", rows(data, data["hot"]))
        floor_rows = bench.write_lines(workdir / "floor.rows", rows(data, data["floor"]))
        warm_rows = bench.write_lines(workdir / "warm.rows", rows(data, data["warm"][:1]))
        race_warm_rows = bench.write_lines(workdir / "race-warm.rows", rows(data, data["warm"][1:2]))
        floor_warm_rows = bench.write_lines(workdir / "floor-warm.rows", rows(data, data["warm"][2:]))
        refused_rows = bench.write_lines(
            workdir / "refused.rows", rows(data, [data["small"]], slice(100, -200))
        )
        # Callers who signed in (a principal version exists) and have been seen by the worker before:
        # 300 people, each refused several times in the phase (their principal cached after the first).
        known = slice(100, 400)
        known_rows = bench.write_lines(workdir / "known.rows", rows(data, [data["small"]], known))
        asyncio.run(fill(database_url, data))

        bare_port, floor_port, api_port = bench.free_port(), bench.free_port(), bench.free_port()
        bare = bench.start_floor("bare", bare_port)
        processes.append(bare)
        floor = bench.start_floor("booking", floor_port, database_url=database_url)
        processes.append(floor)
        api = bench.start_api(
            api_port, database_url=database_url, redis_url=args.redis_url, redis_prefix=prefix, secret=secret
        )
        processes.append(api)

        def profile_for(name, pids):
            if args.profile is None or pids != [api.pid]:
                return None
            return args.profile / (name.split("(")[0].strip().replace(" ", "_").replace("/", "") + ".raw")

        def get(name, port, path, pids):
            return bench.run_wrk(
                name,
                f"http://127.0.0.1:{port}{path}",
                script="get.lua",
                duration=duration,
                connections=connections,
                cpu_pids=pids,
                profile=profile_for(name, pids),
            )

        def book(name, port, path, rows_file, pids, mode="api", seconds=duration, warm=False):
            return bench.run_wrk(
                name,
                f"http://127.0.0.1:{port}",
                script="book.lua",
                duration=seconds,
                connections=connections,
                cpu_pids=pids,
                pg=pg,
                profile=None if warm else profile_for(name, pids),
                env={
                    "BENCH_ROWS": str(rows_file),
                    "BENCH_MODE": mode,
                    "BENCH_PATH": path,
                    "BENCH_RUN": f"{name.split()[0]}-{uuid.uuid4().hex[:8]}",
                },
            )

        # Warm-up (imports, pools, first connections); not reported.
        for port, path in ((bare_port, "/ping"), (api_port, "/health")):
            bench.run_wrk(
                "warm", f"http://127.0.0.1:{port}{path}", script="get.lua", duration=1, connections=4
            )
        book("warm", api_port, "/api/v1/bookings", warm_rows, [api.pid], seconds=3, warm=True)

        results.append(get("bare Sanic GET /ping", bare_port, "/ping", [bare.pid]))
        results.append(get("API GET /health (1 worker)", api_port, "/health", [api.pid]))
        results.append(
            book("floor asyncpg POST /book", floor_port, "/book", floor_rows, [floor.pid], mode="floor")
        )
        results.append(
            book(
                f"API POST /bookings ({args.hot_slots} hot slots)",
                api_port,
                "/api/v1/bookings",
                api_rows,
                [api.pid],
            )
        )
        results.append(
            book(
                "API POST /bookings refused (slot full)",
                api_port,
                "/api/v1/bookings",
                refused_rows,
                [api.pid],
            )
        )
        asyncio.run(sign_in_versions(args.redis_url, prefix, data["users"][known]))
        book("warm", api_port, "/api/v1/bookings", known_rows, [api.pid], seconds=2, warm=True)
        results.append(
            book(
                "API POST /bookings refused (slot full, signed-in callers seen before)",
                api_port,
                "/api/v1/bookings",
                known_rows,
                [api.pid],
            )
        )
        report["rss_mb_after_1_worker"] = {str(k): round(v, 1) for k, v in bench.rss_mb([api.pid]).items()}
        bench.stop(api, floor)

        # The race's floor: the raw-asyncpg booking served by two workers, as the API is in the race.
        floor2 = bench.start_floor("booking", floor_port, database_url=database_url, served=True, workers=2)
        processes.append(floor2)
        book("warm", floor_port, "/book", floor_warm_rows, [floor2.pid], mode="floor", seconds=2, warm=True)
        report["floor_races"] = []
        for number in range(races):
            report["floor_races"].append(
                asyncio.run(race(floor_port, data, number=number, pids=[floor2.pid], pg=pg, floor=True))
            )
            time.sleep(1)
        bench.stop(floor2)

        api2 = bench.start_api(
            api_port,
            database_url=database_url,
            redis_url=args.redis_url,
            redis_prefix=prefix,
            secret=secret,
            workers=2,
        )
        processes.append(api2)
        bench.run_wrk(
            "warm", f"http://127.0.0.1:{api_port}/health", script="get.lua", duration=1, connections=4
        )
        # Warm both workers' pools (PostgreSQL and Redis connections) as a running server has them: a
        # 放号 burst hits a server that is already serving, not one that just started.
        book("warm", api_port, "/api/v1/bookings", race_warm_rows, [api2.pid], seconds=3, warm=True)
        report["races"] = []
        for number in range(races):
            spy = None
            if args.profile is not None:
                # py-spy attaches first (it takes a moment); the race itself lasts well under 2 s.
                spy = bench.start_profile([api2.pid], args.profile / f"race_{number + 1}.raw", 3.0)
                time.sleep(1.0)
            report["races"].append(asyncio.run(race(api_port, data, number=number, pids=[api2.pid], pg=pg)))
            if spy is not None:
                spy.wait(30)
                bench.summarise_profile(args.profile / f"race_{number + 1}.raw")
            time.sleep(1)
        report["rss_mb_after_race_2_workers"] = {
            str(k): round(v, 1) for k, v in bench.rss_mb([api2.pid]).items()
        }
        bench.stop(*processes)
        report["check"] = asyncio.run(check(database_url, data))
    finally:
        bench.stop(*processes)
        bench.drop_postgres(args.database_url, pg_name)
        bench.drop_redis_prefix(args.redis_url, prefix)

    print(f"\nbooking benchmark — PostgreSQL + Redis, wrk -t1 -c{connections}, {duration:.0f} s per phase")
    print("CPU: server = utime+stime of the server process tree; pg = the database's backends (/proc)")
    for row in results:
        print(row.line())
    bare_r, health = results[0], results[1]
    floor_r, booking, refused, known = results[2], results[3], results[4], results[5]
    ratios = {
        "health_vs_bare_rps": round(health.rps / bare_r.rps, 3),
        "booking_vs_floor_rps": round(booking.rps / floor_r.rps, 3),
        "booking_server_cpu_ms": round(booking.server_ms_per_request, 2),
        "booking_pg_cpu_ms": booking.pg_ms_per_request and round(booking.pg_ms_per_request, 2),
        "floor_server_cpu_ms": round(floor_r.server_ms_per_request, 2),
        "refused_server_cpu_ms": round(refused.server_ms_per_request, 2),
        "refused_known_caller_server_cpu_ms": round(known.server_ms_per_request, 2),
    }
    report["results"] = [r.as_dict() for r in results]
    report["ratios"] = ratios
    report["finished"] = bench.load_text()
    targets = {
        "booking server CPU <= 3 ms": ratios["booking_server_cpu_ms"] <= 3,
        "booking throughput >= 0.25 of asyncpg floor": ratios["booking_vs_floor_rps"] >= 0.25,
        "refused booking <= 1 ms (first request of each caller)": ratios["refused_server_cpu_ms"] <= 1,
        "refused booking <= 1 ms (signed-in caller seen before)": ratios["refused_known_caller_server_cpu_ms"]
        <= 1,
        "race p99 < 300 ms (every race)": all(r["p99_ms"] < 300 for r in report["races"]),
        "race exactly 20 confirmed (every race)": report["check"]["race_confirmed"] == [20] * races,
        "/health >= 0.9 of bare Sanic": ratios["health_vs_bare_rps"] >= 0.9,
        "no slot over capacity": not report["check"]["slots_over_capacity_or_taken_mismatch"],
    }
    report["targets_met"] = targets
    print(json.dumps({k: v for k, v in report.items() if k != "results"}, indent=2, ensure_ascii=False))
    correct = (
        report["check"]["race_confirmed"] == [20] * races
        and report["check"]["small_slot_confirmed"] == 20
        and not report["check"]["slots_over_capacity_or_taken_mismatch"]
    )
    return 0 if correct else 1


if __name__ == "__main__":
    raise SystemExit(main())
