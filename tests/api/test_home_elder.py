"""GET /api/v1/home: the standard home, the elder-mode home (适老化) and the next action first."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import httpx
import pytest

from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.bookings import service as bookings
from services.bookings.policy import BookingPolicies
from services.common import clock
from tests.factories import auth_headers, make_user

pytestmark = pytest.mark.usefixtures("app")

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
STANDARD_KEYS = ["gov", "tourism", "community", "care", "education"]
ELDER_KEYS = ["social_security", "hospital", "meals", "emergency", "my_cases", "notices"]
TEXT_FIELDS = ("label", "description", "status_text", "hint")


def _keys(body: dict) -> list[str]:
    return [item["key"] for item in body["items"]]


def _assert_texts(body: dict) -> None:
    for item in body["items"]:
        for name in TEXT_FIELDS:
            assert item[name].strip(), (item["key"], name)
        assert item["action"].startswith("/api/v1/")


def _freeze_morning(monkeypatch: pytest.MonkeyPatch) -> dt.datetime:
    """Today 09:00 in Jiyuan, so a booking "later today" is always on the same local date.

    Call it after issuing access tokens (they are checked against the real time).
    """
    local = clock.to_local(clock.now()).replace(hour=9, minute=0, second=0, microsecond=0)
    fixed = local.astimezone(dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: fixed)
    return fixed


async def _booking_today(user, runtime, *, start: dt.datetime) -> uuid.UUID:
    resource = await bookings.ensure_resource(
        owner_domain="gov",
        owner_ref=f"window-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "市民之家 1号窗口", "en": "Citizen Hall window 1"},
        staff_role=Role.DEPT_OPERATOR,
        staff_scope="hall",
    )
    slot = await bookings.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(minutes=30), capacity=2
    )
    actor = Principal(user_id=user.id, level=VerificationLevel.REAL_NAME)
    booking = await bookings.book(
        actor=actor, slot_id=slot.id, cipher=runtime.cipher, policies=BookingPolicies()
    )
    return booking.id


async def test_home__anonymous_standard_lists_the_five_domains(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/home")
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "standard"
    assert _keys(body) == STANDARD_KEYS
    assert body["next_action"] is None
    _assert_texts(body)


async def test_home__anonymous_elder_mode_is_the_reduced_plain_set(client: httpx.AsyncClient) -> None:
    standard = (await client.get("/api/v1/home")).json()
    response = await client.get("/api/v1/home", params={"mode": "elder"})
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "elder"
    assert _keys(body) == ELDER_KEYS
    _assert_texts(body)
    by_key = {i["key"]: i for i in body["items"]}
    assert by_key["emergency"]["action"] == "/api/v1/care/eldercare/emergency"
    assert by_key["emergency"]["label"] == "紧急呼叫"
    # Plain and short: every elder label is at most 6 characters in Chinese.
    assert all(len(i["label"]) <= 6 for i in body["items"])
    assert {i["label"] for i in body["items"]}.isdisjoint({i["label"] for i in standard["items"]})


async def test_home__unknown_mode_is_a_clear_422(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/home", params={"mode": "huge", "lang": "en"})
    assert response.status_code == 422
    assert not CJK.search(response.text)


async def test_home__signed_in_elder_flag_gives_the_elder_set(client: httpx.AsyncClient, settings) -> None:
    user = await make_user()
    headers = auth_headers(user, settings)
    assert _keys((await client.get("/api/v1/home", headers=headers)).json()) == STANDARD_KEYS
    patched = await client.patch("/api/v1/me", json={"elder_mode": True}, headers=headers)
    assert patched.status_code == 200, patched.text
    body = (await client.get("/api/v1/home", headers=headers)).json()
    assert body["mode"] == "elder"
    assert _keys(body) == ELDER_KEYS
    # An explicit ?mode= still wins over the stored flag.
    explicit = (await client.get("/api/v1/home", params={"mode": "standard"}, headers=headers)).json()
    assert _keys(explicit) == STANDARD_KEYS


async def test_home__booking_today_is_the_next_action_first(
    client: httpx.AsyncClient, settings, runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user()
    other = await make_user()
    headers, other_headers = auth_headers(user, settings), auth_headers(other, settings)
    await client.patch("/api/v1/me", json={"elder_mode": True}, headers=headers)
    morning = _freeze_morning(monkeypatch)
    booking_id = await _booking_today(user, runtime, start=morning + dt.timedelta(hours=5))
    # A booking tomorrow is not today's next action.
    await _booking_today(other, runtime, start=morning + dt.timedelta(days=1))
    body = (await client.get("/api/v1/home", headers=headers)).json()
    first = body["items"][0]
    assert first["key"] == "booking_today"
    assert first["priority"] == 0
    assert first["action"] == f"/api/v1/bookings/{booking_id}"
    assert "14:00" in first["description"] and "市民之家" in first["description"]
    assert first["status_text"] == "今天"
    assert body["next_action"] == first
    assert _keys(body)[1:] == ELDER_KEYS
    others = (await client.get("/api/v1/home", headers=other_headers)).json()
    assert others["next_action"] is None


async def test_home__english_has_no_chinese_and_every_item_a_text_status(
    client: httpx.AsyncClient, settings, runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await make_user(locale="en")
    headers = auth_headers(user, settings)
    morning = _freeze_morning(monkeypatch)
    await _booking_today(user, runtime, start=morning + dt.timedelta(hours=2))
    for mode in ("standard", "elder"):
        response = await client.get("/api/v1/home", params={"mode": mode}, headers=headers)
        body = response.json()
        assert body["locale"] == "en"
        assert body["items"][0]["key"] == "booking_today"
        assert "Citizen Hall window 1" in body["items"][0]["description"]
        _assert_texts(body)
        for item in body["items"]:
            for name in TEXT_FIELDS:
                assert not CJK.search(item[name]), (mode, item["key"], name, item[name])
    anonymous = (await client.get("/api/v1/home", params={"mode": "elder", "lang": "en"})).json()
    assert all(not CJK.search(i[f]) for i in anonymous["items"] for f in TEXT_FIELDS)


async def test_items__plain_summary_for_elder_mode_with_fallback(client: httpx.AsyncClient, runtime) -> None:
    from services.gov.seed import PLAIN_SUMMARIES
    from tests.api.test_gov_support import seed

    await seed(runtime)
    assert len(PLAIN_SUMMARIES) >= 10
    assert all(len(zh) <= 40 for zh, _ in PLAIN_SUMMARIES.values())
    zh = (await client.get("/api/v1/gov/items/elderly-allowance")).json()
    assert zh["summary_plain"] == PLAIN_SUMMARIES["elderly-allowance"][0]
    assert zh["summary_plain"] != zh["summary"]
    en = (await client.get("/api/v1/gov/items/elderly-allowance", params={"lang": "en"})).json()
    assert en["summary_plain"] == PLAIN_SUMMARIES["elderly-allowance"][1]
    assert not CJK.search(en["summary_plain"])
    # An item without a plain text shows its normal summary.
    other = (await client.get("/api/v1/gov/items/hukou-move-in")).json()
    assert other["summary_plain"] == other["summary"]
    listed = (await client.get("/api/v1/gov/items", params={"limit": 100})).json()["items"]
    assert all(item["summary_plain"] for item in listed)
