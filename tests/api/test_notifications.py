"""The inbox and subscribe-message consents through HTTP, and the subscribe send through the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest
from tortoise.transactions import in_transaction

from citizen_api.worker import deliver_outbox_once
from services.accounts.enums import VerificationLevel
from services.common import clock
from services.common.models import OutboxMessage, OutboxStatus
from services.notifications import privacy as notifications_privacy
from services.notifications import service as notifications
from services.notifications.models import InboxMessage, SubscriptionConsent
from tests.factories import auth_headers, make_user

KIND = "notify.system.announcement"
TEMPLATE = "TPL_ANNOUNCE_01"


@pytest.fixture
def templates(runtime) -> Iterator[None]:
    # Which kinds are subscribe messages is configuration the delivery job reads from its deps.
    saved = runtime.settings.wechat_templates
    runtime.settings.wechat_templates = {KIND: TEMPLATE}
    yield
    runtime.settings.wechat_templates = saved


@pytest.fixture
async def wechat(settings) -> httpx.AsyncClient:
    """Control routes of the WeChat sandbox mounted on the API (the one the adapter calls)."""
    async with httpx.AsyncClient(base_url=settings.sandbox_url("wechat")) as control:
        await control.post("/__control/reset")
        yield control
        await control.post("/__control/reset")


async def test_inbox__rendered_in_the_readers_language_at_read_time(client, settings) -> None:
    english = await make_user(locale="en")
    chinese = await make_user(locale="zh_CN")
    for user in (english, chinese):
        await notifications.notify(user_id=user.id, kind=KIND, params={"text": "Hall closed 1 Oct"})

    en = await client.get("/api/v1/me/inbox", headers=auth_headers(english, settings))
    zh = await client.get("/api/v1/me/inbox", headers=auth_headers(chinese, settings))
    assert en.status_code == zh.status_code == 200
    assert en.json()["items"][0]["text"] == "Notice: Hall closed 1 Oct"
    assert zh.json()["items"][0]["text"] == "系统通知：Hall closed 1 Oct"

    # Stored as an id, not text: a user who switches language reads the old message in the new one.
    english.locale = "zh_CN"
    await english.save()
    again = await client.get("/api/v1/me/inbox", headers=auth_headers(english, settings))
    assert again.json()["items"][0]["text"] == "系统通知：Hall closed 1 Oct"


async def test_inbox__accept_language_when_the_user_has_no_preference(client, settings) -> None:
    user = await make_user(locale=None)
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "x"})
    response = await client.get(
        "/api/v1/me/inbox", headers=auth_headers(user, settings, **{"Accept-Language": "en-US,en;q=0.9"})
    )
    assert response.json()["items"][0]["text"] == "Notice: x"


async def test_inbox__newest_first_paginated_with_unread_count(client, settings) -> None:
    user = await make_user()
    for n in range(5):
        await notifications.notify(user_id=user.id, kind=KIND, params={"text": f"m{n}"}, case_ref=f"C{n}")
    headers = auth_headers(user, settings, **{"Accept-Language": "en"})
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/api/v1/me/inbox", params=params, headers=headers)).json()
        pages += 1
        assert body["unread"] == 5
        seen += [item["params"]["text"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == ["m4", "m3", "m2", "m1", "m0"]


async def test_inbox__mark_read_is_idempotent_and_lowers_unread(client, settings) -> None:
    user = await make_user()
    first = await notifications.notify(user_id=user.id, kind=KIND, params={"text": "a"}, link="/pages/a")
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "b"})
    headers = auth_headers(user, settings)
    read = await client.post(f"/api/v1/me/inbox/{first.id}/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["read"] is True and read.json()["link"] == "/pages/a"
    read_at = read.json()["read_at"]
    again = await client.post(f"/api/v1/me/inbox/{first.id}/read", headers=headers)
    assert again.status_code == 200 and again.json()["read_at"] == read_at
    inbox = (await client.get("/api/v1/me/inbox", headers=headers)).json()
    assert inbox["unread"] == 1
    assert [i["read"] for i in inbox["items"]] == [False, True]


async def test_inbox__another_users_message_is_not_found(client, settings) -> None:
    owner = await make_user()
    intruder = await make_user()
    message = await notifications.notify(user_id=owner.id, kind=KIND, params={"text": "private"})
    stolen = await client.post(
        f"/api/v1/me/inbox/{message.id}/read", headers=auth_headers(intruder, settings)
    )
    assert stolen.status_code == 404
    assert stolen.json()["error"]["code"] == "notifications.message_not_found"
    garbage = await client.post("/api/v1/me/inbox/not-an-id/read", headers=auth_headers(intruder, settings))
    assert garbage.status_code == 404
    listing = await client.get("/api/v1/me/inbox", headers=auth_headers(intruder, settings))
    assert listing.json() == {"items": [], "next_cursor": None, "unread": 0}
    owners = await client.get("/api/v1/me/inbox", headers=auth_headers(owner, settings))
    assert owners.json()["items"][0]["read"] is False


async def test_inbox__needs_sign_in_and_rejects_a_forged_cursor(client, settings) -> None:
    assert (await client.get("/api/v1/me/inbox")).status_code == 401
    user = await make_user()
    bad = await client.get(
        "/api/v1/me/inbox", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=auth_headers(user, settings)
    )
    assert bad.status_code == 422


async def test_subscriptions__each_accepted_template_is_one_send(client, settings) -> None:
    user = await make_user(level=VerificationLevel.WECHAT)
    headers = auth_headers(user, settings)
    first = await client.post(
        "/api/v1/me/subscriptions", json={"template_ids": ["TPL_A", "TPL_B", "TPL_A"]}, headers=headers
    )
    assert first.status_code == 200
    assert first.json()["items"] == [
        {"template_id": "TPL_A", "remaining": 1},
        {"template_id": "TPL_B", "remaining": 1},
    ]
    second = await client.post("/api/v1/me/subscriptions", json={"template_ids": ["TPL_A"]}, headers=headers)
    assert second.json()["items"] == [{"template_id": "TPL_A", "remaining": 2}]
    listed = await client.get("/api/v1/me/subscriptions", headers=headers)
    assert listed.json()["items"] == [
        {"template_id": "TPL_A", "remaining": 2},
        {"template_id": "TPL_B", "remaining": 1},
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"template_ids": []},
        {"template_ids": ["ok"], "extra": 1},
        {"template_ids": ["bad id!"]},
        {"template_ids": "TPL"},
    ],
)
async def test_subscriptions__invalid_bodies_are_422(client, settings, body) -> None:
    user = await make_user()
    response = await client.post("/api/v1/me/subscriptions", json=body, headers=auth_headers(user, settings))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "request.invalid"


async def test_subscriptions__needs_sign_in(client) -> None:
    response = await client.post("/api/v1/me/subscriptions", json={"template_ids": ["TPL_A"]})
    assert response.status_code == 401


async def test_notify__without_consent_only_the_inbox(client, settings, templates) -> None:
    user = await make_user()
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "x"})
    assert await OutboxMessage.filter(topic=notifications.SUBSCRIBE_TOPIC).count() == 0
    inbox = (await client.get("/api/v1/me/inbox", headers=auth_headers(user, settings))).json()
    assert inbox["items"][0]["push_status"] == "none"


async def test_notify__queued_only_on_the_users_own_consent_left(client, settings, templates) -> None:
    # The consent check is folded into the inbox INSERT (raw SQL, issue 12): a used-up consent, or
    # someone else's, does not queue; the row reads back through the ORM as the ORM would have stored it.
    spent, other, consenting = await make_user(), await make_user(), await make_user()
    await notifications.record_consents(user_id=spent.id, template_ids=[TEMPLATE])
    await SubscriptionConsent.filter(user_id=spent.id).update(remaining=0)
    await notifications.record_consents(user_id=other.id, template_ids=[TEMPLATE])
    params = {"text": "王屋山 09:00", "when": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC), "n": 3}
    before = clock.now()
    none = await notifications.notify(user_id=spent.id, kind=KIND, params=params, link="/pages/x")
    queued = await notifications.notify(user_id=consenting.id, kind=KIND, params={"text": "y"})
    assert none.push_status == "none"
    assert queued.push_status == "none" and await OutboxMessage.all().count() == 0
    await notifications.record_consents(user_id=consenting.id, template_ids=[TEMPLATE])
    queued = await notifications.notify(user_id=consenting.id, kind=KIND, params={"text": "z"})
    assert queued.push_status == "queued"
    outbox_rows = await OutboxMessage.filter(topic=notifications.SUBSCRIBE_TOPIC)
    assert [row.payload for row in outbox_rows] == [{"message_id": str(queued.id)}]
    stored = await InboxMessage.get(id=none.id)
    assert stored.params == {"text": "王屋山 09:00", "when": "2026-01-02T03:04:00Z", "n": 3}
    assert (stored.user_id, stored.kind, stored.link, stored.push_status) == (
        spent.id,
        KIND,
        "/pages/x",
        "none",
    )
    assert before <= stored.created_at <= clock.now()
    assert await InboxMessage.filter(user_id=spent.id, created_at__gte=before).count() == 1
    inbox = (await client.get("/api/v1/me/inbox", headers=auth_headers(spent, settings))).json()
    assert inbox["items"][0]["push_status"] == "none" and inbox["unread"] == 1


async def test_notify__rolled_back_with_the_callers_transaction(settings, templates, app) -> None:
    user = await make_user()
    await notifications.record_consents(user_id=user.id, template_ids=[TEMPLATE])
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await notifications.notify(user_id=user.id, kind=KIND, params={"text": "x"}, using_db=conn)
            raise RuntimeError("the booking failed")
    page = await notifications.list_inbox(user_id=user.id, locale="en", limit=10)
    assert page.items == []
    assert await OutboxMessage.all().count() == 0


async def test_subscribe_send__uses_up_a_consent_and_records_43101(
    client, settings, runtime, templates, wechat
) -> None:
    user = await make_user(locale="en")
    headers = auth_headers(user, settings)
    # The mini-program asked twice (our records say 2) but WeChat only holds one consent.
    await client.post("/api/v1/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=headers)
    await client.post("/api/v1/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=headers)
    await wechat.post(
        "/__control/consents", json={"openid": user.openid, "template_id": TEMPLATE, "count": 1}
    )

    await notifications.notify(
        user_id=user.id,
        kind=KIND,
        params={"text": "Your booking is confirmed"},
        link="/pages/booking?id=1",
        case_ref="GOV-2026-0001",
    )
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "Second"})
    assert await deliver_outbox_once(runtime) == 2

    inbox = (await client.get("/api/v1/me/inbox", headers=headers)).json()
    by_text = {item["params"]["text"]: item["push_status"] for item in inbox["items"]}
    statuses = sorted(by_text.values())
    assert statuses == ["consent_missing", "sent"]
    # 43101 is recorded, not a failure: both outbox messages are delivered, none is dead.
    rows = await OutboxMessage.filter(topic=notifications.SUBSCRIBE_TOPIC).values_list("status", flat=True)
    assert sorted(rows) == [OutboxStatus.DELIVERED, OutboxStatus.DELIVERED]
    # WeChat said no consent is left, so ours is zero too (not the 1 our own count would suggest).
    consent = await SubscriptionConsent.get(user_id=user.id, template_id=TEMPLATE)
    assert consent.remaining == 0

    state = (await wechat.get("/__control/state")).json()
    assert len(state["sent"]) == 1
    sent = state["sent"][0]
    assert sent["touser"] == user.openid and sent["template_id"] == TEMPLATE
    assert sent["lang"] == "en_US" and sent["miniprogram_state"] == settings.wechat_miniprogram_state
    assert sent["data"]["thing1"]["value"].startswith("Notice: ")
    assert len(sent["data"]["thing1"]["value"]) <= 20
    assert "time2" in sent["data"]


async def test_subscribe_send__our_count_used_up_means_no_call(
    client, settings, runtime, templates, wechat
) -> None:
    user = await make_user()
    headers = auth_headers(user, settings)
    await client.post("/api/v1/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=headers)
    await wechat.post(
        "/__control/consents", json={"openid": user.openid, "template_id": TEMPLATE, "count": 5}
    )
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "one"})
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "two"})
    await deliver_outbox_once(runtime)
    state = (await wechat.get("/__control/state")).json()
    assert len(state["sent"]) == 1
    assert state["counters"].get("subscribe_send") == 1
    listed = (await client.get("/api/v1/me/subscriptions", headers=headers)).json()
    assert listed["items"] == [{"template_id": TEMPLATE, "remaining": 0}]
    # Consent used up: the next notification stays in the inbox only.
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "three"})
    inbox = (await client.get("/api/v1/me/inbox", headers=headers)).json()
    assert inbox["items"][0]["push_status"] == "none"


async def test_subscribe_send__wechat_down_is_retried_later(
    client, settings, runtime, templates, wechat
) -> None:
    user = await make_user()
    await notifications.record_consents(user_id=user.id, template_ids=[TEMPLATE])
    await wechat.post("/__control/consents", json={"openid": user.openid, "template_id": TEMPLATE})
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "later"})
    await wechat.post("/__faults", json={"down": True})
    try:
        await deliver_outbox_once(runtime)
    finally:
        await wechat.delete("/__faults")
    row = await OutboxMessage.get(topic=notifications.SUBSCRIBE_TOPIC)
    assert row.status == OutboxStatus.PENDING
    await OutboxMessage.filter(id=row.id).update(available_at=row.created_at)
    await deliver_outbox_once(runtime)
    inbox = (await client.get("/api/v1/me/inbox", headers=auth_headers(user, settings))).json()
    assert inbox["items"][0]["push_status"] == "sent"


async def test_export__the_users_inbox_and_consents_only(app) -> None:
    user = await make_user()
    other = await make_user()
    await notifications.notify(user_id=user.id, kind=KIND, params={"text": "mine"}, case_ref="C1")
    await notifications.notify(user_id=other.id, kind=KIND, params={"text": "theirs"})
    await notifications.record_consents(user_id=user.id, template_ids=["TPL_A"])
    exported = await notifications_privacy.export_user_data(user_id=user.id)
    assert [m["params"]["text"] for m in exported["inbox"]] == ["mine"]
    assert exported["inbox"][0]["case_ref"] == "C1"
    assert exported["subscriptions"] == [{"template_id": "TPL_A", "remaining": 1}]
