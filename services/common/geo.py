"""Points on the map: one distance and one parser of `near=lat,lng`, used by every domain."""

from __future__ import annotations

import math
import re

__all__ = ["EARTH_RADIUS_M", "LAT_LNG_PATTERN", "LatLng", "distance_m", "parse_lat_lng"]

# "lat,lng" in plain decimals, each within its range (the OpenAPI document states this same pattern).
_LAT = r"-?(?:90(?:\.0+)?|[1-8]?[0-9](?:\.[0-9]+)?)"
_LNG = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[1-9]?[0-9])(?:\.[0-9]+)?)"
LAT_LNG_PATTERN = rf"^{_LAT} *, *{_LNG}$"
_LAT_LNG = re.compile(LAT_LNG_PATTERN)

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
LatLng = tuple[float, float]


def distance_m(a: LatLng, b: LatLng) -> float:
    """Great-circle distance in metres between two (lat, lng) points (haversine; ample for a city)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def parse_lat_lng(text: str) -> LatLng:
    """'35.1,112.4' -> (35.1, 112.4); raises ValueError for anything that is not a point on Earth."""
    if not _LAT_LNG.fullmatch(text.strip()):
        raise ValueError("expected lat,lng in decimals")
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError("expected lat,lng")
    lat, lng = float(parts[0]), float(parts[1])
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError("lat,lng out of range")
    return lat, lng
