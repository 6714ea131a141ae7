"""Community figures for the operations dashboard: problem reports by state and time to resolve."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.common.db import dialect
from services.community.enums import ReportStatus
from services.ops.aggregate import FigureScope, Query, Series, fetch, local_day, utc_bounds

__all__ = ["dashboard_figures"]

_DONE = (ReportStatus.RESOLVED, ReportStatus.CLOSED)


async def _per_day(
    column: str, start: dt.date, end: dt.date, *, statuses: tuple[ReportStatus, ...] = ()
) -> list[dict[str, Any]]:
    query = Query()
    lower, upper = utc_bounds(start, end)
    condition = f"{column} >= {query.param(lower)} AND {column} < {query.param(upper)}"
    if statuses:
        condition += f" AND status IN ({query.params(s.value for s in statuses)})"
    sql = f"SELECT {local_day(column)} AS day, COUNT(*) AS value FROM community_report WHERE {condition} GROUP BY 1"  # noqa: S608
    return await fetch(sql, query)


async def _by_state(start: dt.date, end: dt.date) -> dict[str, int]:
    query = Query()
    lower, upper = utc_bounds(start, end)
    sql = (
        f"SELECT status, COUNT(*) AS value FROM community_report "  # noqa: S608
        f"WHERE created_at >= {query.param(lower)} AND created_at < {query.param(upper)} GROUP BY status"
    )
    counts = {str(row["status"]): int(row["value"]) for row in await fetch(sql, query)}
    return {status.value: counts.get(status.value, 0) for status in ReportStatus}


async def _open_now() -> int:
    query = Query()
    sql = (
        f"SELECT COUNT(*) AS value FROM community_report "  # noqa: S608
        f"WHERE status IN ({query.params([ReportStatus.OPEN.value, ReportStatus.IN_PROGRESS.value])})"
    )
    return int((await fetch(sql, query))[0]["value"])


async def _open_by_area() -> list[dict[str, Any]]:
    """Open reports counted per ~1 km cell (coordinates rounded to 0.01°): a map layer without anyone's address."""
    query = Query()
    sql = (
        "SELECT ROUND(lat * 100) / 100.0 AS lat, ROUND(lng * 100) / 100.0 AS lng, COUNT(*) AS value "  # noqa: S608
        "FROM community_report WHERE lat IS NOT NULL AND lng IS NOT NULL "
        f"AND status IN ({query.params([ReportStatus.OPEN.value, ReportStatus.IN_PROGRESS.value])}) GROUP BY 1, 2"
    )
    return [
        {"lat": round(float(row["lat"]), 2), "lng": round(float(row["lng"]), 2), "open": int(row["value"])}
        for row in await fetch(sql, query)
    ]


async def _median_hours_to_resolve(start: dt.date, end: dt.date) -> float | None:
    """Median hours from report to resolution, over reports resolved in the range (computed in SQL)."""
    query = Query()
    lower, upper = utc_bounds(start, end)
    where = (
        f"closed_at >= {query.param(lower)} AND closed_at < {query.param(upper)} "
        f"AND status IN ({query.params(s.value for s in _DONE)})"
    )
    if dialect() == "postgres":
        sql = (
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM closed_at - created_at)) "  # noqa: S608
            f"AS value FROM community_report WHERE {where}"
        )
        value = (await fetch(sql, query))[0]["value"]
        return round(float(value) / 3600, 2) if value is not None else None
    # SQLite has no percentile: the middle one or two durations by ORDER BY/LIMIT, averaged.
    seconds = "(julianday(closed_at) - julianday(created_at)) * 86400.0"
    sql = (
        f"WITH d AS (SELECT {seconds} AS s FROM community_report WHERE {where}), n AS (SELECT COUNT(*) AS c FROM d) "  # noqa: S608
        "SELECT AVG(s) AS value FROM (SELECT s FROM d ORDER BY s LIMIT 2 - (SELECT c FROM n) % 2 "
        "OFFSET ((SELECT c FROM n) - 1) / 2)"
    )
    value = (await fetch(sql, query))[0]["value"]
    return round(float(value) / 3600, 2) if value is not None else None


async def dashboard_figures(*, start: dt.date, end: dt.date, scope: FigureScope) -> dict[str, Any] | None:
    """Reports made and resolved per day, by state, open now, and the median time to resolve."""
    if not scope.city_wide:
        return None  # community reports belong to no department
    series = Series()
    series.add("reported", await _per_day("created_at", start, end))
    series.add("resolved", await _per_day("closed_at", start, end, statuses=_DONE))
    return {
        "daily": series.as_dict(),
        "current": {
            "reports_by_state": await _by_state(start, end),
            "open_reports": await _open_now(),
            "open_reports_map": await _open_by_area(),
        },
        "totals": {"median_hours_to_resolve": await _median_hours_to_resolve(start, end)},
    }
