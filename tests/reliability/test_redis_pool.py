"""A burst of requests beyond the Redis pool waits for a free connection (issue 12: the 200-person race
made redis-py raise MaxConnectionsError and sent every such request to the database fallback)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid

import pytest

from services.accounts.revocation import RevocationStore
from services.common import clock
from services.common.cache import REDIS_MAX_CONNECTIONS, Keys, create_redis


async def test_revocation_burst_beyond_the_pool_is_answered_by_redis(redis_url, caplog) -> None:
    if not redis_url:
        pytest.skip("the embedded profile has an in-process Redis without a pool")
    redis = create_redis(redis_url)
    store = RevocationStore(redis=redis, keys=Keys(f"test-pool-{uuid.uuid4().hex[:8]}:"), access_ttl_s=600)
    jti = uuid.uuid4().hex
    try:
        await store.revoke_jti(jti, clock.now() + dt.timedelta(minutes=5))
        caplog.set_level(logging.WARNING, logger="services.accounts.revocation")
        # A token without a session has only Redis to say it was revoked: a fallback answers "not revoked".
        burst = [store.is_revoked(jti=jti, session_id=None) for _ in range(3 * REDIS_MAX_CONNECTIONS)]
        answers = await asyncio.gather(*burst)
    finally:
        await redis.aclose()
    assert answers == [True] * len(burst)
    assert not [r for r in caplog.records if "revocation cache unavailable" in r.getMessage()]
