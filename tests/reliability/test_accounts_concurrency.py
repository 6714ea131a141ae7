"""Races a mini-program and attackers can create: double refreshes, invitation floods, shared codes."""

from __future__ import annotations

import asyncio

import httpx

from services.accounts.enums import FamilyGrantStatus
from services.accounts.models import FamilyGrant, RefreshToken
from services.common.audit import verify_chain
from tests.api.accounts_helpers import bearer, sign_in


async def test_refresh__concurrent_use_of_one_token_rotates_it_once(client: httpx.AsyncClient, db) -> None:
    body = await sign_in(client)
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
            for _ in range(6)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) <= 1 and set(statuses) <= {200, 401}
    # Never two children of one token: the family holds the original and at most one rotation.
    tokens = await RefreshToken.filter(user_id=body["user"]["id"]).count()
    assert tokens <= 2
    # Any second presentation counts as reuse, so the session ends whatever the interleaving.
    assert await RefreshToken.filter(user_id=body["user"]["id"], revoked_at=None).count() == 0


async def test_family_invite__flood_respects_the_limit(client: httpx.AsyncClient, db) -> None:
    child = await sign_in(client)
    responses = await asyncio.gather(
        *(
            client.post("/api/v1/me/family", json={"scopes": ["bookings"]}, headers=bearer(child))
            for _ in range(9)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] * 5 + [409] * 4
    assert await FamilyGrant.filter(proxy_id=child["user"]["id"]).count() == 5


async def test_family_accept__one_code_links_one_person(client: httpx.AsyncClient, db) -> None:
    child = await sign_in(client)
    takers = [await sign_in(client) for _ in range(4)]
    code = (await client.post("/api/v1/me/family", json={"scopes": ["care"]}, headers=bearer(child))).json()[
        "invitation_code"
    ]
    responses = await asyncio.gather(
        *(client.post(f"/api/v1/family-invitations/{code}/accept", headers=bearer(t)) for t in takers)
    )
    assert sorted(r.status_code for r in responses) == [200, 404, 404, 404]
    grant = await FamilyGrant.get(proxy_id=child["user"]["id"])
    assert grant.status == FamilyGrantStatus.ACTIVE
    winner = next(t for t, r in zip(takers, responses, strict=True) if r.status_code == 200)
    assert str(grant.subject_id) == winner["user"]["id"]
    assert (await verify_chain()).ok
