"""A burst of requests beyond the Redis pool waits for a free connection (issue 12: the 200-person race
made redis-py raise MaxConnectionsError and sent every such request to the database fallback)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest
import redis.asyncio as aioredis

from services.accounts.revocation import RevocationStore
from services.common import clock
from services.common.cache import REDIS_MAX_CONNECTIONS, REDIS_TIMEOUT_S, Keys, LeanPool, create_redis, mget


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


# The pool's short way through (services/common/cache.py LeanPool, mget): what the parent's locks and
# checks guaranteed must still hold when a connection is free and nobody waits.


@asynccontextmanager
async def lean_client(redis_url: str, *, name: str, **pool_options) -> AsyncIterator[aioredis.Redis]:
    """A client built as create_redis builds it, its connections named `name` on the server."""
    client = create_redis(redis_url)
    pool = client.connection_pool
    assert type(pool) is LeanPool
    if pool_options:
        client = aioredis.Redis(connection_pool=LeanPool(**{**pool.connection_kwargs, **pool_options}))
        await pool.disconnect()
        pool = client.connection_pool
    pool.connection_kwargs["client_name"] = name
    try:
        yield client
    finally:
        await client.aclose()
        await pool.disconnect()


@pytest.mark.server_only
async def test_connections_the_server_closed_are_opened_again_not_failed(redis_url) -> None:
    name = f"lean-{uuid.uuid4().hex[:8]}"
    key = f"test-lean:{name}"
    async with lean_client(redis_url, name=name) as client:
        await client.set(key, b"here", ex=60)
        assert await asyncio.gather(*[mget(client, key) for _ in range(8)]) == [[b"here"]] * 8
        admin = aioredis.Redis.from_url(redis_url)
        try:
            ours = [c["id"] for c in await admin.client_list() if c.get("name") == name]
            assert len(ours) >= 2
            for client_id in ours:  # what a Redis restart or an idle timeout does to the pool's sockets
                await admin.client_kill_filter(_id=client_id)
        finally:
            await admin.aclose()
        await asyncio.sleep(0.05)  # the loop reads the servers' closing of the idle sockets
        assert await asyncio.gather(*[mget(client, key) for _ in range(8)]) == [[b"here"]] * 8


@asynccontextmanager
async def slow_answers(redis_url: str, delay_s: float) -> AsyncIterator[str]:
    """A loopback proxy in front of Redis that holds every answer `delay_s` before passing it on."""
    upstream = urlsplit(redis_url)
    tasks: list[asyncio.Task[None]] = []

    async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(65536):
                await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        writer.close()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(upstream.hostname, upstream.port or 6379)
        tasks.append(asyncio.create_task(copy(reader, up_writer, 0)))
        tasks.append(asyncio.create_task(copy(up_reader, writer, delay_s)))

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}{upstream.path or '/0'}"
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.server_only
async def test_a_read_cancelled_midway_never_leaves_its_reply_for_the_next_caller(redis_url) -> None:
    name = f"lean-{uuid.uuid4().hex[:8]}"
    keys = [f"test-lean:{name}:{i}" for i in range(3)]
    direct = create_redis(redis_url)
    await direct.mset({key: f"value-{i}".encode() for i, key in enumerate(keys)})
    try:
        async with slow_answers(redis_url, 0.05) as url, lean_client(url, name=name) as client:
            assert await mget(client, keys[0]) == [b"value-0"]  # one connection, open
            # A client hanging up cancels its request with the command sent and the answer on its way.
            call = asyncio.create_task(mget(client, keys[1]))
            await asyncio.sleep(0.01)
            call.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await call
            # The next caller takes the pool's last connection back (LIFO) before that answer arrives:
            # had it been the same socket, it would read "value-1" as its own.
            assert await mget(client, keys[2]) == [b"value-2"]
            assert await mget(client, keys[0]) == [b"value-0"]
    finally:
        await direct.delete(*keys)
        await direct.aclose()


@pytest.mark.server_only
async def test_callers_beyond_a_small_pool_are_woken_as_connections_come_back(redis_url) -> None:
    name = f"lean-{uuid.uuid4().hex[:8]}"
    key = f"test-lean:{name}"
    async with lean_client(redis_url, name=name, max_connections=2, timeout=REDIS_TIMEOUT_S) as client:
        await client.set(key, b"here", ex=60)
        # 50 callers on 2 connections: 48 wait inside the parent's Condition, and each release must
        # wake one, or they fail with "No connection available" after the pool's timeout.
        answers = await asyncio.gather(*[mget(client, key) for _ in range(50)])
        pool = client.connection_pool
        assert answers == [[b"here"]] * 50
        assert not pool._in_use_connections and len(pool._available_connections) <= 2
