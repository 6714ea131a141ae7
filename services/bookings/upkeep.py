"""The engine's periodic work (run by services/bookings/jobs.py in the worker).

expire_holds(*, cipher, policies, now=None)  holds and waitlist offers that ran out; places to the next
mark_no_shows(*, policies, now=None)         confirmed bookings whose slot ended without a check-in
send_reminders(*, now=None)                  the day-before reminder, once per booking
roll_slots(*, today=None)                    slots generated across every resource's booking window
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tortoise.transactions import in_transaction

from services.bookings import ledger
from services.bookings.enums import BookingStatus
from services.bookings.errors import IllegalTransition
from services.bookings.models import Booking, Resource
from services.bookings.policy import BookingPolicies
from services.bookings.resources import generate_slots
from services.bookings.rules import BookingRules
from services.bookings.waitlist import release
from services.common import clock

__all__ = ["expire_holds", "mark_no_shows", "roll_slots", "send_reminders"]

_NO_SHOW_GRACE = dt.timedelta(minutes=30)


async def expire_holds(
    *, cipher: Any, policies: BookingPolicies, now: dt.datetime | None = None, batch: int = 200
) -> int:
    """Expire holds that ran out; each one's places go to the next waiting person in the same transaction."""
    now = now or clock.now()
    rows = (
        await Booking.filter(status=BookingStatus.HELD, hold_expires_at__lte=now)
        .select_related("resource")
        .limit(batch)
    )
    expired = 0
    for row in rows:
        try:
            async with in_transaction() as conn:
                await release(conn, row, BookingStatus.EXPIRED, cipher=cipher, policies=policies)
        except IllegalTransition:
            continue  # confirmed or cancelled meanwhile
        expired += 1
    return expired


async def mark_no_shows(
    *,
    policies: BookingPolicies | None = None,
    now: dt.datetime | None = None,
    grace: dt.timedelta = _NO_SHOW_GRACE,
) -> int:
    """Confirmed bookings whose slot ended (plus a grace period) without a check-in become no-shows.

    When the resource's owner declares `attendance` (a hospital's HIS knows who checked in), the owner
    decides: its "no_show" and "checked_in" are applied, and a booking it has no word on yet stays
    confirmed (a patient seen at the hospital must never get a strike from our guess).
    """
    now = now or clock.now()
    policies = policies or BookingPolicies()
    rows = (
        await Booking.filter(status=BookingStatus.CONFIRMED, slot_end__lte=now - grace)
        .select_related("resource")
        .order_by("slot_end")
        .limit(500)
    )
    targets: dict[uuid.UUID, BookingStatus] = {}
    by_owner: dict[str, list[Booking]] = {}
    for row in rows:
        by_owner.setdefault(str(row.resource.owner_domain), []).append(row)
    for owner, owned in by_owner.items():
        decide = policies.attendance_for(owner)
        if decide is None:
            targets |= {row.id: BookingStatus.NO_SHOW for row in owned}
            continue
        said = await decide(booking_ids=[row.id for row in owned])
        for row in owned:
            verdict = said.get(row.id)
            if verdict in (BookingStatus.NO_SHOW.value, BookingStatus.CHECKED_IN.value):
                targets[row.id] = BookingStatus(verdict)
    marked = 0
    for row in rows:
        target = targets.get(row.id)
        if target is None:
            continue
        changes = {"checked_in_at": clock.now()} if target is BookingStatus.CHECKED_IN else {}
        try:
            async with in_transaction() as conn:
                await ledger.move(conn, row, target, **changes)
        except IllegalTransition:
            continue
        marked += target is BookingStatus.NO_SHOW
    return marked


async def send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind everyone with a confirmed booking tomorrow (local date), once each; returns how many."""
    now = now or clock.now()
    tomorrow = clock.local_date(now) + dt.timedelta(days=1)
    ids: list[uuid.UUID] = await Booking.filter(
        status=BookingStatus.CONFIRMED, visit_date=tomorrow, reminded_at__isnull=True
    ).values_list("id", flat=True)
    sent = 0
    for booking_id in ids:
        async with in_transaction() as conn:
            # Claim the reminder with the inbox write so two workers never both send it.
            claimed = (
                await Booking.filter(id=booking_id, reminded_at__isnull=True)
                .using_db(conn)
                .update(reminded_at=now)
            )
            if claimed != 1:
                continue
            row = await Booking.get(id=booking_id).using_db(conn).select_related("resource")
            await ledger.notify_row(conn, row, "notify.booking.reminder")
        sent += 1
    return sent


async def roll_slots(*, today: dt.date | None = None) -> int:
    """Keep every active resource's slots generated across its advance-booking window."""
    today = today or clock.local_date()
    created = 0
    for row in await Resource.filter(active=True):
        if not row.openings:
            continue
        rules = BookingRules.from_value(row.rules)
        created += await generate_slots(resource_id=row.id, start=today, days=rules.advance_days + 1)
    return created
