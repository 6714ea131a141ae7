"""Periodic work of the booking engine, run by `citizen-api worker` (or in-process when embedded)."""

from __future__ import annotations

from typing import Any

from services.bookings import upkeep, waitlist
from services.common import idempotency
from services.common.contributions import PeriodicJob
from services.deps import Deps

__all__ = ["OUTBOX_HANDLERS", "PERIODIC_JOBS"]


async def expire_holds(deps: Deps) -> int:
    """Holds and waitlist offers that ran out give their places to the next waiting person."""
    return await upkeep.expire_holds(cipher=deps.cipher, policies=deps.booking_policies)


async def promote_waitlists(deps: Deps) -> int:
    """Offer places that are free while people wait (capacity raised, a party that now fits)."""
    return await waitlist.promote_waitlists(cipher=deps.cipher, policies=deps.booking_policies)


async def mark_no_shows(deps: Deps) -> int:
    """Confirmed bookings whose slot ended without a check-in become no-shows (strikes)."""
    return await upkeep.mark_no_shows(policies=deps.booking_policies)


async def send_reminders(deps: Deps) -> int:
    """The day-before reminder, once per booking."""
    return await upkeep.send_reminders()


async def roll_slots(deps: Deps) -> int:
    """Keep slots generated across every resource's advance-booking window."""
    return await upkeep.roll_slots()


async def purge_idempotency_keys(deps: Deps) -> int:
    """Idempotency records are kept 24 hours."""
    return await idempotency.purge_expired()


OUTBOX_HANDLERS: dict[str, Any] = {}

PERIODIC_JOBS = [
    PeriodicJob("bookings.expire_holds", every_s=30, run=expire_holds),
    PeriodicJob("bookings.promote_waitlists", every_s=60, run=promote_waitlists),
    PeriodicJob("bookings.mark_no_shows", every_s=300, run=mark_no_shows),
    PeriodicJob("bookings.send_reminders", every_s=600, run=send_reminders),
    PeriodicJob("bookings.roll_slots", every_s=3600, run=roll_slots),
    PeriodicJob("bookings.purge_idempotency_keys", every_s=3600, run=purge_idempotency_keys),
]
