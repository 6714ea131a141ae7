"""Tourism's background work: polling the gates for crowd figures."""

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


async def issue_ticket(event: OutboxEvent, deps: Deps) -> None:
    """Deliver a queued ticket to the ticketing system (outbox topic tourism.ticket_issue)."""
    await entry.deliver_ticket(
        event_id=event.id, payload=event.payload, gates=deps.adapters.ticketing, cipher=deps.cipher
    )


async def roll_entry_slots(deps: Deps) -> int:
    """Keep a week of entry slots ahead for every scenic area."""
    return await entry.set_up_all()


async def sweep_tickets(deps: Deps) -> int:
    """Queue tickets for entry bookings made through the generic booking route; void cancelled ones."""
    queued = await entry.queue_missing_tickets(cipher=deps.cipher)
    if deps.adapters.ticketing is not None:
        queued += await entry.void_released_tickets(gates=deps.adapters.ticketing)
    return queued


OUTBOX_HANDLERS: dict[str, Any] = {"tourism.ticket_issue": issue_ticket}
PERIODIC_JOBS = [
    PeriodicJob("tourism.roll_entry_slots", every_s=3600.0, run=roll_entry_slots),
    PeriodicJob("tourism.poll_crowd", every_s=30.0, run=poll_crowd),
    PeriodicJob("tourism.sweep_tickets", every_s=60.0, run=sweep_tickets),
    PeriodicJob("tourism.prune_crowd", every_s=3600.0, run=prune_crowd),
]
