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

from redis.exceptions import RedisError
from taskiq import AsyncBroker, InMemoryBroker
from taskiq.api import run_receiver_task
from taskiq.exceptions import SendTaskError

from citizen_api.runtime import Runtime
from integrations.http import CallContext, call_context
from services.common.context import RequestContext, request_context
from services.common.contributions import PeriodicJob
from services.common.outbox import DeliveryPolicy, OutboxEvent, OutboxHandler, deliver_due

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


def _traced(handler: OutboxHandler) -> OutboxHandler:
    """Run `handler` with the message's request id and object as the adapters' call context."""

    async def run(event: OutboxEvent, deps: Any) -> None:
        request = request_context.set(RequestContext(request_id=event.request_id))
        call = call_context.set(CallContext(request_id=event.request_id, case_id=event.aggregate_id))
        try:
            await handler(event, deps)
        finally:
            call_context.reset(call)
            request_context.reset(request)

    return run


async def deliver_outbox_once(runtime: Runtime) -> int:
    """Deliver every due outbox message once; returns how many were handled."""
    handlers = {topic: _traced(handler) for topic, handler in runtime.outbox_handlers.items()}
    report = await deliver_due(handlers=handlers, deps=runtime, policy=delivery_policy(runtime))
    return len(report.delivered) + len(report.retried) + len(report.dead)


def _jobs(runtime: Runtime) -> list[PeriodicJob]:
    return [PeriodicJob("outbox.deliver", every_s=1.0, run=deliver_outbox_once), *runtime.periodic_jobs]


class Outage:
    """Logs a dependency's failure once per outage (and its recovery), not once per try."""

    def __init__(self, what: str):
        self.what = what
        self.since: float | None = None

    def down(self, error: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning(f"{self.what} unavailable", extra={"error": type(error).__name__})

    def up(self) -> None:
        if self.since is not None:
            log.info(
                f"{self.what} available again", extra={"outage_s": round(time.monotonic() - self.since, 1)}
            )
            self.since = None


# BRPOP waits at most this long, so a socket timeout above it tells a frozen Redis from an empty queue.
_RECEIVE_WAIT_S = 1
_BACKOFF_MAX_S = 5.0


def _redis_broker(runtime: Runtime) -> AsyncBroker:
    from taskiq_redis import ListQueueBroker

    class ReceiverWithBackoff(ListQueueBroker):
        """taskiq-redis's list queue, but a Redis outage pauses the receiver instead of spinning.

        The stock `listen` retries at once and logs every failure (thousands of lines a second).
        """

        async def listen(self):  # type: ignore[override]
            from redis.asyncio import Redis

            outage = Outage("redis (task queue)")
            delay = 0.1
            while True:
                try:
                    async with Redis(connection_pool=self.connection_pool) as conn:
                        popped = await conn.brpop([self.queue_name], timeout=_RECEIVE_WAIT_S)
                except (RedisError, OSError) as error:
                    outage.down(error)
                    await asyncio.sleep(delay)
                    delay = min(_BACKOFF_MAX_S, delay * 2)
                    continue
                outage.up()
                delay = 0.1
                if popped is not None:
                    yield popped[1]

    return ReceiverWithBackoff(
        runtime.settings.redis_url,
        queue_name=runtime.keys("taskiq", "queue"),
        socket_timeout=_RECEIVE_WAIT_S + 2,
        socket_connect_timeout=0.25,
    )


def build_broker(runtime: Runtime) -> AsyncBroker:
    """The taskiq broker with one task per periodic job, each bound to this process's runtime."""
    if runtime.settings.redis_url:
        broker: AsyncBroker = _redis_broker(runtime)
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


async def _claim_period(runtime: Runtime, job: PeriodicJob, *, outage: Outage | None = None) -> bool:
    """True for exactly one process per job and period."""
    outage = outage or Outage("redis (periodic claims)")
    period = math.floor(time.time() / job.every_s)
    key = runtime.keys("periodic", job.name, period)
    try:
        claimed = bool(await runtime.redis.set(key, b"1", nx=True, px=int(job.every_s * 2000)))
    except (RedisError, OSError) as error:  # Redis down: run locally rather than stop the city's jobs
        outage.down(error)
        return True
    outage.up()
    return claimed


async def run_ticker(runtime: Runtime, *, broker: AsyncBroker | None = None) -> None:
    """Forever: enqueue each periodic job once per period. Runs in-process when `broker` is None."""
    jobs = _jobs(runtime)
    broker = broker or build_broker(runtime)
    if isinstance(broker, InMemoryBroker):
        await broker.startup()
    tick = min([runtime.settings.worker_tick_s, *[job.every_s for job in jobs]])
    last_run: dict[str, float] = {}
    claims, queue = Outage("redis (periodic claims)"), Outage("redis (task queue); running jobs locally")
    # Jobs run here while the queue is unreachable: the outbox keeps delivering through a Redis outage.
    local: dict[str, asyncio.Task[Any]] = {}
    me = asyncio.current_task()
    try:
        while True:
            # taskiq's receiver catches BaseException around a job, so a cancellation (shutdown) that
            # lands while the in-memory broker runs a job inline is swallowed there: honour it here.
            if me is not None and me.cancelling():
                raise asyncio.CancelledError
            now = time.monotonic()
            for job in jobs:
                if now - last_run.get(job.name, -math.inf) < job.every_s:
                    continue
                last_run[job.name] = now
                if await _claim_period(runtime, job, outage=claims):
                    task = broker.find_task(job.name)
                    if task is None:
                        continue
                    try:
                        await task.kiq()
                    except (SendTaskError, RedisError, OSError) as error:
                        queue.down(error)
                        running = local.get(job.name)
                        if running is None or running.done():
                            local[job.name] = asyncio.create_task(_bind(job, runtime)())
                    else:
                        queue.up()
            await asyncio.sleep(tick)
    finally:
        # Stopping: jobs still running here are cancelled, not waited for (a job mirroring a sandbox of
        # this very server would outlive the stop grace). Jobs are idempotent and leased: the next
        # round takes them up again. The in-memory broker runs each kicked job in a task of its own.
        running = [*local.values(), *getattr(broker, "_running_tasks", ())]
        for job_task in running:
            job_task.cancel()
        if running:
            await asyncio.wait(running, timeout=5)
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
