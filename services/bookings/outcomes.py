"""Outcomes an owning domain's outside system reports for bookings of its resources.

A hospital's HIS, not our staff, knows that a patient checked in, did not come, or that the doctor
stopped the clinic. These functions let the owning domain record that through the engine (with the
same compare-and-set status moves, place release and waitlist promotion as everything else) instead
of touching the engine's tables:

  record_outcome(*, booking_id, status, cipher=None, policies=None) -> BookingView | None
                                        checked_in | no_show | cancelled
  close_slot(*, slot_id) -> bool                               no new bookings (existing ones stand)
  statuses(*, booking_ids) -> dict[UUID, BookingStatus]
  bookings_of_domain(*, owner_domain, statuses_in, since) -> list[BookingView]
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from tortoise.transactions import in_transaction

from services.bookings import ledger
from services.bookings.booking import booking_row
from services.bookings.enums import BookingStatus, OwnerDomain, SlotStatus
from services.bookings.errors import IllegalTransition
from services.bookings.models import Booking, Slot
from services.bookings.policy import BookingPolicies
from services.bookings.views import BookingView
from services.bookings.waitlist import release
from services.common import clock

__all__ = ["bookings_of_domain", "close_slot", "record_outcome", "statuses"]

_STAMP = {
    BookingStatus.CHECKED_IN: "checked_in_at",
    BookingStatus.CANCELLED: "cancelled_at",
}


async def record_outcome(
    *,
    booking_id: uuid.UUID | str,
    status: BookingStatus | str,
    cipher: Any = None,
    policies: BookingPolicies | None = None,
) -> BookingView | None:
    """Move a booking as its owner's system reports; None when it already moved elsewhere (a race or a replay).

    A cancellation gives the places back; with `cipher` they are offered to the first waiting person
    in the same transaction, else the periodic promote_waitlists job offers them (meanwhile direct
    bookings cannot take them: the queue has them).
    """
    target = BookingStatus(status)
    if target not in (BookingStatus.CHECKED_IN, BookingStatus.NO_SHOW, BookingStatus.CANCELLED):
        raise IllegalTransition(details={"to": target.value})
    row = await booking_row(booking_id)
    if row.status == target:
        return None
    changes = {_STAMP[target]: clock.now()} if target in _STAMP else {}
    try:
        async with in_transaction() as conn:
            if target is BookingStatus.CANCELLED and cipher is not None:
                await release(
                    conn, row, target, cipher=cipher, policies=policies or BookingPolicies(), **changes
                )
            else:
                await ledger.move(conn, row, target, **changes)
    except IllegalTransition:
        return None
    return await ledger.view(row.id)


async def close_slot(*, slot_id: uuid.UUID | str) -> bool:
    """Close a slot to new bookings; True when it was open."""
    return await Slot.filter(id=slot_id, status=SlotStatus.OPEN).update(status=SlotStatus.CLOSED) == 1


async def statuses(*, booking_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, BookingStatus]:
    """The current status of each booking given."""
    ids = list(booking_ids)
    if not ids:
        return {}
    rows = await Booking.filter(id__in=ids).values_list("id", "status")
    return {booking_id: BookingStatus(status) for booking_id, status in rows}


async def bookings_of_domain(
    *, owner_domain: str, statuses_in: Iterable[BookingStatus | str], since: dt.datetime, limit: int = 500
) -> list[BookingView]:
    """Recent bookings of an owner domain's resources in the given statuses (owner sweepers)."""
    wanted = [BookingStatus(s) for s in statuses_in]
    ids = (
        await Booking.filter(
            resource__owner_domain=OwnerDomain(owner_domain), status__in=wanted, created_at__gte=since
        )
        .order_by("created_at")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [await ledger.view(booking_id) for booking_id in ids]
