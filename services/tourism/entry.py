"""Timed entry through the booking engine: one resource per scenic area, slots per day, real-name visitors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.tourism.models import ScenicArea

__all__ = ["availability"]


async def availability(*, area: ScenicArea, day: dt.date) -> dict[str, Any] | None:
    """Today's timed-entry places: {date, capacity, remaining, bookable}; None before entry is set up."""
    if area.resource_id is None:
        return None
    return None


async def set_up(*, area: ScenicArea) -> int:
    """Make sure the area has its booking resource and slots for the coming days; rows written."""
    return 0
