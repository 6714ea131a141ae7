"""The booking engine's figures for the operations dashboard: made, cancelled, no-show per owner and day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.accounts.enums import Role
from services.bookings.enums import BookingStatus
from services.ops.aggregate import FigureScope, Query, Series, fetch, local_day, utc_bounds

__all__ = ["dashboard_figures"]


def _scope_filter(query: Query, scope: FigureScope) -> str:
    # A department operator sees the resources its department staffs (hall windows of its department).
    if scope.city_wide:
        return ""
    departments = sorted(scope.departments or ())
    if not departments:
        return " AND 1 = 0"
    return f" AND r.staff_role = {query.param(Role.DEPT_OPERATOR.value)} AND r.staff_scope IN ({query.params(departments)})"


async def _daily(
    column: str, start: dt.date, end: dt.date, scope: FigureScope, *, status: str | None
) -> list[dict[str, Any]]:
    query = Query()
    lower, upper = utc_bounds(start, end)
    condition = f"b.{column} >= {query.param(lower)} AND b.{column} < {query.param(upper)}"
    if status is not None:
        condition += f" AND b.status = {query.param(status)}"
    sql = (
        f"SELECT r.owner_domain AS series, {local_day('b.' + column)} AS day, COUNT(*) AS value "  # noqa: S608
        f"FROM booking_booking b JOIN booking_resource r ON r.id = b.resource_id "
        f"WHERE {condition}{_scope_filter(query, scope)} GROUP BY 1, 2"
    )
    return await fetch(sql, query)


async def _no_shows(start: dt.date, end: dt.date, scope: FigureScope) -> list[dict[str, Any]]:
    # A no-show belongs to the day of the visit that was missed.
    query = Query()
    condition = (
        f"b.visit_date >= {query.param(start)} AND b.visit_date <= {query.param(end)} "
        f"AND b.status = {query.param(BookingStatus.NO_SHOW.value)}"
    )
    sql = (
        f"SELECT r.owner_domain AS series, b.visit_date AS day, COUNT(*) AS value "  # noqa: S608
        f"FROM booking_booking b JOIN booking_resource r ON r.id = b.resource_id "
        f"WHERE {condition}{_scope_filter(query, scope)} GROUP BY 1, 2"
    )
    return await fetch(sql, query)


async def dashboard_figures(*, start: dt.date, end: dt.date, scope: FigureScope) -> dict[str, Any]:
    """Bookings made, cancelled and missed, per owning domain (gov, tourism, community, care) and day."""
    series = Series()
    series.add("made", await _daily("created_at", start, end, scope, status=None))
    series.add(
        "cancelled", await _daily("cancelled_at", start, end, scope, status=BookingStatus.CANCELLED.value)
    )
    series.add("no_show", await _no_shows(start, end, scope))
    daily = series.as_dict()
    totals = {
        metric: sum(sum(points.values()) for points in daily.get(metric, {}).values())
        for metric in ("made", "cancelled", "no_show")
    }
    return {"daily": daily, "current": {}, "totals": totals}
