"""Workers: taskiq receivers that run the outbox delivery and the periodic jobs.

`citizen-api worker` runs a receiver (taskiq-redis ListQueueBroker) plus a ticker. The ticker
enqueues each periodic job at most once per period across all processes (a Redis SET NX per job
and period), so any number of workers can run. In the embedded profile the API process runs the
ticker itself and taskiq's in-memory broker executes tasks in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import Any

from taskiq import AsyncBroker, InMemoryBroker
from taskiq.api import run_receiver_task

from citizen_api.runtime import Runtime
from services.common.contributions import PeriodicJob
from services.common.outbox import DeliveryPolicy, deliver_due

__all__ = ["build_broker", "deliver_outbox_once", "run_ticker", "run_worker"]

log = logging.getLogger(__name__)


def delivery_policy(runtime: Runtime) -> DeliveryPolicy:
    s = runtime.settings
    return DeliveryPolicy(
        max_attempts=s.outbox_max_attempts,
        backoff_base_s=s.outbox_backoff_base_s,
        backoff_cap_s=s.outbox_backoff_cap_s,
        lease_s=s.outbox_lease_s,
    )


async def deliver_outbox_once(runtime: Runtime) -> int:
    """Deliver every due outbox message once; returns how many were handled."""
    report = await deliver_due(
        handlers=runtime.outbox_handlers, deps=runtime, policy=delivery_policy(runtime)
    )
    return len(report.delivered) + len(report.retried) + len(report.dead)


def _jobs(runtime: Runtime) -> list[PeriodicJob]:
    return [PeriodicJob("outbox.deliver", every_s=1.0, run=deliver_outbox_once), *runtime.periodic_jobs]


def build_broker(runtime: Runtime) -> AsyncBroker:
    """The taskiq broker with one task per periodic job, each bound to this process's runtime."""
    if runtime.settings.redis_url:
        from taskiq_redis import ListQueueBroker

        broker: AsyncBroker = ListQueueBroker(
            runtime.settings.redis_url, queue_name=runtime.keys("taskiq", "queue")
        )
    else:
        broker = InMemoryBroker()
    for job in _jobs(runtime):
        broker.register_task(_bind(job, runtime), task_name=job.name)
    return broker


def _bind(job: PeriodicJob, runtime: Runtime):
    async def run() -> Any:
        try:
            return await job.run(runtime)
        except Exception:  # logged once here (with traceback); the next period runs the job again
            log.exception("periodic job failed", extra={"job": job.name})
            return None

    run.__name__ = job.name.replace(".", "_")
    return run


async def _claim_period(runtime: Runtime, job: PeriodicJob) -> bool:
    """True for exactly one process per job and period."""
    period = math.floor(time.time() / job.every_s)
    key = runtime.keys("periodic", job.name, period)
    try:
        return bool(await runtime.redis.set(key, b"1", nx=True, px=int(job.every_s * 2000)))
    except Exception:  # noqa: BLE001 - Redis down: run locally rather than stop the city's jobs
        log.warning("redis unavailable for periodic claim; running locally", extra={"job": job.name})
        return True


async def run_ticker(runtime: Runtime, *, broker: AsyncBroker | None = None) -> None:
    """Forever: enqueue each periodic job once per period. Runs in-process when `broker` is None."""
    jobs = _jobs(runtime)
    broker = broker or build_broker(runtime)
    if isinstance(broker, InMemoryBroker):
        await broker.startup()
    tick = min([runtime.settings.worker_tick_s, *[job.every_s for job in jobs]])
    last_run: dict[str, float] = {}
    try:
        while True:
            now = time.monotonic()
            for job in jobs:
                if now - last_run.get(job.name, -math.inf) < job.every_s:
                    continue
                last_run[job.name] = now
                if await _claim_period(runtime, job):
                    task = broker.find_task(job.name)
                    if task is None:
                        continue
                    try:
                        await task.kiq()
                    except Exception:
                        log.exception("could not enqueue job", extra={"job": job.name})
            await asyncio.sleep(tick)
    finally:
        with contextlib.suppress(Exception):
            await broker.shutdown()


async def run_worker(runtime: Runtime) -> None:
    """The `citizen-api worker` process: receive tasks and tick the schedule until cancelled."""
    broker = build_broker(runtime)
    broker.is_worker_process = True
    await broker.startup()
    receiver = asyncio.create_task(run_receiver_task(broker, max_async_tasks=20))
    ticker = asyncio.create_task(run_ticker(runtime, broker=broker))
    try:
        await asyncio.gather(receiver, ticker)
    finally:
        receiver.cancel()
        ticker.cancel()
        # A job stuck on an outside system must not keep the worker from stopping: its outbox rows
        # are leased, so another worker takes them over when the lease ends.
        await asyncio.wait([receiver, ticker], timeout=10)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(broker.shutdown(), timeout=5)
