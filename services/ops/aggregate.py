"""SQL aggregates for the operations dashboard, written once for PostgreSQL and SQLite.

Figures are counted by the database (GROUP BY over an indexed time column), never by loading rows
into Python. Days are the city's local days: Asia/Shanghai has no daylight saving, so on SQLite the
UTC text Tortoise stores is shifted by a fixed eight hours; PostgreSQL converts with AT TIME ZONE.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise import connections

from services.common import clock
from services.common.db import dialect

__all__ = [
    "FigureScope",
    "Query",
    "Series",
    "day_range",
    "fetch",
    "local_day",
    "utc_bounds",
]

_CITY_TZ = "Asia/Shanghai"
_SQLITE_SHIFT = "+8 hours"  # Asia/Shanghai: UTC+8 all year


@dataclass(frozen=True, slots=True)
class FigureScope:
    """What a dashboard reader may see: the whole city, or only some departments' figures."""

    departments: frozenset[str] | None = None

    @property
    def city_wide(self) -> bool:
        return self.departments is None


def local_day(column: str) -> str:
    """SQL for the city-local date ('YYYY-MM-DD') of a UTC timestamp column."""
    if dialect() == "postgres":
        return f"to_char(({column} AT TIME ZONE '{_CITY_TZ}'), 'YYYY-MM-DD')"
    return f"date({column}, '{_SQLITE_SHIFT}')"


def utc_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in the city, as UTC instants (the stored form)."""
    lower = dt.datetime.combine(start, dt.time(0), tzinfo=clock.CITY_TZ).astimezone(dt.UTC)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=clock.CITY_TZ).astimezone(
        dt.UTC
    )
    return lower, upper


def day_range(start: dt.date, end: dt.date) -> list[str]:
    """Every local day from start to end inclusive, ISO formatted."""
    return [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


class Query:
    """Raw SQL with parameters, placeholders in the dialect's style ($1 on PostgreSQL, ? on SQLite)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._postgres = dialect() == "postgres"

    def param(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}" if self._postgres else "?"

    def params(self, values: Iterable[Any]) -> str:
        return ", ".join(self.param(v) for v in values)


async def fetch(sql: str, query: Query) -> list[dict[str, Any]]:
    """Run an aggregate and return its (few) result rows."""
    _, rows = await connections.get("default").execute_query(sql, query.values)
    return [dict(row) for row in rows]


class Series:
    """Accumulates `daily[metric][series][day] = value` from GROUP BY rows."""

    def __init__(self) -> None:
        self.daily: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))

    def add(self, metric: str, rows: Sequence[dict[str, Any]], *, series: str | None = None) -> None:
        for row in rows:
            key = series or str(row.get("series") or "all")
            value = row["value"]
            # PostgreSQL answers AVG/ROUND as Decimal: keep counts exact, averages as floats.
            self.daily[metric][key][str(row["day"])] = value if isinstance(value, int) else float(value)

    def ensure(self, metric: str, series: str = "all") -> None:
        self.daily[metric].setdefault(series, {})

    def as_dict(self) -> dict[str, dict[str, dict[str, float]]]:
        return {metric: dict(by_series) for metric, by_series in self.daily.items()}
