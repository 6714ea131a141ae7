"""Accounts while Redis is down: sign-in and authenticated calls keep working, ended sessions stay ended."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import redis.asyncio as aioredis

from services.common.ratelimit import RateLimiter
from tests.api.accounts_helpers import bearer, sign_in
from tests.conftest import free_port


@asynccontextmanager
async def redis_down(runtime) -> AsyncIterator[None]:
    """Point the API's Redis (revocation list and rate limits) at a port where nothing listens."""
    dead = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    saved_redis, saved_limiter = runtime.redis, runtime.rate_limiter
    runtime.redis = dead
    runtime.rate_limiter = RateLimiter.on_redis(dead, key_prefix=runtime.keys("limits"))
    try:
        yield
    finally:
        runtime.redis, runtime.rate_limiter = saved_redis, saved_limiter
        await dead.aclose()


async def test_redis_outage__ended_sessions_stay_ended(client: httpx.AsyncClient, runtime) -> None:
    active = await sign_in(client)
    ended = await sign_in(client)
    assert (await client.post("/api/v1/auth/logout", json={}, headers=bearer(ended))).status_code == 204
    async with redis_down(runtime):
        assert (await client.get("/api/v1/me", headers=bearer(active))).status_code == 200
        refused = await client.get("/api/v1/me", headers=bearer(ended))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "auth.token_revoked"


async def test_redis_outage__sign_in_still_rate_limited_in_memory(client: httpx.AsyncClient, runtime) -> None:
    async with redis_down(runtime):
        body = await sign_in(client)
        assert (await client.get("/api/v1/me", headers=bearer(body))).status_code == 200
        statuses = [
            (await client.post("/api/v1/auth/wechat-login", json={"code": "outage-code"})).status_code
            for _ in range(4)
        ]
    assert statuses == [400, 400, 400, 429]
