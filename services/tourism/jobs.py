"""Tourism's background work: polling the gates for crowd figures."""

from __future__ import annotations

from typing import Any

from services.common.jobs import PeriodicJob
from services.tourism import service

__all__ = ["OUTBOX_HANDLERS", "PERIODIC_JOBS", "poll_crowd", "prune_crowd"]


async def poll_crowd(deps: Any) -> int:
    """Read occupancy from the gate system into the database and refresh the cached crowd documents."""
    if deps.adapters.ticketing is None:
        return 0
    return await service.poll_crowd(gates=deps.adapters.ticketing, redis=deps.redis, keys=deps.keys)


async def prune_crowd(deps: Any) -> int:
    """Keep the crowd history bounded."""
    return await service.prune_crowd_readings()


OUTBOX_HANDLERS: dict[str, Any] = {}
PERIODIC_JOBS = [
    PeriodicJob("tourism.poll_crowd", every_s=30.0, run=poll_crowd),
    PeriodicJob("tourism.prune_crowd", every_s=3600.0, run=prune_crowd),
]
