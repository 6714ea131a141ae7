"""放号 burst: hundreds of patients booking doctor slots at the release second, beside the engine's
plain booking of the same number of places, in one run.

    .venv/bin/python bench/care_release_burst.py --database-url postgres://postgres@127.0.0.1:5432/postgres \
        --redis-url redis://127.0.0.1:6379/0          # PostgreSQL (a scratch database, dropped after) + Redis
    .venv/bin/python bench/care_release_burst.py      # SQLite file + in-process fakeredis
    # options: --burst 400 (requests per phase) --doctors 8

It starts the real API (`citizen-api serve`, one worker, the HIS sandbox mounted in it, jobs off) on a
fresh database with real-name patients who consented to medical-data processing. The script mirrors the last bookable day of a few
doctors (their HIS slots become engine slots), sets the hospitals' release time (放号时间)
a few seconds ahead, waits for the release second, and fires the whole
burst at once, each patient booking one of those slots through POST /bookings (consent, proxy, HIS
health, release and cap guards, the conditional UPDATE, the appointment row and its outbox row).
Then it fires a burst of the same size at a plain resource with the same slots and capacities
(no owner policy). It prints requests/s, p50 and p99 of both, their ratio, and checks that exactly
the capacity was confirmed (exit 1 otherwise). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from booking_bench import (  # noqa: E402  (the shared bench helpers live beside this script)
    drop_postgres,
    free_port,
    print_row,
    scratch_postgres,
    summary,
    wait_until_up,
)

DOCTORS = [
    "jy-rmyy-ek-02",
    "jy-rmyy-yk-02",
    "jy-rmyy-kqk-02",
    "jy-rmyy-pfk-02",
    "jy-rmyy-nk-02",
    "jy-rmyy-wk-02",
    "jy-rmyy-gk-02",
    "jy-rmyy-fck-02",
    "jy-zyy-gsk-02",
    "jy-zyy-ek-02",
]


async def prepare(database_url: str, *, patients: int, secret: str, release_at: dt.datetime) -> list[str]:
    """Migrate, set the hospitals' release time, create consenting real-name patients; their tokens."""
    from citizen_api.composition import tortoise_apps
    from citizen_api.runtime import build_cipher
    from citizen_api.settings import Settings
    from integrations.sandbox.identity import check_character
    from services.accounts.enums import VerificationLevel
    from services.accounts.models import User
    from services.accounts.tokens import issue_access_token
    from services.care.appointments import CONSENT_VERSION
    from services.care.models import CareConsent, CareHospital
    from services.care.rules import HospitalRules
    from services.common.db import close_db, init_db, migrate

    await migrate(database_url, apps=tortoise_apps())
    await close_db()
    await init_db(database_url, apps=tortoise_apps())
    cipher = build_cipher(Settings())
    try:
        rules = HospitalRules(
            release_days=7, release_time=release_at.time().isoformat(timespec="seconds"), max_per_day=9
        )
        for his_id, name in (("jy-rmyy", "济源市人民医院"), ("jy-zyy", "济源市中医院")):
            await CareHospital.create(his_id=his_id, name={"zh_CN": name}, rules=rules.as_dict(), demo=True)
        users = []
        for i in range(patients):
            first17 = f"41900119500101{i % 1000:03d}"
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
        return [issue_access_token(user_id=uid, secret=secret, ttl_s=3600) for uid in ids]
    finally:
        await close_db()


async def set_release(database_url: str, at: dt.datetime) -> None:
    """Move the hospitals' release time (放号时间) to `at` (local), once everything is ready."""
    from citizen_api.composition import tortoise_apps
    from services.care.models import CareHospital
    from services.care.rules import HospitalRules
    from services.common.db import close_db, init_db

    await init_db(database_url, apps=tortoise_apps())
    try:
        rules = HospitalRules(
            release_days=7, release_time=at.time().isoformat(timespec="seconds"), max_per_day=9
        )
        await CareHospital.all().update(rules=rules.as_dict())
    finally:
        await close_db()


async def plain_slots(database_url: str, like: list[dict]) -> list[str]:
    """A resource without an owner policy with the same slots (start, end, capacity) as the doctors'."""
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
            begin = dt.datetime.fromisoformat(slot["start"]) + dt.timedelta(
                seconds=position
            )  # distinct starts
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


async def burst(base: str, tokens: list[str], slots: list[str]) -> tuple[list[float], Counter, float]:
    """Every token books one slot (round robin), all at once; latencies, statuses, elapsed."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one(n: int, token: str) -> None:
            began = time.perf_counter()
            response = await client.post(
                f"{base}/api/v1/bookings",
                json={"slot_id": slots[n % len(slots)]},
                headers={"Authorization": f"Bearer {token}"},
            )
            latencies.append(time.perf_counter() - began)
            key = str(response.status_code)
            if response.status_code >= 400:
                key += " " + response.json().get("error", {}).get("code", "?")
            statuses[key] += 1

        began = time.perf_counter()
        await asyncio.gather(*(one(n, token) for n, token in enumerate(tokens)))
        elapsed = time.perf_counter() - began
    return latencies, statuses, elapsed


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL admin URL; a scratch database is created and dropped"
    )
    parser.add_argument("--redis-url", help="Redis URL (default: in-process fakeredis)")
    parser.add_argument("--burst", type=int, default=400, help="requests fired at once per phase (max 1000)")
    parser.add_argument("--doctors", type=int, default=8, help="doctors whose release-day slots are booked")
    args = parser.parse_args()
    size = min(max(args.burst, 10), 1000)
    doctors = DOCTORS[: min(max(args.doctors, 1), len(DOCTORS))]

    secret = "bench-secret-" + uuid.uuid4().hex
    workdir = Path(tempfile.mkdtemp(prefix="citizen-care-bench-"))
    pg_name = None
    if args.database_url:
        database_url, pg_name = await scratch_postgres(args.database_url)
    else:
        database_url = f"sqlite://{workdir}/bench.sqlite3"
    from services.common import clock

    release_at = clock.to_local(clock.now()) + dt.timedelta(seconds=75)
    if release_at.date() != clock.local_date():
        raise SystemExit(
            "too close to midnight (Asia/Shanghai) for a same-day release; try again in a few minutes"
        )
    print(f"preparing {database_url.split('@')[-1]} with {2 * size} patients ...", file=sys.stderr)
    tokens = await prepare(database_url, patients=2 * size, secret=secret, release_at=release_at)

    port = free_port()
    env = {
        **os.environ,
        "CITIZEN_PROFILE": "embedded",
        "CITIZEN_DATABASE_URL": database_url,
        "CITIZEN_SECRET_KEY": secret,
        "CITIZEN_RATE_LIMITS_ENABLED": "false",
        "CITIZEN_RUN_WORKER_IN_PROCESS": "false",
        "CITIZEN_LOG_LEVEL": "WARNING",
        "CITIZEN_HOST": "127.0.0.1",
        "CITIZEN_PORT": str(port),
    }
    if args.redis_url:
        env["CITIZEN_REDIS_URL"] = args.redis_url
        env["CITIZEN_REDIS_PREFIX"] = f"carebench{uuid.uuid4().hex[:6]}:"
    cli = Path(sys.executable).with_name("citizen-api")
    api = await asyncio.create_subprocess_exec(
        str(cli), "serve", env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_until_up(f"{base}/health", limit_s=240)
        # The embedded profile seeds the demo hospitals (release at 08:00) when it starts: hold the
        # release day back again until the slots are mirrored.
        await set_release(database_url, release_at)
        last_day = (release_at.date() + dt.timedelta(days=7)).isoformat()
        slots: list[dict] = []
        seen: Counter = Counter()
        async with httpx.AsyncClient(timeout=60) as client:
            for doctor in doctors:
                found = await client.get(
                    f"{base}/api/v1/care/doctors/{doctor}/slots", params={"date": last_day}
                )
                found.raise_for_status()
                seen.update(s["status"] for s in found.json()["items"])
                slots += [s for s in found.json()["items"] if s["status"] == "not_released"]
        if not slots:
            raise SystemExit(f"no unreleased doctor slots on {last_day}: {dict(seen)}")
        capacity = sum(s["capacity"] for s in slots)
        plain = await plain_slots(database_url, slots)
        release_at = clock.to_local(clock.now()) + dt.timedelta(seconds=8)
        if release_at.date() != clock.local_date():
            raise SystemExit("too close to midnight (Asia/Shanghai) for a same-day release; try again later")
        await set_release(database_url, release_at)
        wait = (release_at - clock.to_local(clock.now())).total_seconds()
        print(f"{len(slots)} doctor slots, {capacity} places; release in {wait:.1f} s", file=sys.stderr)
        if wait < 0:
            raise SystemExit(
                "preparation took longer than the release lead time; rerun with a smaller --burst"
            )
        await asyncio.sleep(wait + 0.05)
        care_row = summary(
            f"care release burst ({size} at once)",
            *await burst(base, tokens[:size], [s["id"] for s in slots]),
        )
        plain_row = summary(f"plain engine burst ({size} at once)", *await burst(base, tokens[size:], plain))
    finally:
        with contextlib.suppress(ProcessLookupError):
            api.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(api.wait(), timeout=10)
        if pg_name and args.database_url:
            await drop_postgres(args.database_url, pg_name)

    backend = "PostgreSQL" if pg_name else "SQLite"
    print(
        f"\ncare release burst — {backend}, {size} requests at once per phase, {len(slots)} slots, {capacity} places"
    )
    for row in (care_row, plain_row):
        print_row(row)
    print(
        f"\ncare / plain: throughput {care_row['rps'] / plain_row['rps']:.2f}x, "
        f"p99 {care_row['p99_ms'] / plain_row['p99_ms']:.2f}x"
    )
    confirmed = {
        name: row["statuses"].get("201", 0) for name, row in (("care", care_row), ("plain", plain_row))
    }
    server_errors = sum(
        v for row in (care_row, plain_row) for k, v in row["statuses"].items() if k.startswith("5")
    )
    print(
        f"confirmed: care {confirmed['care']}, plain {confirmed['plain']} (each must be exactly {capacity}); 5xx: {server_errors}"
    )
    return 0 if confirmed["care"] == confirmed["plain"] == capacity and not server_errors else 1


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
