"""The shared rate limiter: moving windows on Redis, Retry-After, in-memory fallback when Redis is down."""

from __future__ import annotations

import redis.asyncio as aioredis

from services.common.errors import RateLimited
from services.common.ratelimit import RateLimiter, RateRule
from tests.conftest import free_port

RULE = RateRule("test.rule", "3/minute", code="request.rate_limited")


async def test_ratelimit__allows_up_to_the_limit_then_refuses(runtime) -> None:
    limiter = RateLimiter.on_redis(runtime.redis, key_prefix=runtime.keys("limits"))
    for _ in range(3):
        await limiter.hit(RULE, "alice")
    try:
        await limiter.hit(RULE, "alice")
    except RateLimited as error:
        assert 1 <= error.retry_after <= 60
        assert error.details == {"retry_after": error.retry_after}
    else:
        raise AssertionError("the fourth attempt was allowed")
    # Another identifier has its own budget.
    await limiter.hit(RULE, "bob")


async def test_ratelimit__counters_are_shared_through_redis(runtime) -> None:
    first = RateLimiter.on_redis(runtime.redis, key_prefix=runtime.keys("limits"))
    second = RateLimiter.on_redis(runtime.redis, key_prefix=runtime.keys("limits"))
    for _ in range(3):
        await first.hit(RULE, "shared")
    assert await second.check(RULE, "shared") is not None
    keys = [k async for k in runtime.redis.scan_iter(match=runtime.keys("limits") + "*")]
    assert keys, "the counters should live in Redis under our key prefix"


async def test_ratelimit__falls_back_to_memory_when_redis_is_down() -> None:
    dead = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    limiter = RateLimiter.on_redis(dead, key_prefix="t-dead:limits")
    results = [await limiter.check(RULE, "carol") for _ in range(4)]
    assert results[:3] == [None, None, None] and results[3] is not None
    assert limiter.degraded
    await dead.aclose()


async def test_ratelimit__reset_forgets_attempts(runtime) -> None:
    limiter = RateLimiter.on_redis(runtime.redis, key_prefix=runtime.keys("limits"))
    for _ in range(3):
        await limiter.hit(RULE, "dave")
    await limiter.reset(RULE, "dave")
    await limiter.hit(RULE, "dave")


async def test_ratelimit__disabled_never_limits(runtime) -> None:
    limiter = RateLimiter.on_redis(runtime.redis, key_prefix=runtime.keys("limits"), enabled=False)
    for _ in range(10):
        await limiter.hit(RULE, "erin")
