"""Transactional outbox: write the message with the change, deliver it at least once, later.

A department being down never loses or rejects a citizen's submission: the row waits, delivery is
retried with exponential backoff, and after `max_attempts` it is parked as `dead` for an operator.
Claiming is a compare-and-set on a per-claim lease token, one row at a time just before it is sent, and
the lease is renewed while the receiver takes its time, so any number of workers on PostgreSQL or SQLite
never deliver one row concurrently, whatever the latency; a row whose worker died is claimed again when
its lease ends. A call the circuit breaker stopped does not count as a delivery attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q

from integrations.errors import CircuitOpen, IntegrationRejected
from services.common import audit, clock, context
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id, parse_id
from services.common.models import OutboxMessage, OutboxStatus
from services.common.pagination import Page, keyset_page

__all__ = [
    "DeliveryPolicy",
    "DeliveryReport",
    "OutboxEvent",
    "OutboxHandler",
    "PermanentFailure",
    "deliver_due",
    "enqueue",
    "list_messages",
    "retry_dead",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """What a handler receives. `id` is the event id receivers deduplicate on."""

    id: str
    topic: str
    payload: dict[str, Any]
    attempt: int
    # The request that created the message and the object it is about (e.g. the case).
    request_id: str | None = None
    aggregate_type: str | None = None
    aggregate_id: str | None = None


OutboxHandler = Callable[[OutboxEvent, Any], Awaitable[None]]


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help; the row goes straight to `dead`."""


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    max_attempts: int = 12
    backoff_base_s: float = 2.0
    backoff_cap_s: float = 3600.0
    lease_s: float = 60.0

    def backoff(self, attempts: int) -> dt.timedelta:
        """Exponential backoff with ±20% jitter so retries from many rows do not stampede."""
        delay = min(self.backoff_cap_s, self.backoff_base_s * (2 ** max(0, attempts - 1)))
        return dt.timedelta(seconds=delay * random.uniform(0.8, 1.2))


@dataclass(slots=True)
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    lost_lease: list[str] = field(default_factory=list)


async def enqueue(
    *,
    topic: str,
    payload: dict[str, Any],
    aggregate_type: str | None = None,
    aggregate_id: str | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> OutboxMessage:
    """Add a message; pass the caller's transaction as `using_db` so both commit or neither does."""
    return await OutboxMessage.create(
        topic=topic,
        payload=payload,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        available_at=clock.now(),
        request_id=context.current().request_id,
        using_db=using_db,
    )


def _due(now: dt.datetime) -> Q:
    return Q(status=OutboxStatus.PENDING, available_at__lte=now) | Q(
        status=OutboxStatus.IN_FLIGHT, lease_until__lt=now
    )


async def _claim_next(
    *, lease_s: float, topics: list[str], skip: set[uuid.UUID]
) -> tuple[OutboxMessage, uuid.UUID] | None:
    """Claim ONE due row (or None). Claiming just before sending keeps a lease from running out
    while the row waits behind others in this worker's queue."""
    for _ in range(5):
        now = clock.now()
        candidates = (
            await OutboxMessage.filter(_due(now), topic__in=topics)
            .exclude(id__in=list(skip))
            .order_by("available_at")
            .limit(8)
            .values_list("id", "attempts")
        )
        if not candidates:
            return None
        for message_id, attempts in candidates:
            token = new_id()
            # Every claim increments `attempts`, so it doubles as the version for a compare-and-set:
            # if another worker claimed the row first, this UPDATE matches nothing.
            updated = await OutboxMessage.filter(_due(now), id=message_id, attempts=attempts).update(
                status=OutboxStatus.IN_FLIGHT,
                lease_token=token,
                lease_until=now + dt.timedelta(seconds=lease_s),
                attempts=F("attempts") + 1,
            )
            if updated == 1:
                return await OutboxMessage.get(id=message_id), token
    return None


class _LeaseLost(Exception):
    """Our lease ended (the database was unreachable for longer than it): stop, another worker owns it."""


async def _send_under_lease(
    handler: OutboxHandler, event: OutboxEvent, deps: Any, mine: Any, lease_s: float
) -> None:
    """Run the handler while renewing the row's lease, so a slow receiver never sees a second sender.

    The renewal is a compare-and-set on our token AND a lease still running: once it has run out,
    another worker may have claimed the row, so we stop instead of sending concurrently.
    """
    send = asyncio.ensure_future(handler(event, deps))
    try:
        while True:
            done, _ = await asyncio.wait({send}, timeout=lease_s / 3)
            if done:
                return send.result()
            now = clock.now()
            renewed = await mine.filter(lease_until__gt=now).update(
                lease_until=now + dt.timedelta(seconds=lease_s)
            )
            if not renewed:
                raise _LeaseLost(event.id)
    finally:
        if not send.done():
            send.cancel()
            with contextlib.suppress(BaseException):
                await send


async def deliver_due(
    *,
    handlers: Mapping[str, OutboxHandler],
    deps: Any,
    policy: DeliveryPolicy | None = None,
    limit: int = 50,
) -> DeliveryReport:
    """Claim due messages one at a time and hand each to its topic's handler; returns what happened."""
    policy = policy or DeliveryPolicy()
    report = DeliveryReport()
    if not handlers:
        return report
    topics = set(handlers)
    seen: set[uuid.UUID] = set()  # each row at most once per call, even when it is due again at once
    for _ in range(limit):
        claimed = (
            await _claim_next(lease_s=policy.lease_s, topics=sorted(topics), skip=seen) if topics else None
        )
        if claimed is None:
            break
        message, token = claimed
        seen.add(message.id)
        event = OutboxEvent(
            id=str(message.id),
            topic=message.topic,
            payload=message.payload,
            attempt=message.attempts,
            request_id=message.request_id,
            aggregate_type=message.aggregate_type,
            aggregate_id=message.aggregate_id,
        )
        mine = OutboxMessage.filter(id=message.id, lease_token=token)
        try:
            await _send_under_lease(handlers[message.topic], event, deps, mine, policy.lease_s)
        except _LeaseLost:
            report.lost_lease.append(event.id)
            log.warning("outbox lease lost", extra={"event_id": event.id, "topic": event.topic})
            continue
        except CircuitOpen as error:
            # Nothing left this process: the breaker stopped the call. Give the attempt back and wait
            # out a backoff step, so an outage never turns a row dead without one real try.
            await mine.update(
                status=OutboxStatus.PENDING,
                attempts=F("attempts") - 1,
                available_at=clock.now() + policy.backoff(max(1, message.attempts - 1)),
                last_error=_describe(error),
                lease_until=None,
            )
            report.retried.append(event.id)
            topics.discard(message.topic)  # the breaker stops this topic's other rows too
            continue
        except (PermanentFailure, IntegrationRejected) as error:
            await mine.update(status=OutboxStatus.DEAD, last_error=_describe(error), lease_until=None)
            report.dead.append(event.id)
            log.warning("outbox message dead", extra={"event_id": event.id, "topic": event.topic})
            continue
        except Exception as error:  # noqa: BLE001 - any handler failure means "try again later"
            dead = message.attempts >= policy.max_attempts
            await mine.update(
                status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
                available_at=clock.now() + policy.backoff(message.attempts),
                last_error=_describe(error),
                lease_until=None,
            )
            (report.dead if dead else report.retried).append(event.id)
            log.info(
                "outbox delivery failed",
                extra={"event_id": event.id, "topic": event.topic, "attempt": message.attempts},
            )
            continue
        done = await mine.update(status=OutboxStatus.DELIVERED, delivered_at=clock.now(), last_error=None)
        (report.delivered if done else report.lost_lease).append(event.id)
    return report


async def retry_dead(message_id: str, *, actor_id: uuid.UUID | None = None) -> OutboxMessage:
    """An operator's retry: a dead (or waiting) message becomes due now with a fresh attempt budget."""
    parsed = parse_id(message_id)
    message = await OutboxMessage.get_or_none(id=parsed) if parsed else None
    if message is None:
        raise NotFound("outbox.not_found")
    if message.status in (OutboxStatus.DELIVERED, OutboxStatus.IN_FLIGHT):
        raise Conflict("outbox.not_retryable", status=message.status.value)
    await OutboxMessage.filter(id=message.id, status=message.status).update(
        status=OutboxStatus.PENDING, attempts=0, available_at=clock.now(), lease_until=None
    )
    await audit.record(
        "outbox.retried",
        actor_id=actor_id,
        target_type="outbox",
        target_id=message.id,
        details={"topic": message.topic},
    )
    await message.refresh_from_db()
    return message


def _describe(error: BaseException) -> str:
    # Error text can echo request bodies; keep it short. Personal data never goes into payload errors
    # because adapters raise typed errors with system/code only.
    return f"{type(error).__name__}: {error}"[:500]


async def list_messages(*, statuses: list[OutboxStatus], limit: int, cursor: str | None) -> Page:
    """Messages in `statuses`, oldest first: what has waited longest is what an operator looks at."""
    return await keyset_page(
        OutboxMessage.filter(status__in=statuses), limit=limit, cursor=cursor, descending=False
    )
