"""Redis (redis.asyncio): caches, counters, locks, token revocation — never the only copy of anything."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import RedisError
from tortoise.exceptions import IntegrityError

from services.common import clock
from services.common.models import IdempotencyRecord

__all__ = [
    "REDIS_MAX_CONNECTIONS",
    "REDIS_TIMEOUT_S",
    "Keys",
    "create_redis",
    "open_pool",
    "forget_nonce",
    "remember_nonce",
]

log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.2
# Connections per process (redis-py's own default for its non-blocking pool).
REDIS_MAX_CONNECTIONS = 100

# A seen nonce in the database shares the idempotency table: a unique (scope, key) with an expiry
# that the idempotency purge already clears.
_NONCE_HASH = "nonce"


_DRIVER = DriverInfo(name="redis-py", lib_version=redis.__version__)


def create_redis(url: str | None) -> aioredis.Redis:
    """A Redis client for `url`; None gives an in-process fakeredis (embedded profile, one worker)."""
    if not url:
        import fakeredis  # imported lazily: production never needs it

        return fakeredis.FakeAsyncRedis(decode_responses=False)
    # Every call is bounded: a frozen Redis (accepting, never answering) costs a request at most
    # REDIS_TIMEOUT_S per call before the caller's fallback takes over, not redis-py's 5 s, and is
    # not retried (the defaults would retry three times with backoff).
    # A burst beyond the pool (the 200-person booking race: every request checks revocation) waits for
    # a free connection, at most REDIS_TIMEOUT_S, instead of failing at once with MaxConnectionsError
    # and sending each request to the database fallback.
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=REDIS_MAX_CONNECTIONS,
        timeout=REDIS_TIMEOUT_S,
        decode_responses=False,
        health_check_interval=30,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        retry=Retry(NoBackoff(), 0),
        # What CLIENT SETINFO reports, built once: left to redis-py, every new connection read the
        # package's metadata from disk (~0.5 ms of CPU each; a burst opens dozens, issue 12).
        driver_info=_DRIVER,
    )
    client = aioredis.Redis(connection_pool=pool)
    client.auto_close_connection_pool = True  # aclose() closes the pool, as from_url's client does
    return client


async def open_pool(client: aioredis.Redis) -> int:
    """Open the pool's connections now, all of them, as the PostgreSQL pool does (issue 12): the first
    burst after start (a 200-person race) opened ~95 per worker mid-burst, ~0.7 ms of CPU each. How
    many opened; a Redis that does not answer is not waited for (the requests' fallbacks handle it)."""
    pool = getattr(client, "connection_pool", None)
    if not isinstance(pool, aioredis.BlockingConnectionPool):
        return 0  # fakeredis (the embedded profile): nothing to open
    answers = await asyncio.gather(
        *[client.ping() for _ in range(pool.max_connections)], return_exceptions=True
    )
    failed = [a for a in answers if isinstance(a, BaseException)]
    if failed:
        # Not a warning: whatever uses Redis next reports the outage (and falls back) on its own.
        log.info("Redis pool not opened at start", extra={"error": type(failed[0]).__name__})
    return len(answers) - len(failed)


class Keys:
    """Builds namespaced keys, so test runs and deployments sharing a Redis never collide."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def __call__(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)


async def remember_nonce(*, redis: aioredis.Redis, keys: Keys, scope: str, nonce: str, ttl_s: int) -> bool:
    """True the first time `nonce` is seen in `scope` (within `ttl_s`), False for a replay.

    Redis refuses a known replay without a database round trip; the database row is the record that
    holds while Redis is down (or was down when the nonce was first seen).
    """
    try:
        if not await redis.set(keys("nonce", scope, nonce), b"1", nx=True, ex=ttl_s):
            return False
    except RedisError as error:
        log.warning(
            "redis unavailable for a nonce; using the database", extra={"error": type(error).__name__}
        )
    try:
        await IdempotencyRecord.create(
            scope=f"nonce:{scope}"[:128],
            key=nonce[:128],
            request_hash=_NONCE_HASH,
            expires_at=clock.now() + dt.timedelta(seconds=ttl_s),
        )
    except IntegrityError:
        return False
    return True


async def forget_nonce(*, redis: aioredis.Redis, keys: Keys, scope: str, nonce: str) -> None:
    """Undo remember_nonce (the request was not applied, so its sender may send it again)."""
    await IdempotencyRecord.filter(
        scope=f"nonce:{scope}"[:128], key=nonce[:128], request_hash=_NONCE_HASH
    ).delete()
    try:
        await redis.delete(keys("nonce", scope, nonce))
    except RedisError:
        log.warning("redis unavailable to forget a nonce; the database no longer holds it")
