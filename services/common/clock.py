"""Time: stored in UTC, shown in Asia/Shanghai; working days from the official holiday calendar."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = ["CITY_TZ", "add_working_days", "is_working_day", "local_date", "now", "to_local"]

CITY_TZ = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(UTC)


def to_local(moment: dt.datetime) -> dt.datetime:
    """`moment` in the city's timezone (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CITY_TZ)


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar date in Jiyuan at `moment` (default now)."""
    return to_local(moment or now()).date()


@lru_cache(maxsize=16)
def _china_calendar(year: int) -> holidays.HolidayBase:
    # holidays.China knows both the statutory holidays and the make-up working days (调休).
    return holidays.China(years=year)


def is_working_day(day: dt.date) -> bool:
    """True on a working day: weekdays that are not holidays, plus make-up Saturdays/Sundays."""
    calendar = _china_calendar(day.year)
    if day in calendar:
        return False
    if day.weekday() >= 5:
        return day in getattr(calendar, "weekend_workdays", set())
    return True


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself is not counted)."""
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    remaining = days
    while remaining:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current
