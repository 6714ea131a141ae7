"""Workers: outbox delivery through taskiq (Redis broker, and in-process for the embedded profile)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from citizen_api import worker
from citizen_api.runtime import Runtime, close_runtime, open_runtime
from citizen_api.settings import Settings
from services.common import outbox
from services.common.contributions import PeriodicJob
from services.common.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
async def worker_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = await open_runtime(settings.model_copy(update={"worker_tick_s": 0.05}))
    yield runtime
    keys = [key async for key in runtime.redis.scan_iter(match=runtime.keys.prefix + "*")]
    if keys:
        await runtime.redis.delete(*keys)
    await close_runtime(runtime)


def _recording_handler(runtime: Runtime) -> list[str]:
    received: list[str] = []

    async def handler(event: outbox.OutboxEvent, deps: object) -> None:
        assert isinstance(deps, Runtime)  # handlers get the worker's runtime (adapters etc.)
        received.append(event.id)

    runtime.outbox_handlers = {"t.worker": handler}
    # Only the outbox job: the domains' own jobs have their own tests and talk to sandboxes that
    # other tests may have left faulty.
    runtime.periodic_jobs = ()
    return received


async def _wait_delivered(message_id, seconds: float = 15.0) -> OutboxMessage:
    for _ in range(int(seconds / 0.05)):
        message = await OutboxMessage.get(id=message_id)
        if message.status is OutboxStatus.DELIVERED:
            return message
        await asyncio.sleep(0.05)
    raise AssertionError("outbox message was not delivered in time")


@pytest.mark.server_only
async def test_run_worker__delivers_outbox_through_the_redis_broker(
    worker_runtime: Runtime,
) -> None:
    received = _recording_handler(worker_runtime)
    task = asyncio.create_task(worker.run_worker(worker_runtime))
    try:
        message = await outbox.enqueue(topic="t.worker", payload={"x": 1})
        await _wait_delivered(message.id)
    finally:
        task.cancel()
        await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=30)
    assert received == [str(message.id)]


async def test_run_ticker__in_process_broker_delivers_for_the_embedded_profile(
    worker_runtime: Runtime,
) -> None:
    received = _recording_handler(worker_runtime)
    embedded = Runtime(
        **{
            **{slot: getattr(worker_runtime, slot) for slot in Runtime.__slots__},
            "settings": worker_runtime.settings.model_copy(update={"redis_url": None}),
        }
    )
    task = asyncio.create_task(worker.run_ticker(embedded))
    try:
        message = await outbox.enqueue(topic="t.worker", payload={})
        await _wait_delivered(message.id)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert received == [str(message.id)]


async def test_claim_period__one_process_per_job_and_period(worker_runtime: Runtime) -> None:
    job = PeriodicJob("test.job", every_s=30, run=lambda deps: asyncio.sleep(0))
    claims = await asyncio.gather(*[worker._claim_period(worker_runtime, job) for _ in range(10)])
    assert claims.count(True) == 1


async def test_run_ticker__stopping_cancels_jobs_running_in_process(worker_runtime: Runtime) -> None:
    # `make run` (jobs in-process): a job still running at shutdown (e.g. mirroring the HIS directory
    # from the server's own sandbox) kept the worker past the stop grace, and Sanic's manager killed it.
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hangs(deps: object) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker_runtime.outbox_handlers = {}
    worker_runtime.periodic_jobs = (PeriodicJob("test.hangs", every_s=60, run=hangs),)
    embedded = Runtime(
        **{
            **{slot: getattr(worker_runtime, slot) for slot in Runtime.__slots__},
            "settings": worker_runtime.settings.model_copy(update={"redis_url": None}),
        }
    )
    task = asyncio.create_task(worker.run_ticker(embedded))
    await asyncio.wait_for(started.wait(), timeout=10)
    task.cancel()
    await asyncio.wait_for(asyncio.gather(task, return_exceptions=True), timeout=5)
    assert cancelled.is_set()
