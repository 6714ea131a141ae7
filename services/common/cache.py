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
from redis.maint_notifications import MaintNotificationsConfig
from tortoise.exceptions import IntegrityError

from services.common import clock
from services.common.models import IdempotencyRecord

__all__ = [
    "REDIS_MAX_CONNECTIONS",
    "REDIS_TIMEOUT_S",
    "Keys",
    "LeanPool",
    "create_redis",
    "mget",
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


class LeanPool(aioredis.BlockingConnectionPool):
    """redis-py's blocking pool with a short way through when a connection is free (issue 12).

    `BlockingConnectionPool.get_connection` enters a Condition and a timeout context, passes a
    deprecated-arguments wrapper and awaits two observability hooks on every call, and `release`
    enters the Condition and awaits two more hooks: on this project's VM about 70 µs of CPU per
    command, as much as the round trip itself. When a connection is free, take it as the parent does
    under its locks (asyncio's single thread makes the pop and add atomic, as redis-py's own note on
    `_maybe_pool_lock` says) and check it with the parent's `ensure_connection` (a connection the
    server closed, or one holding unread data, is reconnected). When nobody waits, give it back the
    same way. Everything else — an exhausted pool (wait at most `timeout`), a waiter to wake,
    maintenance mode, a connection to reconnect — goes through the parent unchanged. The short way
    reports nothing to redis-py's OpenTelemetry hooks, which this project does not configure.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._waiting = 0  # callers inside the parent's get_connection: a release must wake them

    async def get_connection(self, command_name: object = None, *keys: object, **options: object):
        available = self._available_connections
        if available and not self._in_maintenance:
            connection = available.pop()
            self._in_use_connections.add(connection)
            try:
                await self.ensure_connection(connection)
            except BaseException:
                await self.release(connection)
                raise
            return connection
        self._waiting += 1
        try:
            return await super().get_connection()
        finally:
            self._waiting -= 1

    async def release(self, connection) -> None:
        if self._waiting or self._in_maintenance or connection.should_reconnect():
            await super().release(connection)
            return
        self._in_use_connections.remove(connection)
        self._available_connections.append(connection)


async def mget(client: aioredis.Redis, *names: str | bytes) -> list[bytes | None]:
    """MGET for the one Redis call every authenticated request makes (the revocation check, issue 12).

    `Redis.execute_command` wraps each command in a retry object, a failure callback and two more
    observability hooks (~60 µs of CPU here); this sends the command on a pooled connection with the
    connection's own public calls, which keep its guarantees: the socket timeout on the write and the
    read, the periodic health check, and a connection dropped on any error or cancellation (never
    returned with an unread reply). Errors are redis-py's (`TimeoutError`, `ConnectionError`), as from
    `client.mget`, and nothing is retried, as the client is configured. Anything but our own pool
    (fakeredis, the embedded profile) takes `client.mget`.
    """
    pool = getattr(client, "connection_pool", None)
    if type(pool) is not LeanPool:
        return await client.mget(*names)
    connection = await pool.get_connection()
    try:
        await connection.send_packed_command(connection.pack_command("MGET", *names))
        return await connection.read_response()
    finally:
        await pool.release(connection)


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
    pool = LeanPool.from_url(
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
        # Maintenance notifications are Redis Enterprise / Cloud pushes. Left at redis-py's "auto",
        # every new connection asks for them (an extra command our Redis refuses) and the pool stops
        # checking a pooled connection for a server-side close before use, so after a Redis restart
        # each pooled connection failed one command instead of being opened again.
        maint_notifications_config=MaintNotificationsConfig(enabled=False),
    )
    client = aioredis.Redis(connection_pool=pool)
    client.auto_close_connection_pool = True  # aclose() closes the pool, as from_url's client does
    return client


async def open_pool(client: aioredis.Redis) -> int:
    """Open the pool's connections now, all of them, as the PostgreSQL pool does (issue 12): the first
    burst after start (a 200-person race) opened ~95 per worker mid-burst, ~0.7 ms of CPU each. How
    many opened; a Redis that does not answer is not waited for (the requests' fallbacks handle it)."""
    pool = getattr(client, "connection_pool", None)
    if not isinstance(pool, LeanPool):
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
