"""Platform search through HTTP: hanzi, full pinyin, initials, other domains' documents, languages."""

from __future__ import annotations

import httpx
import pytest

from services.common.seeding import SeedContext
from services.search import service as search
from services.tourism.seed import seed_demo


async def _hits(client: httpx.AsyncClient, q: str, **params: str) -> list[dict]:
    response = await client.get("/api/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.mark.parametrize(
    "q", ["王屋山", "王屋", "wangwushan", "WangWuShan", "wang wu shan", "wws", "Wangwu Mountain"]
)
async def test_search__finds_wangwushan_by_hanzi_pinyin_and_initials(
    client: httpx.AsyncClient, runtime, q: str
) -> None:
    await seed_demo(SeedContext(cipher=runtime.cipher))
    hits = await _hits(client, q)
    assert hits, q
    assert hits[0]["title"] == "王屋山"
    assert hits[0]["kind"] == "scenic_area"
    assert hits[0]["url"] == f"/api/v1/tourism/scenic-areas/{hits[0]['id']}"
    detail = await client.get(hits[0]["url"])
    assert detail.json()["code"] == "wangwushan"


async def test_search__initials_prefix_and_english_titles(client: httpx.AsyncClient, runtime) -> None:
    await seed_demo(SeedContext(cipher=runtime.cipher))
    hits = await _hits(client, "jdm")
    assert [h["title"] for h in hits][:1] == ["济渎庙"]
    english = await _hits(client, "xld", lang="en")
    assert english[0]["title"] == "Xiaolangdi Dam"
    assert await _hits(client, "zzzzqqq") == []


async def test_search__other_domains_index_and_remove_documents(client: httpx.AsyncClient, db: None) -> None:
    await search.index_document(
        kind="service_item",
        ref="HJ-001",
        title={"zh_CN": "户籍迁入", "en": "Household registration transfer"},
        summary={"zh_CN": "办理户口迁入"},
        keywords=["户口", "落户"],
        url="/api/v1/gov/items/HJ-001",
    )
    assert (await _hits(client, "hjqr"))[0]["id"] == "HJ-001"
    assert (await _hits(client, "luohu"))[0]["id"] == "HJ-001"  # keyword pinyin
    assert (await _hits(client, "户籍", kinds="scenic_area")) == []
    english = await _hits(client, "household", lang="en")
    assert english[0]["title"] == "Household registration transfer"
    assert english[0]["summary"] == "办理户口迁入"  # no English summary: zh_CN
    assert await search.remove_document(kind="service_item", ref="HJ-001")
    assert await _hits(client, "hjqr") == []


async def test_search__empty_or_bad_query_is_422(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/search")).status_code == 422
    assert (await client.get("/api/v1/search", params={"q": "   "})).status_code == 422
    bad = await client.get("/api/v1/search", params={"q": "a", "kinds": "Bad-Kind"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "search.unknown_kind"


async def test_search__like_wildcards_are_literal(client: httpx.AsyncClient, db: None) -> None:
    await search.index_document(
        kind="notice",
        ref="n1",
        title={"zh_CN": "停水通知"},
        summary=None,
        keywords=[],
        url="/api/v1/notices/n1",
    )
    assert await _hits(client, "%") == []
    assert await _hits(client, "_") == []
