"""Tourism's background work: polling the gates for crowd figures."""

from __future__ import annotations

from typing import Any

from services.common.jobs import PeriodicJob
from services.tourism import service

__all__ = ["OUTBOX_HANDLERS", "PERIODIC_JOBS", "poll_crowd"]


async def poll_crowd(deps: Any) -> int:
    """Read occupancy from the gate system into the database and refresh the cached crowd documents."""
    if deps.adapters.ticketing is None:
        return 0
    return await service.poll_crowd(gates=deps.adapters.ticketing, redis=deps.redis, keys=deps.keys)


OUTBOX_HANDLERS: dict[str, Any] = {}
PERIODIC_JOBS = [PeriodicJob("tourism.poll_crowd", every_s=30.0, run=poll_crowd)]
