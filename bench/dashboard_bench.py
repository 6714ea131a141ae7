"""How long the operations dashboard takes to compute over a generated year of rows.

    .venv/bin/python bench/dashboard_bench.py                       # SQLite file (scratch, removed after)
    .venv/bin/python bench/dashboard_bench.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    # options: --days 365 --bookings-per-day 1000 --cases-per-day 150 --reports-per-day 80 --repeat 5

Migrates a fresh database (on PostgreSQL a scratch database, dropped after), generates --days days of
bookings (gov, tourism and community resources; made, cancelled, no-show), cases in every state with
due dates, 好差评 ratings with follow-ups, and problem reports, spread evenly over the local days up to
today. Then times every domain's `dashboard_figures` together, uncached, as the API computes them, for
the last 7 days, the last 30 days and the whole year, and prints the median and worst of --repeat runs,
the row counts, and (SQLite) the query plan of the bookings aggregate to show the range is an index scan.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    conn = await asyncpg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres", database="postgres"
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _generate(
    days: int, bookings_per_day: int, cases_per_day: int, reports_per_day: int
) -> dict[str, int]:
    from services.bookings.models import Booking, Resource, Slot
    from services.common import clock
    from services.community.enums import ReportCategory, ReportStatus
    from services.community.models import Community, Region, Report
    from services.gov.enums import CaseStatus, FollowUpStatus, RatingLevel
    from services.gov.models import Case, FollowUp, Rating

    rnd = random.Random(17)
    today = clock.local_date()
    first = today - dt.timedelta(days=days - 1)
    resources = {
        owner: await Resource.create(
            owner_domain=owner,
            owner_ref=f"bench-{owner}",
            name={"zh_CN": owner},
            staff_role="dept_operator",
            staff_scope=scope,
        )
        for owner, scope in (("gov", "gongan"), ("tourism", "scenic:wangwushan"), ("community", "c1"))
    }
    slot_of: dict[tuple[str, dt.date], Slot] = {}
    region = await Region.create(
        code="bench", name_zh="测试", name_en="Bench", kind="town", lat=35.1, lng=112.6
    )
    community = await Community.create(
        code="bench-1",
        region=region,
        name_zh="测试社区",
        name_en="Bench",
        kind="community",
        lat=35.1,
        lng=112.6,
    )
    counts = {"bookings": 0, "slots": 0, "cases": 0, "ratings": 0, "follow_ups": 0, "reports": 0}
    user = uuid.uuid4()
    started = time.perf_counter()
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=clock.CITY_TZ).astimezone(dt.UTC)
        slots = []
        for resource in resources.values():
            start = midnight + dt.timedelta(hours=9)
            slots.append(
                Slot(
                    resource_id=resource.id,
                    start=start,
                    end=start + dt.timedelta(hours=8),
                    day=day,
                    capacity=100_000,
                    taken=0,
                )
            )
        await Slot.bulk_create(slots)
        for slot, owner in zip(slots, resources, strict=True):
            slot_of[(owner, day)] = slot
        counts["slots"] += len(slots)
        bookings = []
        for n in range(bookings_per_day):
            owner = rnd.choice(("gov", "gov", "tourism", "tourism", "tourism", "community"))
            slot = slot_of[(owner, day)]
            made = midnight + dt.timedelta(seconds=rnd.randrange(86_400))
            status = rnd.choices(("confirmed", "checked_in", "cancelled", "no_show"), (3, 5, 1, 1))[0]
            bookings.append(
                Booking(
                    slot_id=slot.id,
                    resource_id=slot.resource_id,
                    user_id=user,
                    subject_id=uuid.uuid4(),
                    party_size=1,
                    status=status,
                    check_in_code=f"{offset}-{n}-{uuid.uuid4().hex[:8]}",
                    visit_date=day,
                    slot_start=slot.start,
                    slot_end=slot.end,
                    created_at=made,
                    cancelled_at=made + dt.timedelta(hours=1) if status == "cancelled" else None,
                )
            )
        await Booking.bulk_create(bookings, batch_size=1000)
        counts["bookings"] += len(bookings)
        cases, ratings = [], []
        for n in range(cases_per_day):
            submitted = midnight + dt.timedelta(seconds=rnd.randrange(86_400))
            status = rnd.choice(list(CaseStatus))
            cases.append(
                Case(
                    ref=f"B{offset:04d}{n:05d}",
                    user_id=user,
                    created_by_id=user,
                    item_code="bench",
                    department_code=rnd.choice(("gongan", "shebao", "yibao", "gjj")),
                    status=status,
                    submitted_at=submitted,
                    accepted_at=submitted,
                    due_date=day + dt.timedelta(days=20),
                    decided_at=submitted + dt.timedelta(days=3)
                    if status in (CaseStatus.APPROVED, CaseStatus.REJECTED, CaseStatus.COMPLETED)
                    else None,
                    created_at=submitted,
                )
            )
        await Case.bulk_create(cases, batch_size=1000)
        counts["cases"] += len(cases)
        for _ in range(cases_per_day // 2):
            level = rnd.choices(list(RatingLevel), (6, 3, 1, 1, 1))[0]
            ratings.append(
                Rating(
                    booking_id=uuid.uuid4(),
                    user_id=user,
                    department_code="gongan",
                    level=level,
                    score=level.score,
                    created_at=midnight + dt.timedelta(seconds=rnd.randrange(86_400)),
                )
            )
        await Rating.bulk_create(ratings, batch_size=1000)
        counts["ratings"] += len(ratings)
        follow_ups = [
            FollowUp(
                rating_id=r.id,
                department_code="gongan",
                due_date=day + dt.timedelta(days=5),
                status=FollowUpStatus.CLOSED if offset < days - 10 else FollowUpStatus.OPEN,
            )
            for r in ratings
            if r.level.is_bad
        ]
        if follow_ups:
            await FollowUp.bulk_create(follow_ups, batch_size=1000)
        counts["follow_ups"] += len(follow_ups)
        reports = []
        for _ in range(reports_per_day):
            made = midnight + dt.timedelta(seconds=rnd.randrange(86_400))
            status = rnd.choices(list(ReportStatus), (1, 1, 4, 3, 1))[0]
            done = status in (ReportStatus.RESOLVED, ReportStatus.CLOSED, ReportStatus.DUPLICATE)
            reports.append(
                Report(
                    community_id=community.id,
                    category=rnd.choice(list(ReportCategory)),
                    status=status,
                    lat=35.1 + rnd.random() / 10,
                    lng=112.6 + rnd.random() / 10,
                    token=uuid.uuid4().hex,
                    created_at=made,
                    closed_at=made + dt.timedelta(hours=rnd.randrange(1, 96)) if done else None,
                )
            )
        await Report.bulk_create(reports, batch_size=1000)
        counts["reports"] += len(reports)
        if offset % 30 == 0:
            print(f"  generated {offset + 1}/{days} days ({time.perf_counter() - started:.0f} s)", flush=True)
    return counts


async def _time(label: str, start: dt.date, end: dt.date, repeat: int) -> None:
    from citizen_api import composition
    from services.ops.aggregate import FigureScope

    figures = composition.dashboard_figures()
    scope = FigureScope(departments=None)
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for fn in figures.values():
            await fn(start=start, end=end, scope=scope)
        samples.append((time.perf_counter() - t0) * 1000)
    print(f"  {label:<22} median {statistics.median(samples):8.1f} ms   worst {max(samples):8.1f} ms")


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--bookings-per-day", type=int, default=1000)
    parser.add_argument("--cases-per-day", type=int, default=150)
    parser.add_argument("--reports-per-day", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from tortoise import connections

    from citizen_api import composition
    from services.common import clock
    from services.common.db import close_db, dialect, init_db, migrate

    scratch = None
    if args.database_url and urlsplit(args.database_url).scheme.startswith("postgres"):
        scratch = f"dashboard_bench_{uuid.uuid4().hex[:8]}"
        await _admin(args.database_url, f'CREATE DATABASE "{scratch}"')
        parts = urlsplit(args.database_url)
        url = urlunsplit((parts.scheme, parts.netloc, "/" + scratch, parts.query, ""))
    else:
        folder = tempfile.mkdtemp(prefix="dashboard-bench-")
        url = args.database_url or f"sqlite://{folder}/bench.sqlite3"
    try:
        apps = composition.tortoise_apps()
        await migrate(url, apps=apps)
        await init_db(url, apps=apps)
        print(f"generating {args.days} days on {dialect()}…", flush=True)
        t0 = time.perf_counter()
        counts = await _generate(args.days, args.bookings_per_day, args.cases_per_day, args.reports_per_day)
        print(f"rows: {counts} in {time.perf_counter() - t0:.0f} s")
        if dialect() == "postgres":
            await connections.get("default").execute_script("ANALYZE")
        else:
            await connections.get("default").execute_script("ANALYZE")
            from services.ops.aggregate import local_day

            _, plan = await connections.get("default").execute_query(
                f"EXPLAIN QUERY PLAN SELECT r.owner_domain, {local_day('b.created_at')}, COUNT(*) FROM booking_booking b "
                "JOIN booking_resource r ON r.id = b.resource_id WHERE b.created_at >= ? AND b.created_at < ? GROUP BY 1, 2",
                [clock.now() - dt.timedelta(days=7), clock.now()],
            )
            print("query plan (bookings made):", "; ".join(str(row[-1]) for row in plan))
        today = clock.local_date()
        print(f"dashboard figures of every domain, uncached, {args.repeat} runs each:")
        for label, days in (
            ("last 7 days", 7),
            ("last 30 days", 30),
            (f"whole range ({args.days} d)", args.days),
        ):
            await _time(label, today - dt.timedelta(days=days - 1), today, args.repeat)
    finally:
        await close_db()
        if scratch:
            await _admin(args.database_url, f'DROP DATABASE IF EXISTS "{scratch}"')
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
