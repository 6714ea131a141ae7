"""Tourism's background work: crowd polling, entry slots, and ticket delivery to the gate system."""

from __future__ import annotations

from typing import Any

from services.common.contributions import PeriodicJob
from services.common.outbox import OutboxEvent
from services.deps import Deps
from services.tourism import entry, service

__all__ = [
    "OUTBOX_HANDLERS",
    "PERIODIC_JOBS",
    "issue_ticket",
    "poll_crowd",
    "prune_crowd",
    "roll_entry_slots",
]


async def poll_crowd(deps: Deps) -> int:
    """Read occupancy from the gate system into the database and refresh the cached crowd documents."""
    if deps.adapters.ticketing is None:
        return 0
    return await service.poll_crowd(gates=deps.adapters.ticketing, redis=deps.redis, keys=deps.keys)


async def prune_crowd(deps: Deps) -> int:
    """Keep the crowd history bounded."""
    return await service.prune_crowd_readings()


async def issue_ticket(event: OutboxEvent, deps: Any) -> None:
    """Deliver a queued ticket to the ticketing system (outbox topic tourism.ticket_issue)."""
    await entry.deliver_ticket(
        event_id=event.id, payload=event.payload, gates=deps.adapters.ticketing, cipher=deps.cipher
    )


async def roll_entry_slots(deps: Deps) -> int:
    """Keep a week of entry slots ahead for every scenic area."""
    return await entry.set_up_all()


OUTBOX_HANDLERS: dict[str, Any] = {entry.TICKET_TOPIC: issue_ticket}  # voiding: privacy.OUTBOX_HANDLERS
PERIODIC_JOBS = [
    PeriodicJob("tourism.roll_entry_slots", every_s=3600.0, run=roll_entry_slots),
    PeriodicJob("tourism.poll_crowd", every_s=30.0, run=poll_crowd),
    PeriodicJob("tourism.prune_crowd", every_s=3600.0, run=prune_crowd),
]
