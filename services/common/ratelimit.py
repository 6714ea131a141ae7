"""Rate limits (the `limits` library) on Redis through redis-py, with an in-memory fallback.

Counters live in Redis so every API process shares them. When Redis fails, the limiter keeps
protecting the endpoint with per-process in-memory counters (weaker, but never "no limit" and never
an error to the citizen) and tries Redis again after a short pause.

Usage (any domain):

    SIGN_IN_PER_IP = RateRule("signin.ip", "30/minute")
    await limiter.hit(SIGN_IN_PER_IP, client_ip)          # raises RateLimited(retry_after=...) when over

The edge builds one RateLimiter per process (`citizen_api.endpoint.rate_limiter(request)`) and hands
it to services as a value.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from services.common.errors import RateLimited

__all__ = ["RateLimiter", "RateRule", "named_rule"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateRule:
    """A named limit such as RateRule("signin.ip", "30/minute").

    `code` is the 429 message id; its template may use {seconds} (the wait before the next attempt).
    """

    name: str
    limit: str
    code: str = "request.rate_limited"
    item: RateLimitItem = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "item", parse(self.limit))


@functools.lru_cache(maxsize=256)
def named_rule(name: str, limit: str, code: str = "request.too_many") -> RateRule:
    """The rule for a configured limit (settings.rate_limit(name)); cached, rules are immutable."""
    return RateRule(name, limit, code=code)


class RateLimiter:
    """Moving-window limits on a shared store (Redis), falling back to process memory while it is down."""

    def __init__(
        self, *, storage: Storage | None, enabled: bool = True, retry_primary_after_s: float = 15.0
    ) -> None:
        self._primary = MovingWindowRateLimiter(storage) if storage is not None else None
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self.enabled = enabled
        self._retry_after_s = retry_primary_after_s
        self._primary_down_until = 0.0

    @classmethod
    def on_redis(cls, redis: Any, *, key_prefix: str, enabled: bool = True) -> RateLimiter:
        """A limiter whose counters share `redis`'s connection pool (redis.asyncio or fakeredis)."""
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            key_prefix=key_prefix,
            wrap_exceptions=True,
            connection_pool=redis.connection_pool,
        )
        return cls(storage=storage, enabled=enabled)

    @property
    def degraded(self) -> bool:
        """True while counting in memory because the shared store failed."""
        return self._primary is None or time.monotonic() < self._primary_down_until

    async def _hit(
        self, limiter: MovingWindowRateLimiter, rule: RateRule, ids: tuple[str, ...]
    ) -> int | None:
        if await limiter.hit(rule.item, rule.name, *ids):
            return None
        stats = await limiter.get_window_stats(rule.item, rule.name, *ids)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def check(self, rule: RateRule, *identifiers: str) -> int | None:
        """Count one attempt; None when allowed, else the seconds until the next attempt is allowed."""
        if not self.enabled:
            return None
        if self._primary is not None and not self.degraded:
            try:
                return await self._hit(self._primary, rule, identifiers)
            except StorageError as error:
                self._primary_down_until = time.monotonic() + self._retry_after_s
                log.warning(
                    "rate-limit store unavailable; counting in memory",
                    extra={"rule": rule.name, "error": type(error.storage_error).__name__},
                )
        return await self._hit(self._memory, rule, identifiers)

    async def hit(self, rule: RateRule, *identifiers: str) -> None:
        """Count one attempt; raise RateLimited (429 with Retry-After) when the rule is exceeded."""
        retry_after = await self.check(rule, *identifiers)
        if retry_after is not None:
            raise RateLimited(
                rule.code, retry_after=retry_after, details={"retry_after": retry_after}, seconds=retry_after
            )

    async def ensure_allowed(self, rule: RateRule, *identifiers: str) -> None:
        """Raise RateLimited when `rule` is used up for `identifiers`, without counting an attempt.

        For budgets of refusals: check before the attempt, `hit` only when it was refused, so the
        answer to an allowed attempt never depends on whether the refusal would have happened.
        """
        if not self.enabled:
            return
        limiter = self._primary if self._primary is not None and not self.degraded else self._memory
        try:
            allowed = await limiter.test(rule.item, rule.name, *identifiers)
            stats = None if allowed else await limiter.get_window_stats(rule.item, rule.name, *identifiers)
        except StorageError:
            self._primary_down_until = time.monotonic() + self._retry_after_s
            allowed = await self._memory.test(rule.item, rule.name, *identifiers)
            stats = (
                None if allowed else await self._memory.get_window_stats(rule.item, rule.name, *identifiers)
            )
        if stats is not None:
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise RateLimited(
                rule.code, retry_after=retry_after, details={"retry_after": retry_after}, seconds=retry_after
            )

    async def reset(self, rule: RateRule, *identifiers: str) -> None:
        """Forget the attempts counted for `identifiers` (e.g. after a successful step)."""
        for limiter in (self._primary, self._memory):
            if limiter is None:
                continue
            try:
                await limiter.clear(rule.item, rule.name, *identifiers)
            except StorageError:
                continue
