"""Refusal budgets: checked before an attempt, counted only when the attempt was refused."""

from __future__ import annotations

import pytest

from services.common.errors import RateLimited
from services.common.ratelimit import RateLimiter, named_rule

RULE = named_rule("test.refusals.user", "2/minute")


async def test_refusal_budget__allowed_attempts_do_not_count(runtime) -> None:
    limiter = RateLimiter.on_redis(runtime.redis, key_prefix=runtime.keys("limits"))
    for _ in range(5):
        await limiter.ensure_allowed(RULE, "alice")


async def test_refusal_budget__spent_budget_refuses_before_the_attempt(runtime) -> None:
    limiter = RateLimiter.on_redis(runtime.redis, key_prefix=runtime.keys("limits"))
    for _ in range(2):
        await limiter.ensure_allowed(RULE, "mallory")
        await limiter.check(RULE, "mallory")  # the attempt was refused: count it
    with pytest.raises(RateLimited) as error:
        await limiter.ensure_allowed(RULE, "mallory")
    assert error.value.retry_after >= 1 and error.value.code == "request.too_many"
    await limiter.ensure_allowed(RULE, "bob")
