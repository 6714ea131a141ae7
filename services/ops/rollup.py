"""Daily rollups of the dashboard's city-wide figures, so a year view stays fast.

Each rolled domain's `dashboard_figures` is run for ONE closed local day and its answer (daily points,
day totals and the range-dependent "current" parts) is stored in ops_daily_rollup. A range then reads
its past days from those rows and computes only today (and any day after) live; totals are merged by
the rules below. The periodic job `ops.roll_up_dashboard` (declared in the ops Domain) backfills
missing days and refreshes recent ones: daily counts of a closed day are final, but figures such as
"applications of that day by current state" keep moving as cases progress, so days of the last
fortnight are recomputed hourly and older days daily. A read never waits for a large backfill: with
more than FILL_ON_READ days missing the range is computed live, as without rollups.

Department views (operators) are computed live: one department's rows are a fraction of the city's.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.exceptions import IntegrityError

from services.common import clock
from services.ops.aggregate import FigureScope
from services.ops.models import DailyRollup

__all__ = [
    "CITY",
    "FILL_ON_READ",
    "ROLLED",
    "MergeRules",
    "figures_with_rollups",
    "merge_days",
    "roll_up",
    "roll_up_day",
]

log = logging.getLogger(__name__)

CITY = "*"
FILL_ON_READ = 7  # missing past days computed (and stored) during a read; more: the range is live
RECENT_DAYS = 14
RECENT_MAX_AGE = dt.timedelta(hours=1)
OLD_MAX_AGE = dt.timedelta(hours=24)
JOB_BATCH = 400  # day computations per job run (a year's backfill of three domains takes three runs)

FigureFunction = Callable[..., Awaitable[Mapping[str, Any] | None]]


def _weighted_median(pairs: Iterable[tuple[float, float]]) -> float | None:
    """The value at half the total weight of (value, weight) pairs."""
    items = sorted((v, w) for v, w in pairs if v is not None and w)
    total = sum(w for _, w in items)
    if not total:
        return None
    running = 0.0
    for value, weight in items:
        running += weight
        if running >= total / 2:
            return round(float(value), 2)
    return round(float(items[-1][0]), 2)


@dataclass(frozen=True, slots=True)
class MergeRules:
    """How one domain's per-day answers combine into a range's answer.

    Numeric totals add up unless named here. `weighted`: total -> the total that weighs it (a mean).
    `ratios`: total -> (numerator expression, denominator) recomputed from the summed totals.
    `medians`: total -> (daily metric, series) whose day counts weigh each day's median (an estimate
    of the range's median: exact when one day, close when days are alike). `range_current`: parts of
    "current" that depend on the range (summed per key), the rest of "current" is always live.
    """

    weighted: Mapping[str, str] = field(default_factory=dict)
    ratios: Mapping[str, Callable[[Mapping[str, Any]], float | None]] = field(default_factory=dict)
    medians: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    range_current: tuple[str, ...] = ()


def _good_rate(totals: Mapping[str, Any]) -> float | None:
    ratings = totals.get("ratings") or 0
    return round((ratings - (totals.get("bad_ratings") or 0)) / ratings, 4) if ratings else None


# The domains whose figures are rolled up (the ones that grow with a year of rows), and their rules.
ROLLED: dict[str, MergeRules] = {
    "bookings": MergeRules(),
    "gov": MergeRules(
        weighted={"average_score": "ratings"},
        ratios={"good_rate": _good_rate},
        range_current=("applications_by_state",),
    ),
    "community": MergeRules(
        medians={"median_hours_to_resolve": ("resolved", "all")}, range_current=("reports_by_state",)
    ),
}


def _stored(answer: Mapping[str, Any], rules: MergeRules) -> dict[str, Any]:
    current = answer.get("current") or {}
    return {
        "daily": answer.get("daily") or {},
        "totals": answer.get("totals") or {},
        "current": {key: current[key] for key in rules.range_current if key in current},
    }


def _add_counts(into: dict[str, Any], part: Mapping[str, Any]) -> None:
    for key, value in part.items():
        if isinstance(value, dict):
            _add_counts(into.setdefault(key, {}), value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            into[key] = into.get(key, 0) + value


def merge_days(parts: list[Mapping[str, Any]], rules: MergeRules) -> dict[str, Any]:
    """Combine per-day (or per-span) answers into one: daily points joined, totals and states merged."""
    daily: dict[str, dict[str, dict[str, float]]] = {}
    for part in parts:
        for metric, by_series in (part.get("daily") or {}).items():
            for series, points in by_series.items():
                daily.setdefault(metric, {}).setdefault(series, {}).update(points)
    totals: dict[str, Any] = {}
    special = set(rules.weighted) | set(rules.ratios) | set(rules.medians)
    for part in parts:
        for key, value in (part.get("totals") or {}).items():
            if key in special:
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                totals[key] = totals.get(key, 0) + value
            else:
                totals.setdefault(key, value)
    for key, weight in rules.weighted.items():
        pairs = [
            (p["totals"][key], p["totals"].get(weight) or 0)
            for p in parts
            if (p.get("totals") or {}).get(key) is not None
        ]
        total_weight = sum(w for _, w in pairs)
        totals[key] = round(sum(v * w for v, w in pairs) / total_weight, 2) if total_weight else None
    for key, ratio in rules.ratios.items():
        totals[key] = ratio(totals)
    for key, (metric, series) in rules.medians.items():
        totals[key] = _weighted_median(
            (
                (p.get("totals") or {}).get(key),
                sum(((p.get("daily") or {}).get(metric, {}).get(series) or {}).values()),
            )
            for p in parts
        )
    current: dict[str, Any] = {}
    for part in parts:
        for key in rules.range_current:
            value = (part.get("current") or {}).get(key)
            if isinstance(value, dict):
                _add_counts(current.setdefault(key, {}), value)
    return {"daily": daily, "totals": totals, "current": current}


async def roll_up_day(name: str, figure: FigureFunction, day: dt.date) -> dict[str, Any] | None:
    """Compute one domain's city-wide figures for one local day and store them (upsert)."""
    rules = ROLLED[name]
    answer = await figure(start=day, end=day, scope=FigureScope(departments=None))
    if answer is None:
        return None
    stored = _stored(answer, rules)
    now = clock.now()
    updated = await DailyRollup.filter(domain=name, scope=CITY, day=day).update(
        figures=stored, computed_at=now
    )
    if not updated:
        try:
            await DailyRollup.create(domain=name, scope=CITY, day=day, figures=stored, computed_at=now)
        except IntegrityError:  # another worker stored the same day meanwhile: keep the newest
            await DailyRollup.filter(domain=name, scope=CITY, day=day).update(figures=stored, computed_at=now)
    return stored


async def figures_with_rollups(
    name: str, figure: FigureFunction, *, start: dt.date, end: dt.date, scope: FigureScope
) -> Mapping[str, Any] | None:
    """The domain's answer for the range: past days from rollups, today and later live."""
    rules = ROLLED.get(name)
    if rules is None or not scope.city_wide:
        return await figure(start=start, end=end, scope=scope)
    today = clock.local_date()
    closed_end = min(end, today - dt.timedelta(days=1))
    parts: list[Mapping[str, Any]] = []
    if start <= closed_end:
        rows = {
            r.day: r.figures
            for r in await DailyRollup.filter(domain=name, scope=CITY, day__gte=start, day__lte=closed_end)
        }
        wanted = [start + dt.timedelta(days=n) for n in range((closed_end - start).days + 1)]
        missing = [d for d in wanted if d not in rows]
        if len(missing) > FILL_ON_READ:
            # Not rolled up yet (a fresh database, a job not run): answer live, as without rollups.
            return await figure(start=start, end=end, scope=scope)
        for day in missing:
            stored = await roll_up_day(name, figure, day)
            if stored is not None:
                rows[day] = stored
        parts.extend(rows[d] for d in wanted if d in rows)
    live = await figure(start=max(start, today), end=max(end, today), scope=scope)
    if live is None:
        return None
    if end >= today:
        parts.append(_stored(live, rules))
    merged = merge_days(parts, rules)
    current = {k: v for k, v in (live.get("current") or {}).items() if k not in rules.range_current}
    for key in rules.range_current:
        if key in (live.get("current") or {}):
            # Every state present (with zeros), as the live answer lists them.
            zeros = {k: 0 for k in live["current"][key]}
            current[key] = zeros | merged["current"].get(key, {})
    return {"daily": merged["daily"], "current": current, "totals": merged["totals"]}


async def roll_up(
    figures: Mapping[str, FigureFunction],
    *,
    days: int = 366,
    batch: int = JOB_BATCH,
    now: dt.datetime | None = None,
) -> int:
    """The periodic job: roll up missing closed days and refresh stale ones; returns days computed."""
    moment = now or clock.now()
    today = clock.local_date(moment)
    first = today - dt.timedelta(days=days)
    done = 0
    for name in ROLLED:
        figure = figures.get(name)
        if figure is None:
            continue
        have = {
            r["day"]: r["computed_at"]
            for r in await DailyRollup.filter(domain=name, scope=CITY, day__gte=first, day__lt=today).values(
                "day", "computed_at"
            )
        }
        due: list[dt.date] = []
        for n in range(1, days + 1):
            day = today - dt.timedelta(days=n)
            computed = have.get(day)
            if isinstance(computed, str):
                computed = dt.datetime.fromisoformat(computed)
            max_age = RECENT_MAX_AGE if n <= RECENT_DAYS else OLD_MAX_AGE
            if computed is None or moment - computed > max_age:
                due.append(day)
        for day in due:
            if done >= batch:
                return done
            await roll_up_day(name, figure, day)
            done += 1
    return done
