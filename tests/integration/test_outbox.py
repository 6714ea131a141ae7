"""The outbox: nothing lost, delivered at least once, never concurrently, dead-lettered visibly."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from tortoise.transactions import in_transaction

from integrations.errors import IntegrationRejected, IntegrationUnavailable
from services.common import clock, outbox
from services.common.models import OutboxMessage, OutboxStatus
from services.common.outbox import DeliveryPolicy, OutboxEvent, PermanentFailure

pytestmark = pytest.mark.usefixtures("db")

FAST = DeliveryPolicy(max_attempts=3, backoff_base_s=0.0, backoff_cap_s=0.0, lease_s=30)


class Recorder:
    """A department that records what it received and can fail on demand."""

    def __init__(self, failures: int = 0, error: Exception | None = None, delay: float = 0.0):
        self.received: list[OutboxEvent] = []
        self.failures = failures
        self.error = error or IntegrationUnavailable("gov_platform", "down")
        self.delay = delay

    async def __call__(self, event: OutboxEvent, deps: object) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures > 0:
            self.failures -= 1
            raise self.error
        self.received.append(event)


async def _make_due(message_id) -> None:
    await OutboxMessage.filter(id=message_id).update(available_at=clock.now() - dt.timedelta(seconds=1))


async def test_enqueue__rolled_back_with_the_caller_transaction() -> None:
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await outbox.enqueue(topic="t.x", payload={"a": 1}, using_db=conn)
            raise RuntimeError("the domain write failed")
    assert await OutboxMessage.all().count() == 0


async def test_deliver_due__delivers_once_with_event_id() -> None:
    message = await outbox.enqueue(topic="t.x", payload={"case": "c1"})
    handler = Recorder()
    report = await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=FAST)
    assert report.delivered == [str(message.id)]
    assert [(e.id, e.payload) for e in handler.received] == [(str(message.id), {"case": "c1"})]
    await message.refresh_from_db()
    assert message.status is OutboxStatus.DELIVERED and message.delivered_at is not None
    again = await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=FAST)
    assert again.delivered == [] and len(handler.received) == 1


async def test_deliver_due__retries_with_backoff_then_succeeds() -> None:
    message = await outbox.enqueue(topic="t.x", payload={})
    handler = Recorder(failures=2)
    policy = DeliveryPolicy(max_attempts=5, backoff_base_s=60, backoff_cap_s=600, lease_s=30)
    first = await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=policy)
    assert first.retried == [str(message.id)]
    await message.refresh_from_db()
    assert message.status is OutboxStatus.PENDING and message.attempts == 1
    assert "IntegrationUnavailable" in (message.last_error or "")
    # Backoff: not due again until its time comes.
    assert message.available_at > clock.now() + dt.timedelta(seconds=40)
    assert (await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=policy)).retried == []
    await _make_due(message.id)
    await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=policy)
    await _make_due(message.id)
    last = await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=policy)
    assert last.delivered == [str(message.id)]
    await message.refresh_from_db()
    assert message.attempts == 3 and message.status is OutboxStatus.DELIVERED


async def test_deliver_due__dead_letter_after_max_attempts_then_operator_retry() -> None:
    message = await outbox.enqueue(topic="t.x", payload={})
    handler = Recorder(failures=10)
    for _ in range(FAST.max_attempts):
        await _make_due(message.id)
        await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=FAST)
    await message.refresh_from_db()
    assert message.status is OutboxStatus.DEAD and message.attempts == FAST.max_attempts
    retried = await outbox.retry_dead(str(message.id))
    assert retried.status is OutboxStatus.PENDING and retried.attempts == 0
    handler.failures = 0
    report = await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=FAST)
    assert report.delivered == [str(message.id)]


@pytest.mark.parametrize("error", [PermanentFailure("bad data"), IntegrationRejected("gov_platform", "400")])
async def test_deliver_due__permanent_failure_goes_straight_to_dead(error: Exception) -> None:
    message = await outbox.enqueue(topic="t.x", payload={})
    report = await outbox.deliver_due(
        handlers={"t.x": Recorder(failures=1, error=error)}, deps=None, policy=FAST
    )
    assert report.dead == [str(message.id)]
    await message.refresh_from_db()
    assert message.status is OutboxStatus.DEAD


async def test_deliver_due__two_workers_never_deliver_one_row_concurrently() -> None:
    messages = [await outbox.enqueue(topic="t.x", payload={"n": n}) for n in range(20)]
    handler = Recorder(delay=0.01)
    reports = await asyncio.gather(
        *[outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=FAST) for _ in range(4)]
    )
    delivered = [event_id for report in reports for event_id in report.delivered]
    assert sorted(delivered) == sorted(str(m.id) for m in messages)
    assert len(handler.received) == len(messages)  # nobody delivered a row another worker held


async def test_deliver_due__row_of_a_dead_worker_is_redelivered_after_its_lease() -> None:
    message = await outbox.enqueue(topic="t.x", payload={})
    # A worker claimed the row and died: in flight, lease already over.
    await OutboxMessage.filter(id=message.id).update(
        status=OutboxStatus.IN_FLIGHT, attempts=1, lease_until=clock.now() - dt.timedelta(seconds=1)
    )
    handler = Recorder()
    report = await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=FAST)
    assert report.delivered == [str(message.id)]
    # A live lease is respected.
    other = await outbox.enqueue(topic="t.x", payload={})
    await OutboxMessage.filter(id=other.id).update(
        status=OutboxStatus.IN_FLIGHT, attempts=1, lease_until=clock.now() + dt.timedelta(seconds=60)
    )
    assert (await outbox.deliver_due(handlers={"t.x": handler}, deps=None, policy=FAST)).delivered == []


async def test_deliver_due__topics_without_handler_wait() -> None:
    await outbox.enqueue(topic="t.unknown", payload={})
    report = await outbox.deliver_due(handlers={"t.x": Recorder()}, deps=None, policy=FAST)
    assert report.delivered == [] and await OutboxMessage.filter(status=OutboxStatus.PENDING).count() == 1


async def test_retry_dead__refuses_delivered_and_unknown() -> None:
    from services.common.errors import Conflict, NotFound

    message = await outbox.enqueue(topic="t.x", payload={})
    await outbox.deliver_due(handlers={"t.x": Recorder()}, deps=None, policy=FAST)
    with pytest.raises(Conflict):
        await outbox.retry_dead(str(message.id))
    with pytest.raises(NotFound):
        await outbox.retry_dead("not-a-uuid")
