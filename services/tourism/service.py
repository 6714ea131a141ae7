"""Scenic areas for tourists: text in their language, nearest first, live crowd levels, timed entry.

Anonymous reads (list, detail, crowd) are rendered once into JSON with an ETag and cached in Redis;
content changes and new crowd readings drop the cached documents. The list is one SQL query: the
latest crowd figure is kept on the area row by the polling job, the history in CrowdReading.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from integrations.errors import IntegrationError
from services.bookings.policy import BookingPolicies
from services.bookings.views import SlotView
from services.common import clock, geo
from services.common.cache import Keys
from services.common.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES
from services.common.ids import parse_id
from services.search import service as search
from services.tourism import entry
from services.tourism.cache import LocalTier, Rendered, cached, forget, render
from services.tourism.enums import CrowdLevel
from services.tourism.errors import BadNear, BadVisitDate, ScenicAreaNotFound
from services.tourism.hours import season_hours
from services.tourism.models import CrowdReading, ScenicArea
from services.tourism.ports import GateOccupancy, TicketingSystem

__all__ = [
    "CROWD_STALE_AFTER",
    "TEXT_FIELDS",
    "crowd_view",
    "get_crowd",
    "get_scenic_area",
    "list_scenic_areas",
    "parse_near",
    "book_entry",
    "crowd_overview",
    "entry_slots",
    "get_ticket",
    "poll_crowd",
    "prune_crowd_readings",
    "record_gate_failure",
    "record_occupancy",
    "upsert_scenic_area",
]

log = logging.getLogger(__name__)

TEXT_FIELDS = ("name", "summary", "description", "address", "accessibility")
# A figure older than this is flagged stale (the poller runs every 30 s).
CROWD_STALE_AFTER = dt.timedelta(seconds=120)
LIST_TTL_S = 300
DETAIL_TTL_S = 10  # today's availability moves with every booking made through the engine
CROWD_TTL_S = 15


# ---------------------------------------------------------------------------------------------- views


def localized(area: ScenicArea, locale: str, field: str) -> str | None:
    """`field` of `area` in `locale`, falling back to zh_CN field by field."""
    own = (area.texts.get(locale) or {}).get(field)
    return own or (area.texts.get(DEFAULT_LOCALE) or {}).get(field)


def _iso(moment: dt.datetime | None) -> str | None:
    return clock.to_local(moment).isoformat() if moment else None


def crowd_view(area: ScenicArea, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """{level, occupancy, capacity, updated_at, stale, age_s}: the last known figure, never an invented one."""
    now = now or clock.now()
    if area.crowd_occupancy is None or area.crowd_measured_at is None:
        return {
            "level": None,
            "occupancy": None,
            "capacity": area.instant_capacity,
            "updated_at": None,
            "stale": True,
            "age_s": None,
        }
    age = now - area.crowd_measured_at
    failed_since = area.crowd_error_at is not None and area.crowd_error_at >= area.crowd_measured_at
    return {
        "level": CrowdLevel.for_occupancy(area.crowd_occupancy, area.instant_capacity).value,
        "occupancy": area.crowd_occupancy,
        "capacity": area.instant_capacity,
        "updated_at": _iso(area.crowd_measured_at),
        "stale": failed_since or age > CROWD_STALE_AFTER,
        "age_s": max(0, int(age.total_seconds())),
    }


def _list_item(area: ScenicArea, locale: str, now: dt.datetime) -> dict[str, Any]:
    crowd = crowd_view(area, now=now)
    return {
        "id": str(area.id),
        "code": area.code,
        "name": localized(area, locale, "name"),
        "summary": localized(area, locale, "summary"),
        "location": {"lat": area.lat, "lng": area.lng},
        "crowd_level": crowd["level"],
        "crowd_stale": crowd["stale"],
        "tags": area.tags,
        "photo": area.photos[0] if area.photos else None,
    }


def _ticket_view(ticket: dict[str, Any], locale: str) -> dict[str, Any]:
    names = ticket.get("name") or {}
    return {
        "code": ticket["code"],
        "name": names.get(locale) or names.get(DEFAULT_LOCALE),
        "price_fen": int(ticket["price_fen"]),
        "note": (ticket.get("note") or {}).get(locale) or (ticket.get("note") or {}).get(DEFAULT_LOCALE),
    }


def _hours_view(hours: dict[str, Any], locale: str) -> dict[str, Any]:
    labels = hours.get("label") or {}
    return {
        "season": hours["season"],
        "label": labels.get(locale) or labels.get(DEFAULT_LOCALE),
        "months": hours["months"],
        "open": hours["open"],
        "close": hours["close"],
        "last_entry": hours.get("last_entry"),
    }


async def _detail_view(area: ScenicArea, locale: str, now: dt.datetime) -> dict[str, Any]:
    today = clock.local_date(now)
    hours = season_hours(area, today)
    return {
        **_list_item(area, locale, now),
        "description": localized(area, locale, "description"),
        "address": localized(area, locale, "address"),
        "accessibility": localized(area, locale, "accessibility"),
        "photos": area.photos,
        "opening_hours": [_hours_view(h, locale) for h in area.opening_hours],
        "open_today": _hours_view(hours, locale) if hours else None,
        "tickets": [_ticket_view(t, locale) for t in area.ticket_types],
        "daily_capacity": area.daily_capacity,
        "instant_capacity": area.instant_capacity,
        "crowd": crowd_view(area, now=now),
        "today": await entry.availability(area=area, day=today),
        "lang": locale,
    }


# ------------------------------------------------------------------------------------------- reads


def parse_near(near: str | None) -> tuple[float, float] | None:
    """'35.1,112.4' -> (35.1, 112.4); anything else is a 422."""
    if near is None:
        return None
    try:
        return geo.parse_lat_lng(near)
    except ValueError as error:
        raise BadNear(near=near[:40]) from error


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Great-circle distance in whole metres."""
    return round(geo.distance_m(a, b))


def _list_key(keys: Keys, locale: str) -> str:
    return keys("tourism", "list", locale)


def _detail_key(keys: Keys, area_id: Any, locale: str) -> str:
    return keys("tourism", "area", area_id, locale)


def _crowd_key(keys: Keys, area_id: Any) -> str:
    return keys("tourism", "crowd", area_id)


async def list_scenic_areas(
    *, locale: str, near: str | None, redis: Any, keys: Keys, local: LocalTier | None = None
) -> Rendered:
    """Every scenic area, in `locale`; nearest first with `distance_m` when `near` ("lat,lng") is given."""
    origin = parse_near(near)

    async def build() -> dict[str, Any]:
        now = clock.now()
        # One query, whatever the number of areas: the crowd figure is on the row.
        areas = await ScenicArea.all().order_by("sort_order", "code")
        return {"items": [_list_item(a, locale, now) for a in areas], "next_cursor": None}

    document = await cached(redis, _list_key(keys, locale), ttl_s=LIST_TTL_S, build=build, local=local)
    if origin is None:
        return document
    page = document.data()
    for item in page["items"]:
        item["distance_m"] = distance_m(origin, (item["location"]["lat"], item["location"]["lng"]))
    page["items"].sort(key=lambda item: (item["distance_m"], item["id"]))
    return render(page)


async def _area(area_id: str) -> ScenicArea:
    parsed = parse_id(area_id)
    area = await ScenicArea.get_or_none(id=parsed) if parsed else None
    if area is None:
        raise ScenicAreaNotFound()
    return area


async def get_scenic_area(
    *, area_id: str, locale: str, redis: Any, keys: Keys, local: LocalTier | None = None
) -> Rendered:
    """Detail: text, hours, tickets, today's timed-entry availability and the live crowd."""
    # The process copy is keyed by the id as asked: a hit needs no id parsing nor Redis key.
    local_key = ("area", area_id, locale)
    if local is not None and (hit := local.get(local_key)) is not None:
        return hit
    parsed = parse_id(area_id)
    if parsed is None:
        raise ScenicAreaNotFound()

    async def build() -> dict[str, Any]:
        return await _detail_view(await _area(area_id), locale, clock.now())

    return await cached(
        redis,
        _detail_key(keys, parsed, locale),
        ttl_s=DETAIL_TTL_S,
        build=build,
        local=local,
        local_key=local_key,
    )


async def get_crowd(*, area_id: str, redis: Any, keys: Keys, local: LocalTier | None = None) -> Rendered:
    """The live crowd figure of one area (last known, flagged stale when the gates cannot be read)."""
    parsed = parse_id(area_id)
    if parsed is None:
        raise ScenicAreaNotFound()

    async def build() -> dict[str, Any]:
        return crowd_view(await _area(area_id))

    return await cached(redis, _crowd_key(keys, parsed), ttl_s=CROWD_TTL_S, build=build, local=local)


async def get_area(*, area_id: str) -> ScenicArea:
    """The area row (for other tourism modules); unknown ids are a 404."""
    return await _area(area_id)


async def entry_slots(*, area_id: str, date: str | None) -> list[SlotView]:
    """A day's timed-entry slots of an area (default today)."""
    area = await _area(area_id)
    try:
        day = dt.date.fromisoformat(date) if date else clock.local_date()
    except ValueError as error:
        raise BadVisitDate() from error
    return await entry.entry_slots(area=area, day=day)


async def book_entry(
    *, actor: Any, slot_id: str, visitors: Any, cipher: Any, policies: BookingPolicies
) -> Any:
    """Book timed entry with real-name visitors; the ticket goes to the ticketing system via the outbox."""
    return await entry.book_entry(
        actor=actor, slot_id=slot_id, visitors=visitors, cipher=cipher, policies=policies
    )


async def get_ticket(*, actor: Any, booking_id: str) -> Any:
    """The ticket of one of the caller's entry bookings, with the ticketing system's id once issued."""
    return await entry.get_ticket(actor=actor, booking_id=booking_id)


# ------------------------------------------------------------------------------------------ writes


def _all_keys(keys: Keys, area_ids: Sequence[Any]) -> list[str]:
    found = [_list_key(keys, locale) for locale in SUPPORTED_LOCALES]
    for area_id in area_ids:
        found.append(_crowd_key(keys, area_id))
        found.extend(_detail_key(keys, area_id, locale) for locale in SUPPORTED_LOCALES)
    return found


async def invalidate(*, redis: Any, keys: Keys | None, area_ids: Sequence[Any]) -> None:
    """Drop the cached list and the cached documents of `area_ids`."""
    if keys is not None:
        await forget(redis, _all_keys(keys, area_ids))


async def upsert_scenic_area(
    *,
    code: str,
    texts: dict[str, dict[str, str]],
    lat: float,
    lng: float,
    opening_hours: list[dict[str, Any]],
    ticket_types: list[dict[str, Any]],
    tags: list[str],
    photos: list[str],
    daily_capacity: int,
    instant_capacity: int,
    sort_order: int = 0,
    demo: bool = False,
    redis: Any = None,
    keys: Keys | None = None,
) -> tuple[ScenicArea, bool]:
    """Create or change the area `code`; re-indexes it for search and drops its cached documents."""
    if not (texts.get(DEFAULT_LOCALE) or {}).get("name"):
        raise ValueError("a scenic area needs a zh_CN name")
    if daily_capacity <= 0 or instant_capacity <= 0:
        raise ValueError("capacities must be positive")
    for ticket in ticket_types:
        if not isinstance(ticket.get("price_fen"), int) or ticket["price_fen"] < 0:
            raise ValueError("ticket prices are non-negative integers in fen")
    values = {
        "texts": texts,
        "lat": lat,
        "lng": lng,
        "opening_hours": opening_hours,
        "ticket_types": ticket_types,
        "tags": tags,
        "photos": photos,
        "daily_capacity": daily_capacity,
        "instant_capacity": instant_capacity,
        "sort_order": sort_order,
        "demo": demo,
    }
    async with in_transaction():
        area, created = await ScenicArea.update_or_create(defaults=values, code=code)
    await index_area(area)
    await invalidate(redis=redis, keys=keys, area_ids=[area.id])
    return area, created


async def index_area(area: ScenicArea) -> None:
    """Make `area` findable by name in any locale, by pinyin and by initials."""
    title = {locale: t["name"] for locale, t in area.texts.items() if t.get("name")}
    summary = {locale: t["summary"] for locale, t in area.texts.items() if t.get("summary")}
    await search.index_document(
        kind="scenic_area",
        ref=str(area.id),
        title=title,
        summary=summary,
        keywords=list(area.tags),
        url=f"/api/v1/tourism/scenic-areas/{area.id}",
    )


async def record_occupancy(*, readings: Sequence[GateOccupancy], redis: Any, keys: Keys) -> int:
    """Store gate readings (history + latest on the area) and drop the cached documents they change."""
    if not readings:
        return 0
    areas = {a.code: a for a in await ScenicArea.filter(code__in=[r.area_code for r in readings])}
    changed = []
    async with in_transaction() as conn:
        for reading in readings:
            area = areas.get(reading.area_code)
            if area is None:
                continue
            # Stored in UTC: SQLite compares datetimes as text, whatever offset the gates report in.
            measured = reading.measured_at.astimezone(dt.UTC)
            await CrowdReading.create(
                area=area,
                occupancy=reading.occupancy,
                capacity=area.instant_capacity,
                entries=reading.entries,
                exits=reading.exits,
                measured_at=measured,
                using_db=conn,
            )
            # Never move the figure backwards in time (a slow poll finishing after a faster one).
            await (
                ScenicArea.filter(id=area.id)
                .filter(_older_than(measured))
                .using_db(conn)
                .update(
                    crowd_occupancy=reading.occupancy,
                    crowd_measured_at=measured,
                    crowd_error_at=None,
                )
            )
            changed.append(area.id)
    await invalidate(redis=redis, keys=keys, area_ids=changed)
    return len(changed)


def _older_than(moment: dt.datetime) -> Q:
    return Q(crowd_measured_at__isnull=True) | Q(crowd_measured_at__lte=moment)


async def record_gate_failure(*, redis: Any, keys: Keys) -> int:
    """The gates could not be read: keep every last figure, flag it stale, and refresh the caches."""
    now = clock.now()
    ids = await ScenicArea.all().values_list("id", flat=True)
    await ScenicArea.all().update(crowd_error_at=now)
    await invalidate(redis=redis, keys=keys, area_ids=list(ids))
    return len(ids)


async def poll_crowd(*, gates: TicketingSystem, redis: Any, keys: Keys) -> int:
    """Read every area's occupancy from the gate system; on failure the last figures turn stale."""
    codes = list(await ScenicArea.all().values_list("code", flat=True))
    if not codes:
        return 0
    try:
        readings = await gates.occupancy(codes)
    except IntegrationError as error:
        log.warning("gate system unreachable; crowd figures are stale", extra={"error": str(error)[:200]})
        await record_gate_failure(redis=redis, keys=keys)
        return 0
    return await record_occupancy(readings=readings, redis=redis, keys=keys)


async def crowd_overview(*, day: dt.date | None = None) -> list[dict[str, Any]]:
    """For the operations dashboard: each area's live crowd and the day's peak (local date, default today)."""
    day = day or clock.local_date()
    # In UTC: SQLite compares stored datetimes as text, so the offsets must match.
    start = dt.datetime.combine(day, dt.time(0), tzinfo=clock.CITY_TZ).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    areas = await ScenicArea.all().order_by("sort_order", "code")
    peaks: dict[Any, int] = {}
    rows = await CrowdReading.filter(measured_at__gte=start, measured_at__lt=end).values_list(
        "area_id", "occupancy"
    )
    for area_id, occupancy in rows:
        peaks[area_id] = max(occupancy, peaks.get(area_id, 0))
    now = clock.now()
    return [
        {
            "id": str(a.id),
            "code": a.code,
            "name": localized(a, DEFAULT_LOCALE, "name"),
            "crowd": crowd_view(a, now=now),
            "peak_occupancy": peaks.get(a.id),
            "peak_level": CrowdLevel.for_occupancy(peaks[a.id], a.instant_capacity).value
            if a.id in peaks
            else None,
        }
        for a in areas
    ]


async def prune_crowd_readings(*, keep: dt.timedelta = dt.timedelta(days=90)) -> int:
    """Delete crowd history older than `keep` (the ops dashboard looks back weeks, not years)."""
    return await CrowdReading.filter(measured_at__lt=clock.now() - keep).delete()
