"""Revocation survives Redis losing its data: the session row is the truth, Redis only a cache."""

from __future__ import annotations

import httpx

from services.common.ids import new_id
from tests.api.accounts_helpers import bearer, sign_in


async def _flush(runtime) -> None:
    """What a Redis restart without persistence does to this run's keys."""
    keys = [key async for key in runtime.redis.scan_iter(match=runtime.keys.prefix + "*", count=500)]
    if keys:
        await runtime.redis.delete(*keys)


async def test_revocation__logged_out_token_stays_refused_after_redis_flush(
    client: httpx.AsyncClient, runtime
) -> None:
    body = await sign_in(client)
    assert (await client.get("/api/v1/me", headers=bearer(body))).status_code == 200
    assert (await client.post("/api/v1/auth/logout", json={}, headers=bearer(body))).status_code == 204
    await _flush(runtime)
    me = await client.get("/api/v1/me", headers=bearer(body))
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "auth.token_revoked"
    # Still refused once the answer is cached again.
    assert (await client.get("/api/v1/me", headers=bearer(body))).status_code == 401


async def test_revocation__session_revoked_for_refresh_reuse_stays_refused_after_flush(
    client: httpx.AsyncClient, runtime
) -> None:
    body = await sign_in(client)
    stolen = body["refresh_token"]
    legit = (await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})).json()
    # The legitimate holder's token was used (and its session cached as live) before the reuse.
    assert (await client.get("/api/v1/me", headers=bearer(legit))).status_code == 200
    assert (await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})).status_code == 401
    await _flush(runtime)
    for session in (body, legit):
        me = await client.get("/api/v1/me", headers=bearer(session))
        assert me.status_code == 401
        assert me.json()["error"]["code"] == "auth.token_revoked"


async def test_revocation__live_session_still_works_after_flush(client: httpx.AsyncClient, runtime) -> None:
    body = await sign_in(client)
    await _flush(runtime)
    assert (await client.get("/api/v1/me", headers=bearer(body))).status_code == 200


async def test_revocation__revoked_proxy_grant_stays_refused_after_flush(
    client: httpx.AsyncClient, runtime
) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    invited = await client.post(
        "/api/v1/me/family", json={"scopes": ["bookings"], "valid_days": 30}, headers=bearer(child)
    )
    code = invited.json()["invitation_code"]
    link = (await client.post(f"/api/v1/family-invitations/{code}/accept", headers=bearer(parent))).json()
    acting = bearer(child, **{"X-Acting-For": parent["user"]["id"]})
    # Allowed to act (the booking simply does not exist), then the parent revokes the grant.
    assert (await client.get(f"/api/v1/bookings/{new_id()}", headers=acting)).status_code == 404
    assert (await client.delete(f"/api/v1/me/family/{link['id']}", headers=bearer(parent))).status_code == 200
    await _flush(runtime)
    refused = await client.get(f"/api/v1/bookings/{new_id()}", headers=acting)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "proxy.not_allowed"
