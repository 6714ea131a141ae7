"""Search as residents type: synonyms and category words (医保, 社保), several words, communities."""

from __future__ import annotations

import httpx

from citizen_api import composition
from services.common.seeding import SeedContext
from services.community.seed import seed_demo as seed_community
from services.gov.seed import seed_demo as seed_gov
from services.search.indexing import reindex


async def _titles(client: httpx.AsyncClient, q: str, kinds: str | None = None) -> list[str]:
    params = {"q": q, **({"kinds": kinds} if kinds else {})}
    response = await client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    return [hit["title"] for hit in response.json()["items"]]


async def test_search__colloquial_words_find_service_items(client: httpx.AsyncClient, runtime) -> None:
    await seed_gov(SeedContext(cipher=runtime.cipher))
    medical = await _titles(client, "医保", kinds="service_item")
    assert medical and any("医疗保险" in t or "医疗保障" in t for t in medical), medical
    social = await _titles(client, "社保", kinds="service_item")
    assert any("社会保险" in t or "社会保障" in t for t in social), social
    # A longer phrase with a colloquial word inside it still finds the card.
    assert any("社会保障卡" in t for t in await _titles(client, "社保卡", kinds="service_item"))


async def test_search__communities_by_name_pinyin_and_words(client: httpx.AsyncClient, runtime) -> None:
    await seed_community(SeedContext(cipher=runtime.cipher))
    written = await reindex(composition.search_sources())
    assert written["community"] > 5
    assert "宣化街社区" in await _titles(client, "宣化街社区")
    assert "北海社区" in await _titles(client, "北海社区", kinds="community")
    assert "宣化街社区" in await _titles(client, "xhjsq")
    # Two words in any order, one of them a category word ("居委会" stands for 社区).
    assert "宣化街社区" in await _titles(client, "宣化街 居委会")
    english = (await client.get("/api/v1/search", params={"q": "宣化街", "lang": "en"})).json()["items"]
    assert english and english[0]["title"].isascii()
