"""Tourism's figures for the operations dashboard: every scenic area's crowd now and the day's peak."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.ops.aggregate import FigureScope
from services.tourism.models import ScenicArea
from services.tourism.service import crowd_overview

__all__ = ["dashboard_figures"]


async def dashboard_figures(*, start: dt.date, end: dt.date, scope: FigureScope) -> dict[str, Any] | None:
    """Crowd levels now and today's peak per area, with its location for the map (timed entries are bookings)."""
    if not scope.city_wide:
        return None
    areas = await crowd_overview()
    locations = {
        str(area_id): {"lat": lat, "lng": lng}
        for area_id, lat, lng in await ScenicArea.all().values_list("id", "lat", "lng")
    }
    return {
        "daily": {},
        "current": {"scenic_areas": [{**area, "location": locations.get(area["id"])} for area in areas]},
        "totals": {"areas": len(areas)},
    }
