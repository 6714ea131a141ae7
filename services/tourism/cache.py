"""Rendered JSON documents with ETags, cached in Redis, for the anonymous tourism reads.

Redis is a cache here and nothing more: every read and write is best-effort, so when Redis is down
the caller renders from the database and the answer is the same, only slower.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

__all__ = ["LocalTier", "Rendered", "cached", "forget", "render"]

log = logging.getLogger(__name__)

_SEPARATOR = b"\n"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A JSON body and its strong ETag (quoted, as sent in the header)."""

    body: bytes
    etag: str

    def data(self) -> Any:
        return json.loads(self.body)


def render(value: Any) -> Rendered:
    """Serialise `value` (plain JSON types) once; the ETag is a hash of exactly those bytes."""
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return Rendered(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')


class LocalTier:
    """A per-process copy of hot documents for `ttl_s` seconds, in front of Redis.

    It saves the Redis round trip on the hottest anonymous reads. It is never invalidated
    explicitly: a change reaches every process within `ttl_s` (one second), which is fine for
    text and crowd figures that are polled every 30 s anyway.
    """

    def __init__(self, *, ttl_s: float = 1.0, max_entries: int = 4096):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Rendered]] = {}
        self._flights: dict[Hashable, asyncio.Future[Rendered]] = {}

    def get(self, key: Hashable) -> Rendered | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if found[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        return found[1]

    def put(self, key: Hashable, document: Rendered) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # crude but bounded; the next second refills what is hot
        self._entries[key] = (time.monotonic() + self.ttl_s, document)

    async def fill(self, key: Hashable, fetch: Callable[[], Awaitable[Rendered]]) -> Rendered:
        """`fetch()`'s document, stored under `key`; concurrent misses of one key share one fetch.

        Single flight: when the copy of a hot document expires, every request in flight used to read
        Redis, and when Redis had expired too every one of them rebuilt it from the database (32 at
        once under the benchmark: p99 spikes of 100-200 ms every 10 s). Now the first miss fetches and
        the others wait for its answer. The fetch is a task of its own, so a waiter that goes away
        (a client hanging up) does not cancel it for the others; its failure reaches each waiter.
        """
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._fetch(key, fetch))
            flight.add_done_callback(_retrieved)
            self._flights[key] = flight
        return await asyncio.shield(flight)

    async def _fetch(self, key: Hashable, fetch: Callable[[], Awaitable[Rendered]]) -> Rendered:
        try:
            document = await fetch()
            self.put(key, document)
            return document
        finally:
            self._flights.pop(key, None)


def _retrieved(flight: asyncio.Future[Rendered]) -> None:
    # A failed fetch whose waiters all went away must not be logged as "never retrieved".
    if not flight.cancelled():
        flight.exception()


async def cached(
    redis: Any,
    key: str,
    *,
    ttl_s: int,
    build: Callable[[], Awaitable[Any]],
    local: LocalTier | None = None,
    local_key: Hashable | None = None,
) -> Rendered:
    """The document at `key` (process copy, then Redis), else `build()` rendered and stored for `ttl_s`.

    With a process copy, concurrent misses of one document make one Redis read / one build
    (`LocalTier.fill`).

    `local_key` names the document in the process copy when the caller has a cheaper name for it
    than the Redis key (default: `key`).
    """
    if local is None:
        return await _shared(redis, key, ttl_s=ttl_s, build=build)
    if local_key is None:
        local_key = key
    hit = local.get(local_key)
    if hit is not None:
        return hit
    return await local.fill(local_key, lambda: _shared(redis, key, ttl_s=ttl_s, build=build))


async def _shared(redis: Any, key: str, *, ttl_s: int, build: Callable[[], Awaitable[Any]]) -> Rendered:
    if redis is not None:
        try:
            raw = await redis.get(key)
        except (RedisError, OSError) as error:
            log.warning("cache read failed; serving from the database", extra={"error": type(error).__name__})
            raw = None
            redis = None  # do not wait for a dead Redis twice in one request
        if raw:
            etag, _, body = raw.partition(_SEPARATOR)
            return Rendered(body=body, etag=etag.decode())
    document = render(await build())
    if redis is not None:
        try:
            await redis.set(key, document.etag.encode() + _SEPARATOR + document.body, ex=ttl_s)
        except (RedisError, OSError) as error:
            log.warning("cache write failed", extra={"error": type(error).__name__})
    return document


async def forget(redis: Any, keys: list[str]) -> None:
    """Drop cached documents (content or crowd changed); a Redis outage only delays freshness to the TTL."""
    if redis is None or not keys:
        return
    try:
        await redis.delete(*keys)
    except (RedisError, OSError) as error:
        log.warning("cache invalidation failed", extra={"error": type(error).__name__})
