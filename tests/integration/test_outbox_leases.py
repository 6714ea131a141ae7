"""Outbox leases under a slow receiver, and the circuit breaker's calls that never left."""

from __future__ import annotations

import asyncio
import collections

import pytest

from integrations.errors import CircuitOpen
from services.common import outbox
from services.common.models import OutboxMessage, OutboxStatus
from services.common.outbox import DeliveryPolicy, OutboxEvent

pytestmark = pytest.mark.usefixtures("db")


class SlowDepartment:
    """A receiver that takes `delay` per request and notes any event it is sent twice or concurrently."""

    def __init__(self, delay: float):
        self.delay = delay
        self.requests: collections.Counter[str] = collections.Counter()
        self.in_flight: set[str] = set()
        self.overlapping: list[str] = []

    async def __call__(self, event: OutboxEvent, deps: object) -> None:
        self.requests[event.id] += 1
        if event.id in self.in_flight:
            self.overlapping.append(event.id)
        self.in_flight.add(event.id)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight.discard(event.id)


async def test_deliver_due__slow_receiver_gets_each_row_once() -> None:
    # Each request takes longer than the lease itself: a claim of many rows under one lease would
    # let the second worker take over rows that the first still has in its queue (or in flight).
    policy = DeliveryPolicy(max_attempts=5, backoff_base_s=0.0, backoff_cap_s=0.0, lease_s=0.3)
    messages = [await outbox.enqueue(topic="t.slow", payload={"n": n}) for n in range(6)]
    department = SlowDepartment(delay=0.45)

    async def worker(start_after: float) -> None:
        await asyncio.sleep(start_after)
        for _ in range(20):
            await outbox.deliver_due(handlers={"t.slow": department}, deps=None, policy=policy)
            if await OutboxMessage.filter(status=OutboxStatus.DELIVERED).count() == len(messages):
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(asyncio.gather(worker(0.0), worker(0.35), worker(0.7)), timeout=30)
    assert department.overlapping == []
    assert dict(department.requests) == {str(m.id): 1 for m in messages}
    assert await OutboxMessage.filter(status=OutboxStatus.DELIVERED).count() == len(messages)


async def test_deliver_due__circuit_open_does_not_use_an_attempt() -> None:
    message = await outbox.enqueue(topic="t.gov", payload={})
    policy = DeliveryPolicy(max_attempts=2, backoff_base_s=0.0, backoff_cap_s=0.0, lease_s=30)

    async def short_circuited(event: OutboxEvent, deps: object) -> None:
        raise CircuitOpen("gov_platform", "circuit open")

    for _ in range(5):
        await OutboxMessage.filter(id=message.id).update(available_at=message.available_at)
        report = await outbox.deliver_due(handlers={"t.gov": short_circuited}, deps=None, policy=policy)
        assert report.retried == [str(message.id)]
    await message.refresh_from_db()
    # Nothing was sent: the row keeps its whole attempt budget and waits, it is not dead.
    assert message.status is OutboxStatus.PENDING
    assert message.attempts == 0
    assert message.available_at > message.created_at
