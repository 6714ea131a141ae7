"""Proxies are kept informed: news about the represented person also reaches whoever acts for them."""

from __future__ import annotations

import httpx

from services.notifications import service as notifications
from tests.factories import auth_headers, make_user


async def _grant(client: httpx.AsyncClient, settings, proxy, subject, scopes: list[str]) -> str:
    invite = await client.post(
        "/api/v1/me/family",
        json={"scopes": scopes, "relation": "parent"},
        headers=auth_headers(proxy, settings),
    )
    assert invite.status_code == 201, invite.text
    accepted = await client.post(
        f"/api/v1/family-invitations/{invite.json()['invitation_code']}/accept",
        headers=auth_headers(subject, settings),
    )
    assert accepted.status_code == 200, accepted.text
    return invite.json()["id"]


async def _inbox(client: httpx.AsyncClient, settings, user, lang: str = "en") -> list[dict]:
    response = await client.get(
        "/api/v1/me/inbox", params={"lang": lang}, headers=auth_headers(user, settings)
    )
    assert response.status_code == 200
    return response.json()["items"]


async def test_notify__proxies_with_the_scope_get_a_copy_in_their_language(client, settings, runtime) -> None:
    mother, son, daughter, cousin = [await make_user() for _ in range(4)]
    await _grant(client, settings, son, mother, ["bookings"])
    await _grant(client, settings, daughter, mother, ["bookings", "cases"])
    await _grant(client, settings, cousin, mother, ["cases"])  # not for bookings

    await notifications.notify(
        user_id=mother.id,
        kind="notify.system.announcement",
        params={"text": "Booking confirmed"},
        proxy_scope="bookings",
    )
    assert [m["text"] for m in await _inbox(client, settings, mother)] == ["Notice: Booking confirmed"]
    for proxy in (son, daughter):
        texts = [m["text"] for m in await _inbox(client, settings, proxy)]
        assert texts == ["For your parent: Notice: Booking confirmed"], texts
        chinese = [m["text"] for m in await _inbox(client, settings, proxy, lang="zh-CN")]
        assert chinese[0].startswith("【代父母办理】")
    assert await _inbox(client, settings, cousin) == []


async def test_notify__a_revoked_grant_gets_nothing_more(client, settings, runtime) -> None:
    mother, son = await make_user(), await make_user()
    grant_id = await _grant(client, settings, son, mother, ["bookings"])
    revoked = await client.delete(f"/api/v1/me/family/{grant_id}", headers=auth_headers(mother, settings))
    assert revoked.status_code in (200, 204), revoked.text
    await notifications.notify(
        user_id=mother.id, kind="notify.system.announcement", params={"text": "x"}, proxy_scope="bookings"
    )
    assert await _inbox(client, settings, son) == []
