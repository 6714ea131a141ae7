"""The operations dashboard: each domain's figures for a range of local days, cached briefly.

The figures come from the `dashboard_figures` function each domain declares in its Domain value;
this module decides who sees what (the whole city, or one department), checks the range and keeps
the answer in Redis for a few seconds so a wall of screens refreshing together costs one computation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from redis.exceptions import RedisError

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import clock
from services.ops import rollup
from services.ops.aggregate import FigureScope, day_range
from services.ops.errors import DashboardNotAllowed, DashboardRangeInvalid

__all__ = ["CACHE_TTL_S", "DEFAULT_DAYS", "MAX_DAYS", "FigureFunction", "dashboard", "scope_of"]

log = logging.getLogger(__name__)

FigureFunction = Callable[..., Awaitable[Mapping[str, Any] | None]]
CACHE_TTL_S = 15
DEFAULT_DAYS = 7
MAX_DAYS = 366


def scope_of(actor: Principal) -> FigureScope:
    """The whole city for ops viewers and admins; a department operator's own departments; else refused."""
    if actor.has_role(Role.OPS_VIEWER):
        return FigureScope(departments=None)
    departments = actor.roles.get(Role.DEPT_OPERATOR)
    if departments:
        if "" in departments:  # an unscoped operator grant covers every department
            return FigureScope(departments=None)
        return FigureScope(departments=frozenset(departments))
    raise DashboardNotAllowed()


def _range(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    end = end or (start + dt.timedelta(days=DEFAULT_DAYS - 1) if start else clock.local_date())
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise DashboardRangeInvalid(details={"from": start.isoformat(), "to": end.isoformat()})
    if (end - start).days + 1 > MAX_DAYS:
        raise DashboardRangeInvalid(details={"max_days": MAX_DAYS})
    return start, end


async def dashboard(
    *,
    actor: Principal,
    start: dt.date | None,
    end: dt.date | None,
    figures: Mapping[str, FigureFunction],
    redis: Any,
    cache_key: Callable[..., str],
    ttl_s: int = CACHE_TTL_S,
) -> dict[str, Any]:
    """{from, to, timezone, days, scope, generated_at, domains: {name: {daily, current, totals}}}."""
    scope = scope_of(actor)
    start, end = _range(start, end)
    departments = sorted(scope.departments) if scope.departments is not None else None
    key = cache_key("ops-dashboard", start.isoformat(), end.isoformat(), ",".join(departments or ["*"]))
    cached = None
    try:
        cached = await redis.get(key) if ttl_s > 0 else None
    except RedisError:
        log.warning("dashboard cache unavailable; computing afresh")
    if cached:
        return json.loads(cached)
    domains: dict[str, Any] = {}
    # One after another: a single SQLite connection (embedded profile) serialises them anyway.
    for name, figure in figures.items():
        # Past days of the big domains come from the daily rollups (services.ops.rollup), today live.
        result = await rollup.figures_with_rollups(name, figure, start=start, end=end, scope=scope)
        if result is not None:
            domains[name] = dict(result)
    answer = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timezone": str(clock.CITY_TZ),
        "days": day_range(start, end),
        "scope": {"departments": departments},
        "generated_at": clock.to_local(clock.now()).isoformat(),
        "cache_ttl_s": ttl_s,
        "domains": domains,
    }
    try:
        if ttl_s > 0:
            await redis.set(key, json.dumps(answer, default=str), ex=ttl_s)
    except RedisError:
        log.warning("dashboard cache unavailable; answer not cached")
    return answer
