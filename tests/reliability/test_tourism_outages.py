"""Tourism under outages: the gate system down (stale last figure), Redis down (reads from the database)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
import redis.asyncio as aioredis

from services.common import clock
from services.tourism import service
from services.tourism.models import CrowdReading, ScenicArea
from tests.conftest import free_port


async def _area(code: str = "gates", instant: int = 1000) -> ScenicArea:
    area, _ = await service.upsert_scenic_area(
        code=code,
        texts={"zh_CN": {"name": "闸机测试景区"}, "en": {"name": "Gate Test Area"}},
        lat=35.1,
        lng=112.5,
        opening_hours=[],
        ticket_types=[],
        tags=[],
        photos=[],
        daily_capacity=3000,
        instant_capacity=instant,
    )
    return area


async def test_crowd__gate_system_down_shows_last_figure_as_stale(client: httpx.AsyncClient, runtime) -> None:
    area = await _area()
    gates = "/sandbox/ticketing"
    assert (await client.put(f"{gates}/gates/gates", json={"occupancy": 850})).status_code == 200
    await service.poll_crowd(gates=runtime.adapters.ticketing, redis=runtime.redis, keys=runtime.keys)
    fresh = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/crowd")).json()
    assert fresh["occupancy"] == 850
    assert fresh["level"] == "yellow"
    assert fresh["stale"] is False
    assert await CrowdReading.filter(area_id=area.id).count() == 1

    await client.put(f"{gates}/gates/gates", json={"occupancy": 990})  # the gates keep counting...
    await client.post(f"{gates}/__faults", json={"down": True})
    try:
        await service.poll_crowd(gates=runtime.adapters.ticketing, redis=runtime.redis, keys=runtime.keys)
    finally:
        await client.delete(f"{gates}/__faults")
    stale = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/crowd")).json()
    # ...but we could not read them: the last known figure, its time and age, flagged stale.
    assert stale["occupancy"] == 850
    assert stale["level"] == "yellow"
    assert stale["updated_at"] == fresh["updated_at"]
    assert stale["stale"] is True
    assert stale["age_s"] is not None
    listed = (await client.get("/api/v1/tourism/scenic-areas")).json()["items"][0]
    assert listed["crowd_level"] == "yellow"
    assert listed["crowd_stale"] is True
    assert await CrowdReading.filter(area_id=area.id).count() == 1

    runtime.adapters.ticketing.breaker.record_success()  # the breaker may have opened; close it for the next poll
    await service.poll_crowd(gates=runtime.adapters.ticketing, redis=runtime.redis, keys=runtime.keys)
    back = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/crowd")).json()
    assert back["occupancy"] == 990
    assert back["level"] == "orange"
    assert back["stale"] is False


async def test_crowd__old_reading_is_stale_even_without_errors(client: httpx.AsyncClient, runtime) -> None:
    area = await _area()
    old = clock.now() - service.CROWD_STALE_AFTER - dt.timedelta(seconds=5)
    await ScenicArea.filter(id=area.id).update(crowd_occupancy=100, crowd_measured_at=old)
    crowd = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/crowd")).json()
    assert crowd["occupancy"] == 100
    assert crowd["stale"] is True
    assert crowd["age_s"] >= service.CROWD_STALE_AFTER.total_seconds()


async def test_reads__work_from_the_database_when_redis_is_down(runtime) -> None:
    area = await _area()
    dead = aioredis.from_url(
        f"redis://127.0.0.1:{free_port()}", socket_connect_timeout=0.5, socket_timeout=0.5
    )
    try:
        listed = await service.list_scenic_areas(
            locale="en", near="35.1,112.5", redis=dead, keys=runtime.keys
        )
        assert listed.data()["items"][0]["name"] == "Gate Test Area"
        assert listed.data()["items"][0]["distance_m"] == 0
        detail = await service.get_scenic_area(
            area_id=str(area.id), locale="zh_CN", redis=dead, keys=runtime.keys
        )
        assert detail.data()["name"] == "闸机测试景区"
        crowd = await service.get_crowd(area_id=str(area.id), redis=dead, keys=runtime.keys)
        assert crowd.data()["capacity"] == 1000
        # Writes that would invalidate the cache still succeed.
        await service.upsert_scenic_area(
            code="gates",
            texts={"zh_CN": {"name": "改名"}},
            lat=35.1,
            lng=112.5,
            opening_hours=[],
            ticket_types=[],
            tags=[],
            photos=[],
            daily_capacity=3000,
            instant_capacity=1000,
            redis=dead,
            keys=runtime.keys,
        )
        again = await service.get_scenic_area(
            area_id=str(area.id), locale="zh_CN", redis=dead, keys=runtime.keys
        )
        assert again.data()["name"] == "改名"
        assert again.etag != detail.etag
    finally:
        await dead.aclose()


@pytest.mark.parametrize(
    ("local_time", "peak", "peak_level"),
    [
        # Midday: all three readings are today's.
        (dt.time(12, 0), 950, "orange"),
        # Five past midnight in Jiyuan (16:05 UTC): the 950 at 23:55 was yesterday's peak, not today's
        # (CI once ran at that hour with a test that assumed "the last 20 minutes" were today).
        (dt.time(0, 5), 400, "green"),
    ],
)
async def test_crowd_overview__live_figure_and_the_days_peak_for_operations(
    runtime, monkeypatch, local_time: dt.time, peak: int, peak_level: str
) -> None:
    from integrations.ticketing.types import GateOccupancy

    now = dt.datetime.combine(clock.local_date(), local_time, tzinfo=clock.CITY_TZ).astimezone(dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: now)
    area = await _area(instant=1000)
    for minutes, occupancy in [(20, 300), (10, 950), (0, 400)]:
        reading = GateOccupancy("gates", occupancy, occupancy, 0, now - dt.timedelta(minutes=minutes))
        await service.record_occupancy(readings=[reading], redis=runtime.redis, keys=runtime.keys)
    [row] = await service.crowd_overview()
    assert row["id"] == str(area.id)
    assert row["crowd"]["occupancy"] == 400
    assert row["crowd"]["level"] == "green"
    assert row["peak_occupancy"] == peak
    assert row["peak_level"] == peak_level
