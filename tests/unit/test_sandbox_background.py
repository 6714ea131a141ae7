"""The simulators' background walks stop with their server."""

from __future__ import annotations

import asyncio

from sanic import Blueprint

from integrations.sandbox.departments import Background


async def test_background__registered_to_stop_with_the_server_and_cancels_its_walks() -> None:
    bp = Blueprint("sandbox_background_test")
    background = Background(bp)
    [listener] = [f for f in bp._future_listeners if f.event == "after_server_stop"]
    walking = asyncio.Event()

    async def walk() -> None:
        walking.set()
        await asyncio.sleep(3600)

    background.start(walk())
    await walking.wait()
    [task] = list(background._tasks)
    await listener.listener(None)
    assert task.cancelled()
    assert not background._tasks
