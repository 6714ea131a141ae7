"""Redis refusing (down) and Redis frozen (accepts, never answers): bounded, quiet, with fallbacks."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from citizen_api import worker
from citizen_api.runtime import Runtime, close_runtime, open_runtime
from services.common import outbox
from services.common.cache import create_redis
from services.common.models import OutboxMessage, OutboxStatus
from services.common.ratelimit import RateLimiter
from tests.api.accounts_helpers import bearer, sign_in
from tests.conftest import free_port


@asynccontextmanager
async def frozen_redis() -> AsyncIterator[str]:
    """A TCP listener on loopback that accepts connections and never answers: a hung Redis."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        while await reader.read(65536):
            pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        for writer in held:
            writer.close()
        server.close()


@asynccontextmanager
async def api_redis(runtime, url: str) -> AsyncIterator[None]:
    """Point the API's Redis (and the rate limiter on it) at `url`, built as the app builds it."""
    saved_redis, saved_limiter = runtime.redis, runtime.rate_limiter
    runtime.redis = create_redis(url)
    runtime.rate_limiter = RateLimiter.on_redis(runtime.redis, key_prefix=runtime.keys("limits"))
    try:
        yield
    finally:
        await runtime.redis.aclose()
        runtime.redis, runtime.rate_limiter = saved_redis, saved_limiter


@asynccontextmanager
async def redis_down(runtime) -> AsyncIterator[None]:
    """Redis refusing connections: a loopback port where nothing listens."""
    async with api_redis(runtime, f"redis://127.0.0.1:{free_port()}/0"):
        yield


async def test_redis_frozen__authenticated_calls_answer_within_a_bound(
    client: httpx.AsyncClient, runtime
) -> None:
    signed_in = await sign_in(client)
    async with frozen_redis() as url, api_redis(runtime, url):
        timings = []
        for _ in range(3):
            started = time.monotonic()
            me = await client.get("/api/v1/me", headers=bearer(signed_in))
            timings.append(time.monotonic() - started)
            assert me.status_code == 200, me.text
    # redis-py's defaults (5 s timeout, three retries) made each call take 5 s or more.
    assert max(timings) < 1.5, timings


@pytest.mark.server_only
async def test_run_worker__redis_down_backs_off_logs_once_and_keeps_delivering(
    settings, db, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    runtime: Runtime = await open_runtime(
        settings.model_copy(update={"redis_url": dead, "worker_tick_s": 0.05})
    )
    received: list[str] = []

    async def handler(event: outbox.OutboxEvent, deps: object) -> None:
        received.append(event.id)

    runtime.outbox_handlers = {"t.outage": handler}
    runtime.periodic_jobs = ()
    message = await outbox.enqueue(topic="t.outage", payload={})
    caplog.set_level(logging.WARNING)
    task = asyncio.create_task(worker.run_worker(runtime))
    try:
        for _ in range(100):
            if (await OutboxMessage.get(id=message.id)).status is OutboxStatus.DELIVERED:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(3)  # let the outage go on: the receiver must pause, not spin
    finally:
        task.cancel()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=15)
        await close_runtime(runtime)
    assert received == [str(message.id)]  # jobs ran locally while the queue was unreachable
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(noisy) <= 4, [r.getMessage() for r in noisy]
    assert not any(r.exc_info for r in noisy)
