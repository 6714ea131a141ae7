"""Pure tourism rules: crowd levels at 80/90/100%, entry slots that add up to the daily capacity."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from services.tourism.entry import plan_day
from services.tourism.enums import CrowdLevel, TicketStatus
from services.tourism.models import ScenicArea
from services.tourism.seed import AREAS
from services.tourism.service import distance_m, parse_near


@pytest.mark.parametrize(
    ("occupancy", "capacity", "level"),
    [
        (0, 5000, CrowdLevel.GREEN),
        (3999, 5000, CrowdLevel.GREEN),
        (4000, 5000, CrowdLevel.YELLOW),
        (4499, 5000, CrowdLevel.YELLOW),
        (4500, 5000, CrowdLevel.ORANGE),
        (4999, 5000, CrowdLevel.ORANGE),
        (5000, 5000, CrowdLevel.RED),
        (7, 7, CrowdLevel.RED),
        (6, 7, CrowdLevel.YELLOW),  # 85.7%
        (0, 0, CrowdLevel.RED),
    ],
)
def test_crowd_level__thresholds(occupancy: int, capacity: int, level: CrowdLevel) -> None:
    assert CrowdLevel.for_occupancy(occupancy, capacity) is level


def test_ticket_status__only_pending_moves() -> None:
    assert TicketStatus.PENDING.can_become(TicketStatus.ISSUED)
    assert TicketStatus.PENDING.can_become(TicketStatus.FAILED)
    assert not TicketStatus.ISSUED.can_become(TicketStatus.PENDING)
    assert not TicketStatus.FAILED.can_become(TicketStatus.ISSUED)


def _area(data: dict, daily: int | None = None) -> ScenicArea:
    return ScenicArea(
        code=data["code"],
        texts={},
        lat=data["lat"],
        lng=data["lng"],
        opening_hours=data["hours"],
        daily_capacity=daily or data["daily_capacity"],
        instant_capacity=data["instant_capacity"],
    )


@pytest.mark.parametrize("daily", [30000, 10001, 7, 1])
@pytest.mark.parametrize("day", [dt.date(2026, 7, 1), dt.date(2026, 1, 15)])
def test_plan_day__slot_capacities_sum_to_daily_capacity(daily: int, day: dt.date) -> None:
    area = _area(AREAS[0], daily)
    slots = plan_day(area, day)
    assert slots
    assert sum(s.capacity for s in slots) == daily
    assert max(s.capacity for s in slots) - min(s.capacity for s in slots) <= 1
    assert all(a.end == b.start for a, b in zip(slots, slots[1:], strict=False))


def test_plan_day__follows_the_season() -> None:
    area = _area(AREAS[0])  # 王屋山: peak 07:30 to 16:30 last entry, off season 08:00 to 15:30
    summer = plan_day(area, dt.date(2026, 7, 1))
    winter = plan_day(area, dt.date(2026, 1, 15))
    assert summer[0].start == dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)  # 07:30 in Jiyuan
    assert summer[-1].end == dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)  # 16:30 in Jiyuan
    assert winter[0].start == dt.datetime(2026, 1, 15, 0, 0, tzinfo=dt.UTC)  # 08:00
    assert winter[-1].end == dt.datetime(2026, 1, 15, 7, 30, tzinfo=dt.UTC)  # 15:30 (a half slot)
    assert len(summer) == 9
    assert len(winter) == 8


def test_near__parses_and_measures() -> None:
    assert parse_near("35.1,112.5") == (35.1, 112.5)
    # 王屋山 to 济渎庙: about 28 km as the crow flies.
    assert 25_000 < distance_m((35.1390, 112.2560), (35.1030, 112.5660)) < 31_000


def test_seed__has_the_required_areas_with_plausible_jiyuan_coordinates() -> None:
    names = {a["zh_CN"]["name"] for a in AREAS}
    assert {"王屋山", "小浪底", "五龙口", "黄河三峡", "九里沟", "济渎庙"} <= names
    assert len(AREAS) >= 10
    for area in AREAS:
        # Jiyuan lies within about 34.9–35.3 N, 112.0–112.8 E.
        assert 34.85 < area["lat"] < 35.35 and 112.0 < area["lng"] < 112.8, area["code"]
        assert area["en"]["name"] and area["zh_CN"]["summary"]


async def test_local_tier__serves_a_process_copy_for_its_ttl_then_rebuilds() -> None:
    from services.tourism.cache import LocalTier, cached

    builds = []

    async def build() -> dict:
        builds.append(1)
        return {"n": len(builds)}

    tier = LocalTier(ttl_s=0.2)
    first = await cached(None, "k", ttl_s=10, build=build, local=tier)
    again = await cached(None, "k", ttl_s=10, build=build, local=tier)
    assert first == again and first.data() == {"n": 1}
    await asyncio.sleep(0.25)
    later = await cached(None, "k", ttl_s=10, build=build, local=tier)
    assert later.data() == {"n": 2}
    assert later.etag != first.etag
    assert (await cached(None, "k", ttl_s=10, build=build)).data() == {"n": 3}  # no tier: always fresh
