"""Which opening hours apply on a day (by season/month): one lookup for the guide and the entry slots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.tourism.models import ScenicArea

__all__ = ["season_hours"]


def season_hours(area: ScenicArea, day: dt.date) -> dict[str, Any] | None:
    """The opening hours that apply on `day` (by month), or None when the area is closed that month."""
    for hours in area.opening_hours:
        if day.month in hours["months"]:
            return hours
    return None
