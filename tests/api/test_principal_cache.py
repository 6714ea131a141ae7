"""The principal cached in each worker (services/accounts/principals.py): a change made through one
worker is seen by another at the user's very next request; nothing cached outlives its version."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from citizen_api.app import create_app
from services.accounts.enums import Role, VerificationLevel
from services.accounts.models import RoleGrant
from services.accounts.principals import PrincipalCache
from tests.api.accounts_helpers import bearer, sign_in
from tests.conftest import free_port, start_server, stop_server
from tests.factories import auth_headers, make_user

AUDIT = "/api/v1/admin/audit"


async def signed_in(runtime, user, settings) -> dict[str, str]:
    """A token for `user` and the principal version sign-in creates (the factories mint tokens only)."""
    await runtime.principals.ensure_version(user.id)
    return auth_headers(user, settings)


@pytest.fixture
async def other_worker(settings, app) -> AsyncIterator[tuple[httpx.AsyncClient, PrincipalCache]]:
    """A second server on the same database and Redis, as a second worker process would be."""
    port = free_port()
    second = create_app(settings.model_copy(update={"port": port}), name=f"second_{port}")
    server = await start_server(second, port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield http, second.ctx.runtime.principals
    await stop_server(server)


@pytest.mark.server_only  # two workers share a Redis (embedded: one worker, its own fakeredis)
async def test_principal__role_revoked_through_one_worker_is_refused_by_another_at_once(
    client: httpx.AsyncClient, other_worker, runtime, settings
) -> None:
    other, other_principals = other_worker
    admin = await make_user(roles={Role.ADMIN: [""]})
    colleague = await make_user(roles={Role.ADMIN: [""]})
    headers = await signed_in(runtime, colleague, settings)
    assert (await other.get(AUDIT, headers=headers)).status_code == 200
    assert colleague.id in other_principals._entries  # the second worker now holds it

    revoked = await client.delete(
        f"/api/v1/admin/users/{colleague.id}/roles/admin", headers=auth_headers(admin, settings)
    )
    assert revoked.status_code == 204
    refused = await other.get(AUDIT, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.role_required"

    granted = await client.post(
        f"/api/v1/admin/users/{colleague.id}/roles",
        json={"role": "admin"},
        headers=auth_headers(admin, settings),
    )
    assert granted.status_code == 201
    assert (await other.get(AUDIT, headers=headers)).status_code == 200


@pytest.mark.server_only  # two workers share a Redis (embedded: one worker, its own fakeredis)
async def test_principal__locale_changed_through_one_worker_is_spoken_by_another(
    client: httpx.AsyncClient, other_worker, runtime, settings
) -> None:
    other, other_principals = other_worker
    person = await make_user(level=VerificationLevel.PHONE, locale="zh_CN")
    headers = await signed_in(runtime, person, settings)
    before = await other.get(AUDIT, headers=headers)
    assert before.status_code == 403 and before.json()["error"]["message"] != ""
    chinese = before.json()["error"]["message"]
    assert person.id in other_principals._entries

    assert (await client.patch("/api/v1/me", json={"locale": "en"}, headers=headers)).status_code == 200
    after = await other.get(AUDIT, headers=headers)
    assert after.status_code == 403
    assert after.json()["error"]["message"] != chinese and after.json()["error"]["message"].isascii()


async def test_principal__cached_until_its_version_changes_or_it_ages(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    user = await make_user(roles={Role.ADMIN: [""]})
    headers = await signed_in(runtime, user, settings)
    assert (await client.get(AUDIT, headers=headers)).status_code == 200
    # Changed behind the API's back (no version written): the cached principal still answers, which
    # shows the database is not read on every request ...
    await RoleGrant.filter(user_id=user.id).delete()
    assert (await client.get(AUDIT, headers=headers)).status_code == 200
    # ... until it is older than max_age_s (a change whose version write was lost is seen by then).
    runtime.principals.max_age_s = 0.3
    await asyncio.sleep(0.35)
    assert (await client.get(AUDIT, headers=headers)).status_code == 403


async def test_principal__a_lost_version_means_the_database_decides(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    user = await make_user(roles={Role.ADMIN: [""]})
    headers = await signed_in(runtime, user, settings)
    assert (await client.get(AUDIT, headers=headers)).status_code == 200
    assert user.id in runtime.principals._entries
    await RoleGrant.filter(user_id=user.id).delete()
    # Redis flushed or the key expired: no version is not "unchanged".
    await runtime.redis.delete(runtime.principals.version_key(user.id))
    assert (await client.get(AUDIT, headers=headers)).status_code == 403


async def test_principal_cache__kept_only_under_a_version_sign_in_creates(
    client: httpx.AsyncClient, runtime
) -> None:
    user = await make_user(roles={Role.ADMIN: [""]})
    cache = PrincipalCache(redis=runtime.redis, keys=runtime.keys)
    # No version (a token older than a Redis flush): read from the database every time, not kept.
    assert (await cache.get(user.id, None)).has_role(Role.ADMIN) and len(cache) == 0
    # A change's version is never replaced by a sign-in's (SET NX) ...
    await cache.changed(user.id)
    version = await runtime.redis.get(cache.version_key(user.id))
    await cache.ensure_version(user.id)
    assert await runtime.redis.get(cache.version_key(user.id)) == version
    kept = await cache.get(user.id, version)
    assert len(cache) == 1 and await cache.get(user.id, version) is kept
    await cache.changed(user.id)
    assert len(cache) == 0  # this worker forgets at once, the others at their next read of the version

    # ... and signing in through the API creates one.
    signed = await sign_in(client)
    person = uuid.UUID(signed["user"]["id"])
    assert await runtime.redis.get(runtime.principals.version_key(person)) is not None
    assert (await client.get("/api/v1/me", headers=bearer(signed))).status_code == 200
    assert person in runtime.principals._entries


@pytest.mark.server_only  # two workers share a Redis (embedded: one worker, its own fakeredis)
async def test_principal_cache__deleted_account_is_unauthenticated_at_once(
    client: httpx.AsyncClient, other_worker, runtime, settings
) -> None:
    other, other_principals = other_worker
    person = await make_user()
    headers = await signed_in(runtime, person, settings)
    assert (await other.get("/api/v1/me", headers=headers)).status_code == 200
    assert person.id in other_principals._entries
    assert (await client.delete("/api/v1/me", headers=headers)).status_code == 204
    gone = await other.get("/api/v1/me", headers=auth_headers(person, settings))
    assert gone.status_code == 401
