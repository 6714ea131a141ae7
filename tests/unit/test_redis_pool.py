"""The Redis pool opens its connections at start (issue 12), and a Redis that is down does not stop it."""

from __future__ import annotations

import time

import pytest

from services.common.cache import REDIS_MAX_CONNECTIONS, create_redis, open_pool
from tests.conftest import free_port


@pytest.mark.server_only
async def test_open_pool__opens_every_connection_before_the_first_request(redis_url: str) -> None:
    client = create_redis(redis_url)
    try:
        before = int((await client.info("clients"))["connected_clients"])
        assert await open_pool(client) == REDIS_MAX_CONNECTIONS
        # One of them asked; the others are open on the server as well.
        assert int((await client.info("clients"))["connected_clients"]) >= before + REDIS_MAX_CONNECTIONS - 1
    finally:
        await client.aclose()


async def test_open_pool__redis_down_is_not_waited_for() -> None:
    client = create_redis(f"redis://127.0.0.1:{free_port()}/0")  # nobody listens there
    try:
        started = time.monotonic()
        assert await open_pool(client) == 0
        assert time.monotonic() - started < 2.0
    finally:
        await client.aclose()


async def test_open_pool__fakeredis_has_nothing_to_open() -> None:
    client = create_redis(None)
    assert await open_pool(client) == 0
