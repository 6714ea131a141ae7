"""放号 burst: hundreds of patients booking doctor slots at the release second, against the engine's
plain booking of the same places and the floors, all in one run on PostgreSQL + Redis.

    PYTHONPATH=$PWD .venv/bin/python bench/care_release_burst.py \
        [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--redis-url redis://127.0.0.1:6379/0] \
        [--burst 400] [--duration 5]

Needs wrk (bench/wrk.py finds or installs it) and PostgreSQL + Redis on this host. A scratch database
citizen_bench_<random> and a Redis prefix of its own are created and removed.

 1. A fresh database: the demo hospitals with their release time (放号时间) set out of reach, 2 x burst
    real-name patients who consented to medical-data processing, their access tokens.
 2. `citizen-api serve --workers 1` (the HIS sandbox mounted in it, jobs off); the last bookable day of
    every demo doctor of the two hospitals is mirrored (GET /care/doctors/{id}/slots): its slots show
    `not_released`. Slots are taken until they hold burst / --oversubscribe (4) numbers, as at a real
    release (more patients than numbers). A plain resource (no owner policy) gets slots of the same
    capacities.
 3. Floors in the same run (wrk -t1): bare Sanic GET /ping, and the raw-asyncpg booking (bench/floors.py).
 4. The release is moved to a few seconds ahead; `burst` keep-alive connections are opened, and at the
    release second every patient's POST /bookings is written in the same loop tick (consent, proxy,
    HIS health, release and cap guards, the conditional UPDATE, the appointment and outbox rows).
    wrk cannot send exactly one request per connection, so the burst is written from asyncio
    (as booking_bench.py's race): throughput = requests / time to the last answer.
 5. The same burst, other patients, at the plain resource's slots.
 6. The database is checked: every doctor slot and every plain slot holds exactly its capacity of
    confirmed bookings, one appointment and one HIS outbox row per care booking, no 5xx. Exit 1 otherwise.
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
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import wrk as bench  # noqa: E402  (bench/wrk.py)

HOSPITALS = (("jy-rmyy", "济源市人民医院"), ("jy-zyy", "济源市中医院"))
CLINICS = {
    "jy-rmyy": ("nk", "wk", "ek", "fck", "gk", "yk", "kqk", "pfk"),
    "jy-zyy": ("zyk", "zjtn", "gsk", "nk", "ek"),
}
NOT_YET = "23:59:59"  # the last day's numbers stay closed until the bench moves the release


def _rules(release_time: str) -> dict:
    from services.care.rules import HospitalRules

    return HospitalRules(release_days=7, release_time=release_time, max_per_day=9).as_dict()


async def prepare(database_url: str, *, patients: int, secret: str) -> dict:
    """Migrate; hospitals with the release out of reach; consenting real-name patients and tokens;
    a gov resource with one huge slot for the asyncpg floor."""
    from citizen_api.composition import tortoise_apps
    from citizen_api.runtime import build_cipher
    from citizen_api.settings import Settings
    from integrations.sandbox.identity import check_character
    from services.accounts.enums import VerificationLevel
    from services.accounts.models import User
    from services.accounts.tokens import issue_access_token
    from services.bookings import service
    from services.care.appointments import CONSENT_VERSION
    from services.care.models import CareConsent, CareHospital
    from services.common import clock
    from services.common.db import close_db, init_db, migrate

    await migrate(database_url, apps=tortoise_apps())
    await close_db()
    await init_db(database_url, apps=tortoise_apps())
    cipher = build_cipher(Settings())
    try:
        for his_id, name in HOSPITALS:
            await CareHospital.create(his_id=his_id, name={"zh_CN": name}, rules=_rules(NOT_YET), demo=True)
        users = []
        for i in range(patients):
            first17 = f"4190011950{1 + i // 28 % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
            users.append(
                User(
                    openid=f"o-burst-{i:06d}",
                    level=VerificationLevel.REAL_NAME,
                    name_enc=cipher.encrypt(f"压测患者{i}", context="account_user.name"),
                    id_number_enc=cipher.encrypt(
                        first17 + check_character(first17), context="account_user.id_number"
                    ),
                )
            )
        await User.bulk_create(users, batch_size=1000)
        ids = await User.filter(openid__startswith="o-burst-").order_by("openid").values_list("id", flat=True)
        await CareConsent.bulk_create(
            [CareConsent(user_id=uid, version=CONSENT_VERSION, granted_by_id=uid) for uid in ids],
            batch_size=1000,
        )
        floor = await service.ensure_resource(
            owner_domain="gov",
            owner_ref="bench-floor",
            name={"zh_CN": "压测底线", "en": "Floor"},
            staff_role="dept_operator",
            rules={"per_person_per_day": None, "advance_days": 30},
        )
        begin = clock.now().replace(second=0, microsecond=0) + dt.timedelta(days=1)
        floor_slots = []
        for n in range(16):  # distinct (user, slot) rows for every floor request
            at = begin + dt.timedelta(minutes=30 * n)
            made = await service.create_slot(
                resource_id=floor.id, start=at, end=at + dt.timedelta(minutes=30), capacity=1_000_000
            )
            floor_slots.append(str(made.id))
        return {
            "users": [str(u) for u in ids],
            "tokens": [issue_access_token(user_id=u, secret=secret, ttl_s=3600) for u in ids],
            "floor_slots": floor_slots,
        }
    finally:
        await close_db()


async def set_release(database_url: str, release_time: str) -> None:
    """The hospitals' 放号时间 (local HH:MM:SS); the API reads it on every booking."""
    from citizen_api.composition import tortoise_apps
    from services.care.models import CareHospital
    from services.common.db import close_db, init_db

    await init_db(database_url, apps=tortoise_apps())
    try:
        await CareHospital.all().update(rules=_rules(release_time))
    finally:
        await close_db()


async def doctor_slots(port: int, day: str) -> list[dict]:
    """Every demo doctor's slots on `day` (mirrors them into engine slots); only the not-yet-released."""
    import httpx

    found: list[dict] = []
    seen: Counter = Counter()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for hospital, clinics in CLINICS.items():
            for clinic in clinics:
                for n in ("01", "02"):
                    answer = await client.get(
                        f"/api/v1/care/doctors/{hospital}-{clinic}-{n}/slots", params={"date": day}
                    )
                    answer.raise_for_status()
                    items = answer.json()["items"]
                    seen.update(s["status"] for s in items)
                    found += [s for s in items if s["status"] == "not_released"]
    if not found:
        raise SystemExit(f"no unreleased doctor slots on {day}: {dict(seen)}")
    return found


async def plain_slots(database_url: str, like: list[dict]) -> list[str]:
    """A resource without an owner policy with slots of the same capacities as the doctors'."""
    from citizen_api.composition import tortoise_apps
    from services.bookings import service
    from services.common.db import close_db, init_db

    await init_db(database_url, apps=tortoise_apps())
    try:
        resource = await service.ensure_resource(
            owner_domain="gov",
            owner_ref="bench-plain",
            name={"zh_CN": "对照窗口", "en": "Plain resource"},
            staff_role="dept_operator",
            rules={"per_person_per_day": 1, "advance_days": 8, "min_level": "real_name"},
        )
        made = []
        for position, slot in enumerate(like):
            begin = dt.datetime.fromisoformat(slot["start"]) + dt.timedelta(seconds=position)  # distinct
            created = await service.create_slot(
                resource_id=resource.id,
                start=begin,
                end=begin + dt.timedelta(minutes=30),
                capacity=slot["capacity"],
            )
            made.append(str(created.id))
        return made
    finally:
        await close_db()


async def burst(port: int, tokens: list[str], slots: list[str], *, at: float | None = None) -> dict:
    """One keep-alive connection per patient opened first; at `at` (time.time()) every booking is
    written in the same loop tick, patient i on slot i mod len(slots). Latency: common start -> answer."""
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in tokens]
    start = asyncio.Event()
    began = [0.0]

    async def one(i: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[str, float]:
        body = json.dumps({"slot_id": slots[i % len(slots)]}).encode()
        request = (
            f"POST /api/v1/bookings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {tokens[i]}\r\nIdempotency-Key: burst-{i}-{uuid.uuid4().hex}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        await start.wait()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        payload = await reader.readexactly(length)
        elapsed = time.perf_counter() - began[0]
        writer.close()
        status = head.split(b" ", 2)[1].decode()
        if status.startswith("4"):
            status += " " + str(json.loads(payload or b"{}").get("error", {}).get("code", "?"))
        return status, elapsed

    tasks = [asyncio.create_task(one(i, r, w)) for i, (r, w) in enumerate(conns)]
    await asyncio.sleep(max(0.2, (at or 0) - time.time()))
    began[0] = time.perf_counter()
    start.set()
    results = await asyncio.gather(*tasks)
    latencies = sorted(t for _, t in results)
    pick = lambda q: round(1000 * latencies[min(len(latencies) - 1, int(len(latencies) * q))], 1)  # noqa: E731
    return {
        "requests": len(results),
        "seconds": round(latencies[-1], 3),
        "rps": round(len(results) / latencies[-1], 1),
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
        "max_ms": round(1000 * latencies[-1], 1),
        "statuses": dict(sorted(Counter(s for s, _ in results).items())),
        "loadavg": [round(x, 2) for x in __import__("os").getloadavg()],
    }


async def check(database_url: str, doctor: list[dict], plain: list[str]) -> dict:
    """Confirmed bookings per slot against capacity; one appointment and one HIS outbox row per booking."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        ids = [uuid.UUID(s["id"]) for s in doctor] + [uuid.UUID(s) for s in plain]
        rows = await conn.fetch(
            """
            SELECT s.id, s.capacity, s.taken, count(b.id) FILTER (WHERE b.status = 'confirmed') AS confirmed
            FROM booking_slot s LEFT JOIN booking_booking b ON b.slot_id = s.id
            WHERE s.id = ANY($1::uuid[]) GROUP BY s.id
            """,
            ids,
        )
        appointments = await conn.fetchval("SELECT count(*) FROM care_appointment")
        outbox = await conn.fetchval(
            "SELECT count(*) FROM outbox_message WHERE topic = 'care.appointment_book'"
        )
    finally:
        await conn.close()
    by_id = {str(r["id"]): r for r in rows}
    wrong = [
        {"slot": k, "capacity": r["capacity"], "taken": r["taken"], "confirmed": r["confirmed"]}
        for k, r in by_id.items()
        if r["confirmed"] != r["capacity"] or r["taken"] != r["capacity"]
    ]
    return {
        "doctor_confirmed": sum(by_id[s["id"]]["confirmed"] for s in doctor),
        "plain_confirmed": sum(by_id[s]["confirmed"] for s in plain),
        "capacity_each": sum(s["capacity"] for s in doctor),
        "appointments": appointments,
        "his_outbox_rows": outbox,
        "slots_not_exactly_full": wrong,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--burst", type=int, default=400, help="requests fired at once per phase (max 1000)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per wrk floor phase (max 60)")
    parser.add_argument("--oversubscribe", type=int, default=4, help="patients per number released")
    args = parser.parse_args()
    args.oversubscribe = min(max(args.oversubscribe, 1), 50)
    size = min(max(args.burst, 20), 1000)
    duration = min(max(args.duration, 1.0), 60.0)
    bench.find_wrk()
    from services.common import clock

    secret = "bench-secret-" + uuid.uuid4().hex
    prefix = f"citizen_bench_{uuid.uuid4().hex[:8]}:"
    workdir = Path(tempfile.mkdtemp(prefix="citizen-care-bench-"))
    database_url, pg_name = bench.scratch_postgres(args.database_url)
    pg = bench.PgCpu(args.database_url.replace("postgres://", "postgresql://", 1), pg_name)
    processes = []
    report: dict = {"started": bench.load_text(), "burst": size}
    try:
        print(f"preparing {pg_name} with {2 * size} patients ...", file=sys.stderr)
        data = asyncio.run(prepare(database_url, patients=2 * size, secret=secret))
        bare_port, floor_port, api_port = bench.free_port(), bench.free_port(), bench.free_port()
        bare = bench.start_floor("bare", bare_port)
        processes.append(bare)
        floor = bench.start_floor("booking", floor_port, database_url=database_url)
        processes.append(floor)
        api = bench.start_api(
            api_port, database_url=database_url, redis_url=args.redis_url, redis_prefix=prefix, secret=secret
        )
        processes.append(api)

        today = clock.local_date()
        last_day = (today + dt.timedelta(days=7)).isoformat()
        found = asyncio.run(doctor_slots(api_port, last_day))
        # As at a real 放号: far more patients than numbers (burst / places = --oversubscribe).
        slots, capacity = [], 0
        for slot in found:
            if capacity >= size // args.oversubscribe:
                break
            slots.append(slot)
            capacity += slot["capacity"]
        plain = asyncio.run(plain_slots(database_url, slots))
        print(f"{len(slots)} doctor slots on {last_day}, {capacity} places", file=sys.stderr)

        floor_rows = bench.write_lines(
            workdir / "floor.rows",
            [
                f"{t} {u} {slot}"
                for slot in data["floor_slots"]
                for t, u in zip(data["tokens"], data["users"], strict=True)
            ],
        )
        bench.run_wrk(
            "warm", f"http://127.0.0.1:{bare_port}/ping", script="get.lua", duration=1, connections=4
        )
        floors = [
            bench.run_wrk(
                "bare Sanic GET /ping",
                f"http://127.0.0.1:{bare_port}/ping",
                script="get.lua",
                duration=duration,
                connections=32,
                cpu_pids=[bare.pid],
            ),
            bench.run_wrk(
                "floor asyncpg POST /book",
                f"http://127.0.0.1:{floor_port}",
                script="book.lua",
                duration=duration,
                connections=32,
                cpu_pids=[floor.pid],
                pg=pg,
                env={"BENCH_ROWS": str(floor_rows), "BENCH_MODE": "floor", "BENCH_PATH": "/book"},
            ),
        ]
        report["floors"] = [r.as_dict() for r in floors]

        release = clock.to_local(clock.now()) + dt.timedelta(seconds=8)
        if release.date() != today:
            raise SystemExit("too close to midnight (Asia/Shanghai) for a same-day release; try later")
        asyncio.run(set_release(database_url, release.time().isoformat(timespec="seconds")))
        at = release.timestamp() + 0.02
        cpu0 = bench.tree_cpu_seconds([api.pid])
        report["care"] = asyncio.run(burst(api_port, data["tokens"][:size], [s["id"] for s in slots], at=at))
        report["care"]["server_cpu_ms_per_request"] = round(
            1000 * (bench.tree_cpu_seconds([api.pid]) - cpu0) / size, 2
        )
        cpu0 = bench.tree_cpu_seconds([api.pid])
        report["plain"] = asyncio.run(burst(api_port, data["tokens"][size:], plain))
        report["plain"]["server_cpu_ms_per_request"] = round(
            1000 * (bench.tree_cpu_seconds([api.pid]) - cpu0) / size, 2
        )
        report["rss_mb"] = {str(k): round(v, 1) for k, v in bench.rss_mb([api.pid]).items()}
        bench.stop(*processes)
        report["check"] = asyncio.run(check(database_url, slots, plain))
    finally:
        bench.stop(*processes)
        bench.drop_postgres(args.database_url, pg_name)
        bench.drop_redis_prefix(args.redis_url, prefix)
    report["finished"] = bench.load_text()

    care, plain_r = report["care"], report["plain"]
    print(
        f"\ncare release burst — PostgreSQL + Redis, {size} at once per phase, {report['check']['capacity_each']} places"
    )
    for row in floors:
        print(row.line())
    for name, row in (("care release burst", care), ("plain engine burst", plain_r)):
        print(
            f"{name:<34} {row['rps']:>8.1f} req/s  p50 {row['p50_ms']:>7.1f} ms  p99 {row['p99_ms']:>7.1f} ms  "
            f"cpu {row['server_cpu_ms_per_request']:.2f} ms/req  {row['statuses']}  load {row['loadavg'][0]}"
        )
    report["ratios"] = {
        "care_vs_plain_rps": round(care["rps"] / plain_r["rps"], 3),
        "care_vs_plain_p99": round(care["p99_ms"] / plain_r["p99_ms"], 3),
        "care_cpu_vs_plain_cpu": round(
            care["server_cpu_ms_per_request"] / max(plain_r["server_cpu_ms_per_request"], 1e-9), 3
        ),
    }
    print(json.dumps({k: v for k, v in report.items() if k != "floors"}, indent=2, ensure_ascii=False))
    checked = report["check"]
    server_errors = sum(v for row in (care, plain_r) for k, v in row["statuses"].items() if k.startswith("5"))
    correct = (
        checked["doctor_confirmed"] == checked["plain_confirmed"] == checked["capacity_each"]
        and checked["appointments"] == checked["his_outbox_rows"] == checked["capacity_each"]
        and not checked["slots_not_exactly_full"]
        and not server_errors
    )
    return 0 if correct else 1


if __name__ == "__main__":
    raise SystemExit(main())
