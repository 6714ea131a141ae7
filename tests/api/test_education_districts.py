"""Schools and the school-district lookup over HTTP: addresses as people write them, points,
boundary and ambiguous cases, and bad queries."""

from __future__ import annotations

import pytest

from tests.api.test_education_support import fresh_districts, seed_catalogue

LOOKUP = "/api/v1/education/districts/lookup"


@pytest.fixture
async def catalogue(app) -> None:
    await seed_catalogue()
    fresh_districts(app)


def codes(body: dict) -> list[str]:
    return sorted(m["school"]["code"] for m in body["matches"])


async def test_schools__listed_with_names_plans_and_demo_flags(client, catalogue) -> None:
    page = (await client.get("/api/v1/education/schools", params={"level": "primary", "limit": 100})).json()
    names = {s["name"] for s in page["items"]}
    assert "济源市实验小学" in names and all(s["level"] == "primary" for s in page["items"])
    real = next(s for s in page["items"] if s["code"] == "JY-P01")
    assert real["name_real"] is True and real["demo"] is True
    assert [d["code"] for d in real["districts"]] == ["D-JY-P01"]
    invented = next(s for s in page["items"] if s["code"] == "JY-P04")
    assert invented["name_real"] is False
    english = await client.get(f"/api/v1/education/schools/{real['id']}", params={"lang": "en"})
    assert english.json()["name"] == "Jiyuan Experimental Primary School"
    by_code = await client.get("/api/v1/education/schools/JY-J01")
    assert by_code.json()["name"] == "济源市第一中学"
    assert (await client.get("/api/v1/education/schools/nope")).status_code == 404


@pytest.mark.parametrize(
    ("address", "expected", "building"),
    [
        ("河南省济源市济源碧桂园12号楼3单元502", ["JY-P02"], 12),
        ("济源碧桂园１２栋２单元", ["JY-P02"], 12),  # full-width digits, 栋
        ("碧桂园 5#", ["JY-P01"], 5),  # no 市, '#' for 号楼
        ("沁园街道沁园春小区6幢", ["JY-P04"], None),
        ("克井镇枣庙村", ["JY-P07"], None),
    ],
)
async def test_lookup__address_forms_people_write_match_their_compound(
    client, catalogue, address, expected, building
) -> None:
    body = (await client.get(LOOKUP, params={"address": address, "level": "primary"})).json()
    assert codes(body) == expected, body
    assert body["ambiguous"] is False and body["hint"] is None
    match = body["matches"][0]
    assert match["basis"] in ("compound", "village")
    assert match["reason"]
    if building:
        assert f"{building}号楼" in match["reason"]


async def test_lookup__street_with_house_number_picks_its_segment(client, catalogue) -> None:
    low = (await client.get(LOOKUP, params={"address": "济源市天坛路58号", "level": "primary"})).json()
    high = (await client.get(LOOKUP, params={"address": "天坛路２５０号", "level": "primary"})).json()
    assert codes(low) == ["JY-P01"] and codes(high) == ["JY-P02"]
    assert low["matches"][0]["basis"] == "street"
    unnumbered = (await client.get(LOOKUP, params={"address": "天坛路", "level": "primary"})).json()
    assert unnumbered["ambiguous"] is True and unnumbered["hint_code"] == "education.lookup.need_house_number"


async def test_lookup__split_compound_without_building_is_ambiguous_with_a_hint(client, catalogue) -> None:
    body = (await client.get(LOOKUP, params={"address": "济源碧桂园", "level": "primary"})).json()
    assert codes(body) == ["JY-P01", "JY-P02"]
    assert body["ambiguous"] is True and body["hint_code"] == "education.lookup.need_building"
    assert "楼号" in body["hint"]
    outside = (await client.get(LOOKUP, params={"address": "碧桂园40号楼", "level": "primary"})).json()
    assert outside["matches"] == [] and outside["hint_code"] == "education.lookup.building_outside"


async def test_lookup__shared_district_returns_both_schools(client, catalogue) -> None:
    body = (await client.get(LOOKUP, params={"address": "学苑小区3号楼"})).json()
    # 多校划片: two primary schools, and the junior middle school of the area, which is not ambiguous.
    assert codes(body) == ["JY-J01", "JY-P01", "JY-P09"]
    assert body["ambiguous"] is True and body["hint_code"] == "education.lookup.ambiguous"


async def test_lookup__point_inside_a_district_uses_the_polygon(client, catalogue) -> None:
    body = (await client.get(LOOKUP, params={"lat": 35.080, "lng": 112.600, "level": "primary"})).json()
    assert codes(body) == ["JY-P05"]
    assert body["matches"][0]["basis"] == "polygon"
    assert body["boundary"] is False and body["ambiguous"] is False
    both = (await client.get(LOOKUP, params={"lat": 35.080, "lng": 112.600})).json()
    assert codes(both) == ["JY-J02", "JY-P05"]


async def test_lookup__point_on_a_shared_edge_is_reported_as_boundary(client, catalogue) -> None:
    # lng 112.587 is the edge between the 实验小学 and 愚公路小学 districts.
    on_edge = (await client.get(LOOKUP, params={"lat": 35.100, "lng": 112.587, "level": "primary"})).json()
    assert codes(on_edge) == ["JY-P01", "JY-P02"]
    assert on_edge["boundary"] is True and on_edge["ambiguous"] is True
    # ~9 m inside 实验小学's district: one school, but flagged as near the boundary with its neighbour.
    near = (await client.get(LOOKUP, params={"lat": 35.100, "lng": 112.5869, "level": "primary"})).json()
    assert codes(near) == ["JY-P01"]
    assert near["boundary"] is True and near["hint_code"] == "education.lookup.near_boundary"
    assert [m["school"]["code"] for m in near["nearby"]] == ["JY-P02"]
    assert near["nearby"][0]["distance_to_edge_m"] < 30


async def test_lookup__overlapping_shared_district_point_is_ambiguous(client, catalogue) -> None:
    body = (await client.get(LOOKUP, params={"lat": 35.0985, "lng": 112.569, "level": "primary"})).json()
    assert codes(body) == ["JY-P01", "JY-P09"] and body["ambiguous"] is True


async def test_lookup__nothing_found_says_why(client, catalogue) -> None:
    address = (await client.get(LOOKUP, params={"address": "火星路1号"})).json()
    assert address["matches"] == [] and address["hint_code"] == "education.lookup.no_match"
    point = (await client.get(LOOKUP, params={"lat": 35.30, "lng": 112.60})).json()
    assert point["matches"] == [] and point["hint_code"] == "education.lookup.no_match"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"address": "碧桂园", "lat": 35.1, "lng": 112.6},
        {"lat": 35.1},
        {"lat": "north", "lng": 112.6},
        {"lat": 112.6, "lng": 35.1},  # swapped
    ],
)
async def test_lookup__bad_queries_are_422_in_the_callers_language(client, catalogue, params) -> None:
    response = await client.get(LOOKUP, params=params, headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["message"]
