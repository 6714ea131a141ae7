"""Scenic areas through HTTP: language, distance order, crowd levels, ETags, caching and query count."""

from __future__ import annotations

import logging

import httpx
import pytest

from integrations.ticketing.types import GateOccupancy
from services.common import clock
from services.common.seeding import SeedContext
from services.tourism import service
from services.tourism.models import ScenicArea
from services.tourism.seed import AREAS, seed_demo

JIYUAN_CITY = "35.0906,112.6020"  # 济源市民之家, near the city centre


async def _seed(runtime) -> dict[str, ScenicArea]:
    await seed_demo(SeedContext(cipher=runtime.cipher))
    return {a.code: a for a in await ScenicArea.all()}


async def _area(code: str, *, name_en: str | None = "Test Area", instant: int = 1000) -> ScenicArea:
    texts = {"zh_CN": {"name": f"测试{code}", "summary": "中文简介", "description": "中文描述"}}
    if name_en:
        texts["en"] = {"name": name_en, "summary": "English summary"}
    area, _ = await service.upsert_scenic_area(
        code=code,
        texts=texts,
        lat=35.0,
        lng=112.5,
        opening_hours=[],
        ticket_types=[{"code": "adult", "name": {"zh_CN": "成人票"}, "price_fen": 5000}],
        tags=["test"],
        photos=[],
        daily_capacity=1000,
        instant_capacity=instant,
    )
    return area


async def test_list__chinese_by_default_english_by_lang_and_accept_language(
    client: httpx.AsyncClient, runtime
) -> None:
    await _seed(runtime)
    zh = (await client.get("/api/v1/tourism/scenic-areas")).json()
    assert len(zh["items"]) >= 10
    names = {i["code"]: i["name"] for i in zh["items"]}
    assert names["wangwushan"] == "王屋山"
    en = (await client.get("/api/v1/tourism/scenic-areas", params={"lang": "en"})).json()
    assert {i["code"]: i["name"] for i in en["items"]}["wangwushan"] == "Wangwu Mountain"
    accept = await client.get("/api/v1/tourism/scenic-areas", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert {i["code"]: i["name"] for i in accept.json()["items"]}["jidu-temple"] == "Jidu Temple"
    assert accept.headers["Content-Language"] == "en"
    item = zh["items"][0]
    assert set(item) >= {"id", "name", "summary", "location", "crowd_level"}
    assert "distance_m" not in item


async def test_detail__falls_back_to_chinese_field_by_field(client: httpx.AsyncClient, runtime) -> None:
    area = await _area("fallback", name_en="Fallback Park")
    body = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}", params={"lang": "en"})).json()
    assert body["name"] == "Fallback Park"
    assert body["summary"] == "English summary"
    assert body["description"] == "中文描述"  # no English description: zh_CN shown
    assert body["tickets"] == [{"code": "adult", "name": "成人票", "price_fen": 5000, "note": None}]
    only_zh = await _area("zh-only", name_en=None)
    body = (await client.get(f"/api/v1/tourism/scenic-areas/{only_zh.id}?lang=en")).json()
    assert body["name"] == "测试zh-only"


async def test_list__near_sorts_by_distance_and_returns_it(client: httpx.AsyncClient, runtime) -> None:
    await _seed(runtime)
    body = (await client.get("/api/v1/tourism/scenic-areas", params={"near": "35.1030,112.5660"})).json()
    items = body["items"]
    assert items[0]["code"] == "jidu-temple"
    assert items[0]["distance_m"] < 100
    distances = [i["distance_m"] for i in items]
    assert distances == sorted(distances)
    # 小沟背 is at the far western edge of Jiyuan, ~45 km from Jidu Temple.
    assert items[-1]["code"] == "xiaogoubei"
    assert 40_000 < items[-1]["distance_m"] < 50_000


@pytest.mark.parametrize("near", ["abc", "35.1", "91,112", "35,181", "nan,1", "35.1,112.5,3", "35.1;112.5"])
async def test_list__bad_near_is_422(client: httpx.AsyncClient, near: str) -> None:
    response = await client.get("/api/v1/tourism/scenic-areas", params={"near": near})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "tourism.bad_near"


async def test_detail__unknown_or_malformed_id_is_404(client: httpx.AsyncClient) -> None:
    for area_id in ["nope", "01890000-0000-7000-8000-000000000000"]:
        response = await client.get(f"/api/v1/tourism/scenic-areas/{area_id}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "tourism.area_not_found"
        assert (await client.get(f"/api/v1/tourism/scenic-areas/{area_id}/crowd")).status_code == 404


@pytest.mark.parametrize(
    ("occupancy", "level"),
    [
        (0, "green"),
        (799, "green"),
        (800, "yellow"),
        (899, "yellow"),
        (900, "orange"),
        (999, "orange"),
        (1000, "red"),
        (1500, "red"),
    ],
)
async def test_crowd__levels_at_80_90_100_percent(
    client: httpx.AsyncClient, runtime, occupancy: int, level: str
) -> None:
    area = await _area("crowd", instant=1000)
    measured = clock.now()
    await service.record_occupancy(
        readings=[GateOccupancy("crowd", occupancy, occupancy, 0, measured)],
        redis=runtime.redis,
        keys=runtime.keys,
    )
    crowd = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/crowd")).json()
    assert crowd["level"] == level
    assert crowd["occupancy"] == occupancy
    assert crowd["capacity"] == 1000
    assert crowd["stale"] is False
    listed = (await client.get("/api/v1/tourism/scenic-areas")).json()["items"]
    assert listed[0]["crowd_level"] == level


async def test_crowd__no_reading_yet_shows_no_figure(client: httpx.AsyncClient) -> None:
    area = await _area("fresh")
    crowd = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/crowd")).json()
    assert crowd == {
        "level": None,
        "occupancy": None,
        "capacity": 1000,
        "updated_at": None,
        "stale": True,
        "age_s": None,
    }


async def test_etag__304_on_if_none_match_and_new_tag_after_change(
    client: httpx.AsyncClient, runtime
) -> None:
    area = await _area("etag")
    for path in [
        "/api/v1/tourism/scenic-areas",
        f"/api/v1/tourism/scenic-areas/{area.id}",
        f"/api/v1/tourism/scenic-areas/{area.id}/crowd",
    ]:
        first = await client.get(path)
        etag = first.headers["ETag"]
        again = await client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["ETag"] == etag
        other = await client.get(path, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200
    old = (await client.get("/api/v1/tourism/scenic-areas")).headers["ETag"]
    await service.upsert_scenic_area(
        code="etag",
        texts={"zh_CN": {"name": "改名后的景区"}},
        lat=35.0,
        lng=112.5,
        opening_hours=[],
        ticket_types=[],
        tags=[],
        photos=[],
        daily_capacity=1000,
        instant_capacity=1000,
        redis=runtime.redis,
        keys=runtime.keys,
    )
    changed = await client.get("/api/v1/tourism/scenic-areas", headers={"If-None-Match": old})
    assert changed.status_code == 200
    assert changed.json()["items"][0]["name"] == "改名后的景区"
    detail = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}")).json()
    assert detail["name"] == "改名后的景区"


class _QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.queries: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.queries.append(record.getMessage())


async def test_list__at_most_two_queries_whatever_its_length(client: httpx.AsyncClient, runtime) -> None:
    await _seed(runtime)
    for n in range(30):
        await _area(f"extra-{n}")
    now = clock.now()
    readings = [GateOccupancy(a.code, 10, 10, 0, now) for a in await ScenicArea.all()]
    await service.record_occupancy(readings=readings, redis=runtime.redis, keys=runtime.keys)
    await runtime.redis.delete(*[runtime.keys("tourism", "list", loc) for loc in ("zh_CN", "en")])
    counter = _QueryCounter()
    db_logger = logging.getLogger("tortoise.db_client")
    old_level = db_logger.level
    db_logger.addHandler(counter)
    db_logger.setLevel(logging.DEBUG)
    try:
        response = await client.get("/api/v1/tourism/scenic-areas", params={"near": JIYUAN_CITY})
        cold = list(counter.queries)
        counter.queries.clear()
        await client.get("/api/v1/tourism/scenic-areas", params={"near": JIYUAN_CITY})
        warm = list(counter.queries)
    finally:
        db_logger.removeHandler(counter)
        db_logger.setLevel(old_level)
    assert response.status_code == 200
    assert len(response.json()["items"]) == len(AREAS) + 30
    assert all(i["crowd_level"] for i in response.json()["items"])
    assert 1 <= len(cold) <= 2, cold
    assert warm == []  # served from Redis


async def test_crowd_job__new_reading_replaces_cached_documents(client: httpx.AsyncClient, runtime) -> None:
    from services.tourism import jobs

    area = await _area("job", instant=1000)
    await client.put("/sandbox/ticketing/gates/job", json={"occupancy": 100})
    assert await jobs.poll_crowd(runtime) == 1
    first = await client.get(f"/api/v1/tourism/scenic-areas/{area.id}")
    assert first.json()["crowd"]["occupancy"] == 100
    assert (await client.get("/api/v1/tourism/scenic-areas")).json()["items"][0]["crowd_level"] == "green"
    await client.put("/sandbox/ticketing/gates/job", json={"occupancy": 1000})
    await jobs.poll_crowd(runtime)
    again = await client.get(
        f"/api/v1/tourism/scenic-areas/{area.id}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 200
    assert again.json()["crowd"]["level"] == "red"
    assert (await client.get("/api/v1/tourism/scenic-areas")).json()["items"][0]["crowd_level"] == "red"
    assert (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/crowd")).json()["occupancy"] == 1000


async def test_openapi__documents_the_tourism_and_search_routes(openapi_document: dict) -> None:
    paths = openapi_document["paths"]
    for path in [
        "/api/v1/tourism/scenic-areas",
        "/api/v1/tourism/scenic-areas/{area_id}",
        "/api/v1/tourism/scenic-areas/{area_id}/crowd",
        "/api/v1/tourism/scenic-areas/{area_id}/slots",
        "/api/v1/tourism/bookings",
        "/api/v1/tourism/tickets",
        "/api/v1/search",
    ]:
        assert path in paths, path
    listing = paths["/api/v1/tourism/scenic-areas"]
    assert "near" in {p["name"] for p in listing["get"].get("parameters", [])}


async def test_detail__process_copy_answers_by_id_and_language_before_parsing(app, runtime) -> None:
    """The per-process tier (on outside tests) keys a detail by the id as asked and the language."""
    from services.tourism.cache import LocalTier
    from services.tourism.errors import ScenicAreaNotFound

    area = await _area("tier-a", name_en="Tier Area")
    tier = LocalTier(ttl_s=60)

    async def detail(area_id: str, locale: str) -> dict:
        document = await service.get_scenic_area(
            area_id=area_id, locale=locale, redis=runtime.redis, keys=runtime.keys, local=tier
        )
        return document.data()

    assert (await detail(str(area.id), "en"))["name"] == "Tier Area"
    await ScenicArea.filter(id=area.id).delete()
    await service.invalidate(redis=runtime.redis, keys=runtime.keys, area_ids=[area.id])
    # Gone from the database and from Redis, still served from this process's copy (for its TTL) ...
    assert (await detail(str(area.id), "en"))["name"] == "Tier Area"
    # ... but only for that language: zh_CN was never rendered, and the row is gone.
    with pytest.raises(ScenicAreaNotFound):
        await detail(str(area.id), "zh_CN")
    with pytest.raises(ScenicAreaNotFound):
        await detail("not-an-id", "en")
