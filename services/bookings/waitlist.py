"""Waitlists: queue for a full slot; a freed place goes to the first waiting person first.

  join_waitlist(*, actor, slot_id, party_size=1, purpose=None, policies) -> WaitlistView
  release(conn, row, target, *, cipher, policies, **changes)   cancel/expire/deny + offer, one transaction
  promote_waitlists(*, cipher, policies, now=None) -> int       sweep: offer places that are free

A place given back (cancelled, expired, denied) is offered in the same transaction that frees it,
so no direct booker can take it in between: the first waiting person who still passes admission
(the same `admission.admit` as a booking: level, rules, guards, bans, caps, a live proxy grant)
gets a booking held for them until they confirm it or the offer lapses (`offer_minutes`); a lapsed
offer is expired by the hold job, which offers the place to the next in line the same way. While
anyone waits, direct bookings of the slot are refused (the free places belong to the queue).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from services.accounts import access
from services.accounts.principal import Principal
from services.bookings import admission, ledger
from services.bookings.codes import check_in_code_for
from services.bookings.enums import ACTIVE_STATUSES, BookingStatus, SlotStatus, WaitlistStatus
from services.bookings.errors import AlreadyBooked, AlreadyWaiting, NoWaitlist, SlotHasPlaces
from services.bookings.models import Booking, Slot, WaitlistEntry
from services.bookings.policy import BookingPolicies
from services.bookings.resources import resource_view, slot_row, slot_view
from services.bookings.rules import BookingRules
from services.bookings.views import WaitlistView
from services.common import clock
from services.common.errors import DomainError
from services.common.ids import new_id

__all__ = ["anyone_waiting", "join_waitlist", "offer_places", "promote_waitlists", "release"]

log = logging.getLogger(__name__)

PROXY_SCOPE = "bookings"  # the family-proxy scope that covers bookings


async def _waitlist_view(entry: WaitlistEntry) -> WaitlistView:
    position = None
    if entry.status == WaitlistStatus.WAITING:
        ahead = await WaitlistEntry.filter(
            Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, id__lt=entry.id),
            slot_id=entry.slot_id,  # type: ignore[attr-defined]
            status=WaitlistStatus.WAITING,
        ).count()
        position = ahead + 1
    return WaitlistView(
        id=entry.id,
        slot_id=entry.slot_id,  # type: ignore[attr-defined]
        subject_id=entry.subject_id,
        party_size=entry.party_size,
        status=WaitlistStatus(entry.status),
        position=position,
        booking_id=entry.booking_id,
        created_at=entry.created_at,
    )


async def anyone_waiting(slot_id: uuid.UUID) -> bool:
    """True while someone waits for the slot (its free places then belong to the queue)."""
    return await WaitlistEntry.filter(slot_id=slot_id, status=WaitlistStatus.WAITING).exists()


async def join_waitlist(
    *,
    actor: Principal,
    slot_id: uuid.UUID | str,
    party_size: int = 1,
    purpose: Mapping[str, Any] | None = None,
    policies: BookingPolicies,
) -> WaitlistView:
    """Queue for a full slot (after the same admission as a booking); first come, first served."""
    slot = await slot_row(slot_id)
    rules = BookingRules.from_value(slot.resource.rules)
    if not rules.waitlist or rules.visitors_required:
        # Real-name entries need the visitors at booking time; those resources have no waitlist.
        raise NoWaitlist()
    await admission.admit(
        actor=actor, slot=slot, places=party_size, purpose=purpose, policies=policies, now=clock.now()
    )
    free = slot.capacity - slot.taken
    if free >= party_size and not await anyone_waiting(slot.id):
        raise SlotHasPlaces(details={"remaining": free}, remaining=free)
    if await Booking.filter(
        slot_id=slot.id, subject_id=actor.subject_id, status__in=list(ACTIVE_STATUSES)
    ).exists():
        raise AlreadyBooked()
    try:
        entry = await WaitlistEntry.create(
            slot_id=slot.id,
            user_id=actor.user_id,
            for_member_id=actor.acting_for,
            subject_id=actor.subject_id,
            party_size=party_size,
            purpose=dict(purpose or {}),
        )
    except IntegrityError as error:
        raise AlreadyWaiting() from error
    return await _waitlist_view(entry)


async def _entry_actor(entry: WaitlistEntry) -> Principal:
    """Who the promotion acts as: the person who queued, for the person they queued for (live grant)."""
    actor = await access.load_principal(user_id=entry.user_id)
    if entry.for_member_id is not None and entry.for_member_id != entry.user_id:
        actor = await access.act_for(actor=actor, subject=str(entry.for_member_id), scope=PROXY_SCOPE)
    return actor


async def _drop(conn: Any, entry: WaitlistEntry, reason: str) -> None:
    await (
        WaitlistEntry.filter(id=entry.id, status=WaitlistStatus.WAITING)
        .using_db(conn)
        .update(status=WaitlistStatus.LEFT, updated_at=clock.now())
    )
    log.info("waitlist entry dropped", extra={"entry_id": str(entry.id), "reason": reason})


async def offer_places(conn: Any, *, slot_id: uuid.UUID, cipher: Any, policies: BookingPolicies) -> int:
    """Inside `conn`'s transaction, which already holds the slot row: offer its free places in order.

    Strict FIFO: the first waiting person who still passes admission is offered a held booking; one
    who no longer does (left the community, banned, grant revoked, at the daily cap, booked directly)
    leaves the queue; offering stops at the first one whose party does not fit.
    """
    now = clock.now()
    slot = await Slot.get(id=slot_id).using_db(conn).select_related("resource")
    rules = BookingRules.from_value(slot.resource.rules)
    if not rules.waitlist or slot.status != SlotStatus.OPEN or slot.start <= now:
        return 0
    offered = 0
    while True:
        entry = (
            await WaitlistEntry.filter(slot_id=slot_id, status=WaitlistStatus.WAITING)
            .using_db(conn)
            .order_by("created_at", "id")
            .first()
        )
        if entry is None or slot.capacity - slot.taken < entry.party_size:
            return offered
        try:
            actor = await _entry_actor(entry)
            await admission.admit(
                actor=actor,
                slot=slot,
                places=entry.party_size,
                purpose=entry.purpose,
                policies=policies,
                now=now,
                conn=conn,
            )
            if (
                await Booking.filter(
                    slot_id=slot.id, subject_id=entry.subject_id, status__in=list(ACTIVE_STATUSES)
                )
                .using_db(conn)
                .exists()
            ):
                raise AlreadyBooked()
            if rules.per_person_per_day:
                # Only try the person's lock: we hold the slot row, a booking of theirs may hold the
                # lock and wait for the slot. The count below is then as good as the one in admit().
                await ledger.lock_person_day(
                    conn, subject_id=entry.subject_id, resource_id=slot.resource.id, day=slot.day, wait=False
                )
                await ledger.check_daily_cap(
                    conn, subject_id=entry.subject_id, resource_id=slot.resource.id, day=slot.day, rules=rules
                )
        except DomainError as refused:
            await _drop(conn, entry, type(refused).__name__)
            continue
        if not await ledger.reserve(conn, slot.id, entry.party_size):
            return offered
        booking_id = new_id()
        claimed = (
            await WaitlistEntry.filter(id=entry.id, status=WaitlistStatus.WAITING)
            .using_db(conn)
            .update(status=WaitlistStatus.PROMOTED, booking_id=booking_id, updated_at=now)
        )
        if claimed != 1:  # cannot happen while we hold the slot row; give the places back and look again
            await Slot.filter(id=slot.id).using_db(conn).update(taken=F("taken") - entry.party_size)
            continue
        status = BookingStatus.REQUESTED if rules.requires_approval else BookingStatus.HELD
        hold_until = min(now + dt.timedelta(minutes=rules.offer_minutes), slot.start)
        await ledger.insert_booking(
            conn,
            slot=slot,
            rules=rules,
            user_id=entry.user_id,
            for_member_id=entry.for_member_id,
            party_size=entry.party_size,
            status=status,
            purpose=entry.purpose,
            check_in_code=check_in_code_for(booking_id=booking_id, cipher=cipher),
            now=now,
            booking_id=booking_id,
            hold_until=hold_until,
        )
        slot.taken += entry.party_size
        after = policies.after_booking_for(slot.resource.owner_domain)
        if after is not None:
            await after(
                booking=await ledger.view(booking_id, conn=conn),
                resource=resource_view(slot.resource),
                slot=slot_view(slot),
                actor=actor,
                visitors=(),
                conn=conn,
                cipher=cipher,
            )
        await ledger.notify(
            conn,
            kind="notify.booking.promoted",
            booking_id=booking_id,
            people=(entry.user_id, entry.subject_id),
            resource=slot.resource,
            start=slot.start,
            extra={"until": ledger.local_text(hold_until)},
        )
        offered += 1


async def release(
    conn: Any, row: Booking, target: BookingStatus, *, cipher: Any, policies: BookingPolicies, **changes: Any
) -> int:
    """Move `row` to a releasing status and, in the same transaction, offer its places; offers made."""
    if not await ledger.move(conn, row, target, **changes):
        return 0
    after = policies.after_release_for(row.resource.owner_domain)
    if after is not None:
        await after(booking_id=row.id, status=target, conn=conn)
    return await offer_places(conn, slot_id=row.slot_id, cipher=cipher, policies=policies)  # type: ignore[attr-defined]


async def promote_waitlists(*, cipher: Any, policies: BookingPolicies, now: dt.datetime | None = None) -> int:
    """Sweep: offer places that are free while people wait (capacity raised, a party that now fits)."""
    now = now or clock.now()
    slot_ids = set(
        await WaitlistEntry.filter(
            status=WaitlistStatus.WAITING, slot__start__gt=now, slot__taken__lt=F("slot__capacity")
        ).values_list("slot_id", flat=True)
    )
    offered = 0
    for slot_id in slot_ids:
        async with in_transaction() as conn:
            # Take the slot row first (a no-op write), as a cancellation does, so offers never interleave.
            await Slot.filter(id=slot_id).using_db(conn).update(taken=F("taken"))
            offered += await offer_places(conn, slot_id=slot_id, cipher=cipher, policies=policies)
    return offered
