"""Government services' figures for the operations dashboard: applications, overdue cases, 好差评."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.common import clock
from services.gov.enums import CaseStatus, FollowUpStatus
from services.gov.timeline import CLOCK_RUNNING as _CLOCK_RUNNING
from services.ops.aggregate import FigureScope, Query, Series, fetch, local_day, utc_bounds

__all__ = ["dashboard_figures"]

# 好评: the top three of the five levels (score 3..5); 差评 opens a follow-up.
_GOOD_SCORE = 3


def _departments(query: Query, scope: FigureScope, column: str) -> str:
    if scope.city_wide:
        return ""
    departments = sorted(scope.departments or ())
    if not departments:
        return " AND 1 = 0"
    return f" AND {column} IN ({query.params(departments)})"


async def _per_day(
    table: str, column: str, start: dt.date, end: dt.date, scope: FigureScope, value: str
) -> list[dict[str, Any]]:
    query = Query()
    lower, upper = utc_bounds(start, end)
    sql = (
        f"SELECT {local_day(column)} AS day, {value} AS value FROM {table} "  # noqa: S608
        f"WHERE {column} >= {query.param(lower)} AND {column} < {query.param(upper)}"
        f"{_departments(query, scope, 'department_code')} GROUP BY 1"
    )
    return await fetch(sql, query)


async def _by_state(start: dt.date, end: dt.date, scope: FigureScope) -> dict[str, int]:
    query = Query()
    lower, upper = utc_bounds(start, end)
    sql = (
        f"SELECT status, COUNT(*) AS value FROM gov_case "  # noqa: S608
        f"WHERE submitted_at >= {query.param(lower)} AND submitted_at < {query.param(upper)}"
        f"{_departments(query, scope, 'department_code')} GROUP BY status"
    )
    return {str(row["status"]): int(row["value"]) for row in await fetch(sql, query)}


async def _overdue_now(scope: FigureScope) -> int:
    # The same rule as the case view and the deadline job: late while the clock runs (not during 补正).
    query = Query()
    sql = (
        f"SELECT COUNT(*) AS value FROM gov_case WHERE status IN ({query.params(s.value for s in _CLOCK_RUNNING)}) "  # noqa: S608
        f"AND due_date < {query.param(clock.local_date())}{_departments(query, scope, 'department_code')}"
    )
    return int((await fetch(sql, query))[0]["value"])


async def _follow_ups(scope: FigureScope) -> dict[str, int]:
    query = Query()
    today = query.param(clock.local_date())
    sql = (
        f"SELECT COUNT(*) AS open, COALESCE(SUM(CASE WHEN due_date < {today} THEN 1 ELSE 0 END), 0) AS overdue "  # noqa: S608
        f"FROM gov_follow_up WHERE status = {query.param(FollowUpStatus.OPEN.value)}"
        f"{_departments(query, scope, 'department_code')}"
    )
    row = (await fetch(sql, query))[0]
    return {"open": int(row["open"]), "overdue": int(row["overdue"])}


async def _satisfaction(start: dt.date, end: dt.date, scope: FigureScope) -> dict[str, Any]:
    query = Query()
    lower, upper = utc_bounds(start, end)
    sql = (
        f"SELECT COUNT(*) AS ratings, AVG(score) AS average, "  # noqa: S608
        f"COALESCE(SUM(CASE WHEN score >= {_GOOD_SCORE} THEN 1 ELSE 0 END), 0) AS good "
        f"FROM gov_rating WHERE created_at >= {query.param(lower)} AND created_at < {query.param(upper)}"
        f"{_departments(query, scope, 'department_code')}"
    )
    row = (await fetch(sql, query))[0]
    ratings = int(row["ratings"])
    return {
        "ratings": ratings,
        "bad_ratings": ratings - int(row["good"]),
        "average_score": round(float(row["average"]), 2) if ratings else None,
        "good_rate": round(int(row["good"]) / ratings, 4) if ratings else None,
    }


async def dashboard_figures(*, start: dt.date, end: dt.date, scope: FigureScope) -> dict[str, Any]:
    """Applications submitted/decided per day and by state, overdue cases, satisfaction and open follow-ups."""
    series = Series()
    series.add("submitted", await _per_day("gov_case", "submitted_at", start, end, scope, "COUNT(*)"))
    series.add("decided", await _per_day("gov_case", "decided_at", start, end, scope, "COUNT(*)"))
    series.add("ratings", await _per_day("gov_rating", "created_at", start, end, scope, "COUNT(*)"))
    series.add(
        "satisfaction",
        await _per_day("gov_rating", "created_at", start, end, scope, "ROUND(AVG(score) * 1.0, 2)"),
    )
    # overdue_flagged_on is already a local date: the day the deadline job found the case late.
    query = Query()
    sql = (
        f"SELECT overdue_flagged_on AS day, COUNT(*) AS value FROM gov_case "  # noqa: S608
        f"WHERE overdue_flagged_on >= {query.param(start)} AND overdue_flagged_on <= {query.param(end)}"
        f"{_departments(query, scope, 'department_code')} GROUP BY 1"
    )
    series.add("became_overdue", await fetch(sql, query))
    by_state = await _by_state(start, end, scope)
    for status in CaseStatus:
        by_state.setdefault(status.value, 0)
    return {
        "daily": series.as_dict(),
        "current": {
            "applications_by_state": by_state,
            "overdue_cases": await _overdue_now(scope),
            "follow_ups": await _follow_ups(scope),
        },
        "totals": {"applications": sum(by_state.values()), **await _satisfaction(start, end, scope)},
    }
