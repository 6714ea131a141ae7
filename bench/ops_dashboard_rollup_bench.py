"""The dashboard's year view with and without the daily rollups, over a generated year of rows.

    .venv/bin/python bench/ops_dashboard_rollup_bench.py --database-url postgres://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/ops_dashboard_rollup_bench.py                 # SQLite file (scratch)
    # options: --days 365 --bookings-per-day 1000 --cases-per-day 150 --reports-per-day 80 --repeat 5

Generates the same year as bench/dashboard_bench.py (bookings of three domains in every state, cases
in every state with deadlines, 好差评 ratings with follow-ups, problem reports), then measures, uncached:
  1. live: every domain's dashboard_figures over the whole year (what the API did before rollups);
  2. the job: services.ops.rollup.roll_up backfilling every closed day of the year (a one-off cost;
     afterwards it refreshes 14 recent days an hour and older days once a day);
  3. the API's path (services.ops.dashboard.dashboard, cache off) for 7 days, 30 days and the year,
     reading past days from ops_daily_rollup and today live.
Prints the median and worst of --repeat runs, and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dashboard_bench import _admin, _generate  # noqa: E402  (the same generated year)


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


async def _samples(fn, repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), max(samples)


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
    from services.accounts.enums import Role, VerificationLevel
    from services.accounts.principal import Principal
    from services.common import clock
    from services.common.db import close_db, dialect, init_db, migrate
    from services.ops import dashboard, rollup
    from services.ops.aggregate import FigureScope

    scratch = None
    if args.database_url and urlsplit(args.database_url).scheme.startswith("postgres"):
        scratch = f"ops_rollup_bench_{uuid.uuid4().hex[:8]}"
        await _admin(args.database_url, f'CREATE DATABASE "{scratch}"')
        parts = urlsplit(args.database_url)
        url = urlunsplit((parts.scheme, parts.netloc, "/" + scratch, parts.query, ""))
    else:
        folder = tempfile.mkdtemp(prefix="ops-rollup-bench-")
        url = args.database_url or f"sqlite://{folder}/bench.sqlite3"
    try:
        apps = composition.tortoise_apps()
        await migrate(url, apps=apps)
        await init_db(url, apps=apps)
        print(f"generating {args.days} days on {dialect()}… ({_load()})", flush=True)
        t0 = time.perf_counter()
        counts = await _generate(args.days, args.bookings_per_day, args.cases_per_day, args.reports_per_day)
        print(f"rows: {counts} in {time.perf_counter() - t0:.0f} s")
        await connections.get("default").execute_script("ANALYZE")
        figures = composition.dashboard_figures()
        today = clock.local_date()
        year_start = today - dt.timedelta(days=args.days - 1)
        print(f"before: {_load()}")

        async def live_year() -> None:
            for fn in figures.values():
                await fn(start=year_start, end=today, scope=FigureScope(departments=None))

        median, worst = await _samples(live_year, max(1, min(args.repeat, 3)))
        print(f"  live year (no rollups)       median {median:9.1f} ms   worst {worst:9.1f} ms")

        t0 = time.perf_counter()
        computed = await rollup.roll_up(figures, days=args.days, batch=10**9)
        print(
            f"  rollup backfill              {computed} day computations in {time.perf_counter() - t0:.1f} s"
        )

        viewer = Principal(
            user_id=uuid.uuid4(), level=VerificationLevel.WECHAT, roles={Role.OPS_VIEWER: frozenset({""})}
        )
        for label, days in (("last 7 days", 7), ("last 30 days", 30), (f"year ({args.days} d)", args.days)):

            async def view(days: int = days) -> None:
                await dashboard.dashboard(
                    actor=viewer,
                    start=today - dt.timedelta(days=days - 1),
                    end=today,
                    figures=figures,
                    redis=None,
                    cache_key=lambda *parts: "unused",
                    ttl_s=0,
                )

            median, worst = await _samples(view, args.repeat)
            print(f"  API path, {label:<18} median {median:9.1f} ms   worst {worst:9.1f} ms")
        print(f"after: {_load()}")
    finally:
        await close_db()
        if scratch:
            await _admin(args.database_url, f'DROP DATABASE IF EXISTS "{scratch}"')
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
