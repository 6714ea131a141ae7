"""The service guide and halls through HTTP: anonymous, per language with zh_CN fallback, paged."""

from __future__ import annotations

import datetime as dt

import pytest

from services.gov.models import Department, ServiceItem, ServiceItemText
from services.gov.seed import ITEMS
from tests.api.test_gov_support import seed


@pytest.fixture
async def seeded(runtime) -> int:
    return await seed(runtime)


async def test_items__demo_catalogue_lists_every_item_anonymously_in_pages(client, seeded) -> None:
    assert len(ITEMS) >= 30
    codes: list[str] = []
    cursor = None
    while True:
        params = {"limit": 7, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/v1/gov/items", params=params)
        assert response.status_code == 200
        page = response.json()
        codes += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert codes == sorted(code for code, *_ in ITEMS)
    assert len(set(codes)) == len(codes)


async def test_items__chinese_by_default_english_by_lang_or_accept_language(client, seeded) -> None:
    zh = (await client.get("/api/v1/gov/items/hukou-move-in")).json()
    en = (await client.get("/api/v1/gov/items/hukou-move-in", params={"lang": "en"})).json()
    accept = (
        await client.get("/api/v1/gov/items/hukou-move-in", headers={"Accept-Language": "en-US,en;q=0.9"})
    ).json()
    assert zh["name"] == "户口迁入（购房、投靠落户）" and zh["locale"] == "zh_CN"
    assert en["name"] == "Moving household registration into Jiyuan" and en["locale"] == "en"
    assert accept["name"] == en["name"]
    assert zh["category_label"] == "户籍" and en["category_label"] == "Household registration"
    assert {m["code"]: m["name"] for m in en["materials"]}["id_card"] == "Resident ID card"
    assert {m["code"]: m["trust"] for m in zh["materials"]}["id_card"] == "e_license"
    assert zh["promised_limit_days"] == 5 and zh["legal_limit_days"] == 20
    # The halls whose windows handle it, with the window's booking resource.
    hall = zh["halls"][0]
    assert hall["name"].startswith("济源市民之家")
    assert any("hukou-move-in" in w["items"] for w in hall["windows"])


async def test_items__missing_translation_falls_back_to_chinese(client, seeded) -> None:
    department = await Department.get(code="gongan")
    item = await ServiceItem.create(
        code="t-zh-only",
        department=department,
        category="household",
        theme="identity",
        materials=[{"code": "id_card", "trust": "e_license", "required": True, "copies": 1}],
        legal_limit_days=5,
        promised_limit_days=1,
    )
    await ServiceItemText.create(
        item=item, locale="zh_CN", name="仅中文事项", material_names={"id_card": "居民身份证"}
    )

    response = await client.get("/api/v1/gov/items/t-zh-only", params={"lang": "en"})
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "仅中文事项"
    assert body["locale"] == "zh_CN"  # says which language the texts are in
    assert body["materials"][0]["name"] == "居民身份证"
    assert body["category_label"] == "Household registration"  # labels are still in English
    assert response.headers["Content-Language"] == "en"


async def test_items__search_by_chinese_english_pinyin_and_filters(client, seeded) -> None:
    async def codes(**params) -> set[str]:
        response = await client.get("/api/v1/gov/items", params={"limit": 100, **params})
        assert response.status_code == 200
        return {item["code"] for item in response.json()["items"]}

    assert "hf-withdraw-rent" in await codes(q="公积金")
    assert "hf-withdraw-rent" in await codes(q="housing fund")
    assert "hukou-move-in" in await codes(q="hkqr")  # initials of 户口迁入
    assert await codes(category="housing_fund") == {
        "hf-withdraw-rent",
        "hf-withdraw-purchase",
        "hf-loan",
        "hf-account-open",
    }
    by_department = await codes(department="ziranziyuan")
    assert by_department and all(code.startswith("re-") for code in by_department)
    assert await codes(q="不存在的事项xyz") == set()


async def test_items__unknown_code_and_bad_filters_are_4xx(client, seeded) -> None:
    missing = await client.get("/api/v1/gov/items/no-such-item")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "gov.item.not_found"
    bad_category = await client.get("/api/v1/gov/items", params={"category": "nonsense"})
    assert bad_category.status_code == 422
    bad_cursor = await client.get("/api/v1/gov/items", params={"cursor": "!!!"})
    assert bad_cursor.status_code == 422


async def test_halls__citizen_centre_with_windows_in_the_hall_shape(client, seeded) -> None:
    listing = await client.get("/api/v1/gov/halls")
    assert listing.status_code == 200
    halls = listing.json()["items"]
    centre = next(h for h in halls if h["code"] == "jy-citizen-centre")
    assert {"id", "name", "address", "windows"} <= set(centre)
    assert len(centre["windows"]) >= 10
    window = centre["windows"][0]
    assert {"id", "name", "items", "resource_id"} <= set(window)

    detail = await client.get(f"/api/v1/gov/halls/{centre['id']}", params={"lang": "en"})
    assert detail.status_code == 200
    assert detail.json()["name"].startswith("Jiyuan Citizen Centre")
    assert (await client.get("/api/v1/gov/halls/not-a-uuid")).status_code == 404
    assert (await client.get("/api/v1/gov/halls/0190a0b0-0000-7000-8000-000000000000")).status_code == 404


async def test_seed__running_twice_changes_nothing(runtime, seeded) -> None:
    from services.common.seeding import SeedContext
    from services.gov.seed import seed_demo

    before = await ServiceItem.all().count(), await ServiceItemText.all().count()
    await seed_demo(SeedContext(cipher=runtime.cipher))
    assert (await ServiceItem.all().count(), await ServiceItemText.all().count()) == before


async def test_halls__a_window_is_booked_through_the_engine_on_working_days(client, settings, seeded) -> None:
    from services.common import clock
    from tests.factories import auth_headers, make_user

    hall = next(
        h for h in (await client.get("/api/v1/gov/halls")).json()["items"] if h["code"] == "jy-citizen-centre"
    )
    window = next(w for w in hall["windows"] if "hf-withdraw-rent" in w["items"])
    resource_id = window["resource_id"]
    assert resource_id
    resource = (await client.get(f"/api/v1/resources/{resource_id}")).json()
    assert resource["owner_domain"] == "gov"

    day = clock.local_date()
    found: list[dict] = []
    for _ in range(7):  # the advance-booking window: today and the next 7 days
        day = day + dt.timedelta(days=1)
        slots = (
            await client.get(f"/api/v1/resources/{resource_id}/slots", params={"date": day.isoformat()})
        ).json()
        if clock.is_working_day(day):
            # 09:00-12:00 and 13:30-17:30 in 30-minute slots: 6 + 8.
            assert len(slots["items"]) == 14, day
            starts = sorted(
                clock.to_local(dt.datetime.fromisoformat(s["start"])).strftime("%H:%M")
                for s in slots["items"]
            )
            assert starts[0] == "09:00" and starts[-1] == "17:00" and "12:00" not in starts
            found = found or slots["items"]
        else:
            assert slots["items"] == [], day  # weekends and public holidays are closed
    assert found

    user = await make_user()
    booked = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(found[0]["id"]), "purpose": {"item_code": "hf-withdraw-rent"}},
        headers=auth_headers(user, settings, **{"Idempotency-Key": "gov-hall-1"}),
    )
    assert booked.status_code == 201, booked.text
    assert booked.json()["status"] == "confirmed"


async def test_search__finds_service_items_by_chinese_pinyin_initials_and_english(client, seeded) -> None:
    async def ids(q: str, **extra) -> list[str]:
        response = await client.get("/api/v1/search", params={"q": q, "kinds": "service_item", **extra})
        assert response.status_code == 200
        return [item["id"] for item in response.json()["items"]]

    assert "hukou-move-in" in await ids("户口迁入")
    assert "hukou-move-in" in await ids("hkqr")
    assert "hukou-move-in" in await ids("hukouqianru")
    assert "hf-withdraw-rent" in await ids("housing fund", lang="en")
    hall = await client.get("/api/v1/search", params={"q": "市民之家", "kinds": "hall"})
    assert hall.json()["items"][0]["url"].startswith("/api/v1/gov/halls/")
