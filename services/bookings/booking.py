"""Bookings: take places in a slot, read, cancel, confirm a hold, staff decisions, lists.

`actor` is a services.accounts.principal.Principal; under a proxy `actor.acting_for` is the person the
booking is for. Every function that may create or free places takes `cipher` (it signs check-in codes
of bookings offered to the waitlist) and `policies` (services.bookings.policy.BookingPolicies).

  book(*, actor, slot_id, party_size=None, visitors=None, purpose=None, cipher, policies) -> BookingView
  confirm_hold(*, actor, booking_id, cipher, policies) -> BookingView   held -> confirmed
  cancel(*, actor, booking_id, cipher, policies) -> BookingView         frees the places to the waitlist
  decide(*, actor, booking_id, approve, cipher, policies) -> BookingView   staff: requested -> confirmed|denied
  acting_actor(*, actor, booking_id) -> Principal    whom the caller acts as on that booking
  get_booking(*, actor, booking_id) -> BookingView
  list_bookings_for(*, user_id, limit=20, cursor=None) -> Page[BookingView]
  list_bookings_of_resource(*, actor, resource_id, date=None, status=None, limit=20, cursor=None) -> Page

A booking made for someone else belongs to that person: the one who made it reaches it only while a
live proxy grant covering bookings lets them act for that person (`acting_actor` resolves it, and the
HTTP edge records the action in the represented person's proxy log).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.accounts import access, family
from services.accounts.principal import Principal
from services.bookings import admission, enums, ledger, write
from services.bookings.codes import check_in_code_for
from services.bookings.documents import CleanVisitor, Visitor, clean_visitors, index_value
from services.bookings.enums import BookingStatus
from services.bookings.errors import (
    AlreadyBooked,
    BookingNotFound,
    CancellationTooLate,
    HoldExpired,
    IllegalTransition,
    ResourceNotFound,
    SlotFull,
    SlotNotFound,
    VisitorAlreadyEntered,
)
from services.bookings.models import Booking, BookingVisitor, Slot
from services.bookings.policy import BookingPolicies
from services.bookings.resources import is_staff, resource_row, resource_view, slot_row, slot_view
from services.bookings.rules import BookingRules
from services.bookings.views import BookingView
from services.bookings.waitlist import PROXY_SCOPE, release
from services.common import audit, clock, idempotency
from services.common.crypto import mask_id_number, mask_name
from services.common.db import dialect
from services.common.errors import PermissionDenied
from services.common.ids import new_id, parse_id
from services.common.pagination import Page, keyset_page
from services.notifications import service as notifications

__all__ = [
    "acting_actor",
    "booking_row",
    "book",
    "cancel",
    "Prepared",
    "prepare_booking",
    "confirm_hold",
    "decide",
    "get_booking",
    "list_bookings_for",
    "list_bookings_of_resource",
]

_NOTIFY_ON_BOOKING = {
    BookingStatus.CONFIRMED: "notify.booking.confirmed",
    BookingStatus.REQUESTED: "notify.booking.requested",
}


def _initial_status(rules: BookingRules) -> BookingStatus:
    if rules.requires_approval:
        return BookingStatus.REQUESTED
    if rules.hold_minutes > 0:
        return BookingStatus.HELD
    return BookingStatus.CONFIRMED


def _seal(visitor: CleanVisitor, cipher: Any) -> dict[str, Any]:
    index = cipher.blind_index(index_value(visitor), purpose="id_number")
    return {
        "name_enc": cipher.encrypt(visitor.name, context="booking_visitor.name"),
        "id_number_enc": cipher.encrypt(visitor.id_number, context="booking_visitor.id_number"),
        "id_type": visitor.id_type.value,
        "id_index": index,
        "name_masked": mask_name(visitor.name) or "",
        "id_number_masked": mask_id_number(visitor.id_number) or "",
    }


def _slot_full(slot: Slot, places: int, rules: BookingRules, *, remaining: int | None = None) -> SlotFull:
    if remaining is None:
        remaining = max(0, slot.capacity - slot.taken)
    return SlotFull(
        details={"remaining": remaining, "requested": places, "waitlist": rules.waitlist}, remaining=remaining
    )


class Prepared(NamedTuple):
    """What `prepare_booking` read, for `book(prepared=)`: the slot with its resource and the booked
    person's live grants (None: not read yet)."""

    slot: Slot
    grants: Any


async def prepare_booking(
    *,
    actor: Principal,
    slot_id: uuid.UUID | str,
    party_size: int | None = None,
    visitors: Sequence[Visitor] | None = None,
    purpose: Mapping[str, Any] | None = None,
    policies: BookingPolicies,
    record: idempotency.Record | None = None,
) -> Prepared:
    """Every refusal `book` can give before it writes, without writing; what it read, for `book`.

    The HTTP edge calls it before the booking is written, so a refused booking (slot full, level,
    window, ban, cap, a domain guard) costs reads only. `record`: the request's Idempotency-Key; on
    PostgreSQL the same query tells whether it was used (`record.used`), so the edge knows whether a
    refusal may be answered at once or a first answer must be replayed.
    """
    now = clock.now()
    parsed = parse_id(slot_id)
    key = record.scoped_key if record is not None else None
    read = (
        await write.read_for_booking(parsed, dialect=dialect(), subject_id=actor.subject_id, key=key, now=now)
        if parsed
        else None
    )
    if read is None:
        raise SlotNotFound()
    slot = read.slot
    rules = BookingRules.from_value(slot.resource.rules)
    people, places = clean_visitors(visitors, rules, party_size)
    # What the read said about the key holds for refusals drawn from that read only: the admission
    # reads more (bans, the daily cap) after it, and a duplicate may commit in between.
    if record is not None:
        record.used = None
    await admission.admit(
        actor=actor,
        slot=slot,
        places=places,
        purpose=purpose,
        policies=policies,
        now=now,
        visitors=people,
    )
    if record is not None:
        record.used = read.key_used
    if slot.taken + places > slot.capacity:
        # As read a moment ago: a place freed since then is the next caller's (as if they came first).
        raise _slot_full(slot, places, rules)
    return Prepared(slot, read.grants)


async def book(
    *,
    actor: Principal,
    slot_id: uuid.UUID | str,
    party_size: int | None = None,
    visitors: Sequence[Visitor] | None = None,
    purpose: Mapping[str, Any] | None = None,
    cipher: Any,
    policies: BookingPolicies,
    prepared: Prepared | None = None,
    record: idempotency.Record | None = None,
) -> BookingView:
    """Book places in a slot for the actor (or, under a proxy, for `actor.acting_for`).

    `prepared`: `prepare_booking` already read the slot and ran the admission for this request; the
    capacity, the queue and the daily cap are still decided here, by the write. `record`: the request's
    Idempotency-Key, written with its answer (`record.response`) by the booking's own write, so it
    exists exactly when the booking does (`KeyRecorded` when a request with the same key committed
    first). On a refusal `record.used` says whether the key has a record now (None: not known).
    """
    now = clock.now()
    slot = prepared.slot if prepared is not None else await slot_row(slot_id)
    grants = prepared.grants if prepared is not None else None
    resource = slot.resource
    rules = BookingRules.from_value(resource.rules)
    people, places = clean_visitors(visitors, rules, party_size)
    if prepared is None:
        await admission.admit(
            actor=actor,
            slot=slot,
            places=places,
            purpose=purpose,
            policies=policies,
            now=now,
            visitors=people,
        )
        if slot.taken + places > slot.capacity:
            raise _slot_full(slot, places, rules)
    subject_id = actor.subject_id
    # Encrypt before the transaction: keep the write lock as short as possible.
    sealed = [_seal(person, cipher) for person in people]
    status = _initial_status(rules)
    booking_id = new_id()
    after = policies.after_booking_for(resource.owner_domain)
    code = check_in_code_for(booking_id=booking_id, cipher=cipher)
    row = ledger.new_booking(
        slot=slot,
        rules=rules,
        user_id=actor.user_id,
        for_member_id=actor.acting_for,
        party_size=places,
        status=status,
        purpose=purpose,
        check_in_code=code,
        now=now,
        booking_id=booking_id,
    )
    row.slot, row.resource = slot, resource
    kind = _NOTIFY_ON_BOOKING.get(status)
    if record is not None:
        record.used = None
    single = write.one_statement(dialect(), visitors=len(sealed), after=after)
    # Read before any lock is taken (the person's grants, unless `prepared` has them).
    notices = await _notices(kind, row, actor, slot, resource, grants) if single else []
    try:
        if single and not rules.per_person_per_day:
            # The one statement is the whole write: atomic on its own, no transaction.
            return await _write_in_one(
                None, row=row, places=places, rules=rules, notices=notices, record=record, now=now
            )
        async with in_transaction() as conn:
            # SQLite: the first statement is the write (the database lock is taken at once, no
            # read-then-upgrade deadlock). PostgreSQL: the slot's row lock is what every booking of the
            # slot queues on, so it is taken last, just before COMMIT (the booking row's foreign key
            # only takes a KEY SHARE lock on the slot, which does not conflict with the UPDATE).
            take_last = conn.capabilities.dialect.startswith("postgres")
            if rules.per_person_per_day:
                await ledger.lock_person_day(
                    conn, subject_id=subject_id, resource_id=resource.id, day=slot.day
                )
            taken = None if take_last else await write.reserve(conn, slot, places, queue=rules.waitlist)
            if not take_last and taken is None:
                raise SlotFull()
            # Exact: the person's bookings of the day are serialised (advisory lock / database lock).
            await ledger.check_daily_cap(
                conn, subject_id=subject_id, resource_id=resource.id, day=slot.day, rules=rules
            )
            if single:  # PostgreSQL with a daily cap: the one statement, inside the person's lock
                return await _write_in_one(
                    conn, row=row, places=places, rules=rules, notices=notices, record=record, now=now
                )
            view = await _write_in_steps(
                conn,
                row=row,
                slot=slot,
                places=places,
                taken=taken,
                take_last=take_last,
                sealed=sealed,
                rules=rules,
                after=after,
                actor=actor,
                people=people,
                cipher=cipher,
                kind=kind,
                grants=grants,
            )
            if record is not None:
                # Last, after the slot's row lock: the key binds exactly when the booking commits.
                await record.write(view, conn=conn)
    except SlotFull:
        found = await write.slot_now(slot.id, key=record.scoped_key if record is not None else None)
        if record is not None and found is not None:
            record.used = found.key_used
        remaining = max(0, found.capacity - found.taken) if found else 0
        if found and remaining >= places and rules.waitlist:
            remaining = 0  # the places are free but the queue's: someone joined the waitlist
        raise _slot_full(slot, places, rules, remaining=remaining) from None
    except IntegrityError as error:
        text = str(error)
        if "idempotency" in text:
            if record is not None:
                record.used = True
            raise idempotency.KeyRecorded() from error
        if "entry_key" in text:
            raise VisitorAlreadyEntered() from error
        if "taken" in text or "capacity" in text:
            # Capacity lowered concurrently: the CHECK caught what the conditional UPDATE raced with.
            raise SlotFull(
                details={"remaining": 0, "requested": places, "waitlist": rules.waitlist}
            ) from error
        raise AlreadyBooked() from error
    return view


async def _write_in_one(
    conn: Any,
    *,
    row: Booking,
    places: int,
    rules: BookingRules,
    notices: Sequence[Any],
    record: idempotency.Record | None,
    now: dt.datetime,
) -> BookingView:
    """PostgreSQL: the booking's one statement (write.reserve_and_insert); the answer is built from the
    rows in hand, and the key's stored answer is rendered before the statement (its places left are
    filled in by the statement, `Record.live`)."""
    slot = row.slot
    expected = slot.taken + places  # what the statement leaves unless someone booked meanwhile
    slot.taken = expected
    view = ledger.booking_view(row)
    answer = record.render(view) if record is not None else None
    done = await write.reserve_and_insert(
        conn,
        row=row,
        places=places,
        queue=rules.waitlist,
        notices=notices,
        now=now,
        record=record,
        answer=answer,
    )
    if done is None:
        raise SlotFull()
    if done.taken != expected:
        slot.taken = done.taken
        view = ledger.booking_view(row)
        answer = record.render(view) if record is not None else None
    if record is not None:
        # Recovered after a lost answer: the key replays what was stored, so that is the answer.
        record.response = done.stored if done.stored is not None else answer
    return view


async def _notices(
    kind: str | None, row: Booking, actor: Principal, slot: Slot, resource: Any, grants: Any = None
) -> list:
    if kind is None:
        return []
    return await ledger.notices(
        kind=kind,
        booking_id=row.id,
        people=(actor.user_id, row.subject_id),
        resource=resource,
        start=slot.start,
        grants=grants,
    )


async def _write_in_steps(
    conn: Any,
    *,
    row: Booking,
    slot: Slot,
    places: int,
    taken: int | None,
    take_last: bool,
    sealed: list[dict[str, Any]],
    rules: BookingRules,
    after: Any,
    actor: Principal,
    people: Sequence[CleanVisitor],
    cipher: Any,
    kind: str | None,
    grants: Any = None,
) -> BookingView:
    """The booking, its visitors, the owner's after-step and the notices one statement each (SQLite,
    or a booking with visitors or an after-step); on PostgreSQL the places are taken last."""
    resource = row.resource
    await row.save(using_db=conn, force_create=True)
    booked_visitors = []
    for values in sealed:
        booked_visitors.append(
            await BookingVisitor.create(
                booking_id=row.id,
                entry_key=f"{resource.id}:{slot.day.isoformat()}:{values['id_index']}"
                if rules.one_entry_per_visitor_per_day
                else None,
                using_db=conn,
                **values,
            )
        )
    # The answer is built from the rows in hand (no re-read after commit): the slot as this booking
    # leaves it, the booking and its visitors as inserted.
    slot.taken = taken if taken is not None else slot.taken + places
    if after is not None:
        # The owning domain's step (a ticket for the gate) commits with the booking or not at all.
        await after(
            booking=ledger.booking_view(row, booked_visitors),
            resource=resource_view(resource),
            slot=slot_view(slot),
            actor=actor,
            visitors=people,
            conn=conn,
            cipher=cipher,
        )
    for notice in await _notices(kind, row, actor, slot, resource, grants):
        await notifications.write_notice(notice, conn=conn)
    if take_last:
        taken = await write.reserve(conn, slot, places, queue=rules.waitlist)
        if taken is None:
            raise SlotFull()  # everything above rolls back with it
        slot.taken = taken
    return ledger.booking_view(row, booked_visitors)


# ------------------------------------------------------------------------------------------ access


async def booking_row(booking_id: uuid.UUID | str) -> Booking:
    parsed = parse_id(booking_id)
    row = await Booking.get_or_none(id=parsed).select_related("slot", "resource") if parsed else None
    if row is None:
        raise BookingNotFound()
    return row


def _owns(actor: Principal, row: Booking) -> bool:
    """The person the booking is for, or whoever acts for them right now (a live grant, checked by act_for)."""
    if actor.acting_for is not None:
        return actor.acting_for == row.subject_id
    return actor.user_id == row.subject_id


async def acting_actor(*, actor: Principal, booking_id: uuid.UUID | str) -> Principal:
    """Whom `actor` acts as on this booking: itself, or (no header) a proxy of the person it is for.

    Someone who booked for a relative, or holds that relative's grant, reaches the booking through the
    grant only: once it is revoked or has expired the booking is BookingNotFound to them.
    """
    if actor.acting_for is not None:
        return actor
    parsed = parse_id(booking_id)
    found = (
        await Booking.filter(id=parsed).values_list("subject_id", "user_id", "resource_id") if parsed else []
    )
    if not found:
        return actor
    subject_id, _user_id, _resource_id = found[0]
    if subject_id == actor.user_id:
        return actor
    try:
        return await access.act_for(actor=actor, subject=str(subject_id), scope=PROXY_SCOPE)
    except PermissionDenied:
        return actor  # staff, or nobody: the function called next decides


async def get_booking(*, actor: Principal, booking_id: uuid.UUID | str) -> BookingView:
    """The booking if it is for the actor (or whom they act for), or they staff its resource."""
    row = await booking_row(booking_id)
    if not _owns(actor, row) and not is_staff(actor, row.resource):
        raise BookingNotFound()
    return await ledger.view(row.id)


async def cancel(
    *, actor: Principal, booking_id: uuid.UUID | str, cipher: Any, policies: BookingPolicies
) -> BookingView:
    """Cancel before the resource's deadline; the places go to the waitlist in the same transaction."""
    row = await booking_row(booking_id)
    if not _owns(actor, row):
        raise BookingNotFound()
    enums.cancel(row.status)
    rules = BookingRules.from_value(row.resource.rules)
    now = clock.now()
    deadline = row.slot_start - dt.timedelta(minutes=rules.cancel_deadline_minutes)
    if now > deadline:
        raise CancellationTooLate(
            details={"deadline": deadline.isoformat()}, deadline=ledger.local_text(deadline)
        )
    async with in_transaction() as conn:
        await ledger.notify_row(conn, row, "notify.booking.cancelled")
        await release(conn, row, BookingStatus.CANCELLED, cipher=cipher, policies=policies, cancelled_at=now)
    return await ledger.view(row.id)


async def confirm_hold(
    *, actor: Principal, booking_id: uuid.UUID | str, cipher: Any, policies: BookingPolicies
) -> BookingView:
    """held -> confirmed (paid, or a waitlist offer accepted); a hold that ran out is expired instead."""
    row = await booking_row(booking_id)
    if not _owns(actor, row):
        raise BookingNotFound()
    now = clock.now()
    enums.confirm(row.status)
    if row.status == BookingStatus.HELD and row.hold_expires_at and row.hold_expires_at <= now:
        async with in_transaction() as conn:
            await release(conn, row, BookingStatus.EXPIRED, cipher=cipher, policies=policies)
        raise HoldExpired()
    if row.status != BookingStatus.HELD:
        raise IllegalTransition(details={"from": row.status, "to": "confirmed"}, status=row.status)
    async with in_transaction() as conn:
        await ledger.move(conn, row, BookingStatus.CONFIRMED, confirmed_at=now, hold_expires_at=None)
        await ledger.notify_row(conn, row, "notify.booking.confirmed")
    return await ledger.view(row.id)


async def decide(
    *, actor: Principal, booking_id: uuid.UUID | str, approve: bool, cipher: Any, policies: BookingPolicies
) -> BookingView:
    """Staff approve (confirmed) or deny (places go to the waitlist) a booking that requires approval."""
    row = await booking_row(booking_id)
    if not is_staff(actor, row.resource):
        # Staff of another resource, or a citizen: do not reveal the booking exists.
        raise BookingNotFound()
    target = BookingStatus.CONFIRMED if approve else BookingStatus.DENIED
    if row.status != BookingStatus.REQUESTED:
        raise IllegalTransition(details={"from": row.status, "to": target.value}, status=row.status)
    now = clock.now()
    async with in_transaction() as conn:
        if approve:
            await ledger.move(conn, row, target, confirmed_at=now, decided_by_id=actor.user_id)
            await ledger.notify_row(conn, row, "notify.booking.confirmed")
        else:
            await ledger.notify_row(conn, row, "notify.booking.denied")
            await release(conn, row, target, cipher=cipher, policies=policies, decided_by_id=actor.user_id)
        await audit.record(
            "booking.decided",
            actor_id=actor.user_id,
            subject_id=row.subject_id,
            target_type="booking",
            target_id=row.id,
            details={"approve": approve},
            using_db=conn,
        )
    return await ledger.view(row.id)


# -------------------------------------------------------------------------------------------- lists


async def _page(query: Any, *, limit: int, cursor: str | None) -> Page:
    page = await keyset_page(
        query.select_related("slot", "resource"), limit=max(1, min(limit, 100)), cursor=cursor
    )
    rows = page.items
    visitors: dict[uuid.UUID, list[BookingVisitor]] = defaultdict(list)
    for visitor in await BookingVisitor.filter(booking_id__in=[r.id for r in rows]).order_by(
        "created_at", "id"
    ):
        visitors[visitor.booking_id].append(visitor)  # type: ignore[attr-defined]
    items = [ledger.booking_view(r, visitors.get(r.id, [])) for r in rows]
    return Page(items=items, next_cursor=page.next_cursor)


async def list_bookings_for(*, user_id: uuid.UUID, limit: int = 20, cursor: str | None = None) -> Page:
    """Bookings for the user and for the people they act for right now (live grants); newest first.

    A booking the user made for someone whose grant has ended is no longer theirs to see.
    """
    mine = Q(subject_id=user_id)
    represented = await family.represented_subjects(proxy_id=user_id, scope=PROXY_SCOPE)
    if represented:
        mine |= Q(subject_id__in=list(represented))
    return await _page(Booking.filter(mine), limit=limit, cursor=cursor)


async def list_bookings_of_resource(
    *,
    actor: Principal,
    resource_id: uuid.UUID | str,
    date: dt.date | None = None,
    status: BookingStatus | str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """The bookings of a resource, for its staff; newest first."""
    resource = await resource_row(resource_id)
    if not is_staff(actor, resource):
        raise ResourceNotFound()
    query = Booking.filter(resource_id=resource.id)
    if date is not None:
        query = query.filter(visit_date=date)
    if status is not None:
        query = query.filter(status=BookingStatus(status))
    return await _page(query, limit=limit, cursor=cursor)
