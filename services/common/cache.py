"""Redis (redis.asyncio): caches, counters, locks, token revocation — never the only copy of anything."""

from __future__ import annotations

import redis.asyncio as aioredis

__all__ = ["Keys", "create_redis"]


def create_redis(url: str | None) -> aioredis.Redis:
    """A Redis client for `url`; None gives an in-process fakeredis (embedded profile, one worker)."""
    if not url:
        import fakeredis  # imported lazily: production never needs it

        return fakeredis.FakeAsyncRedis(decode_responses=False)
    return aioredis.from_url(url, decode_responses=False, health_check_interval=30, socket_timeout=5)


class Keys:
    """Builds namespaced keys, so test runs and deployments sharing a Redis never collide."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)
