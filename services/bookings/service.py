"""The booking engine: one way to book anything bookable in the city.

Owning domains (gov halls, tourism entry, community events, care) describe their bookable things as
resources and build on these keyword-only functions:

Resources and slots
  ensure_resource(*, owner_domain, owner_ref, name, staff_role, staff_scope="", rules=None, openings=None,
                  active=True) -> ResourceView            idempotent upsert keyed by (owner_domain, owner_ref)
  get_resource(*, resource_id) -> ResourceView
  find_resource(*, owner_domain, owner_ref) -> ResourceView | None
  generate_slots(*, resource_id, start, days, openings=None) -> int   slots from weekly openings (holiday-aware)
  create_slot(*, resource_id, start, end, capacity, label=None) -> SlotView   a one-off slot (an event)
  get_slot(*, slot_id) -> SlotView
  list_slots(*, resource_id, date) -> list[SlotView]    a local day's slots; SlotView.remaining

Bookings (`actor` is a services.accounts.principal.Principal; under a proxy `actor.acting_for` is the
person the booking is for)
  book(*, actor, slot_id, party_size=None, visitors=None, purpose=None, cipher) -> BookingView
  confirm_hold(*, actor, booking_id) -> BookingView     held -> confirmed (e.g. after payment)
  cancel(*, actor, booking_id) -> BookingView           frees the places, promotes the waitlist
  check_in(*, actor, code, cipher=None, booking_id=None) -> BookingView   staff of the resource
  decide(*, actor, booking_id, approve) -> BookingView  staff: requested -> confirmed | denied
  join_waitlist(*, actor, slot_id, party_size=1, purpose=None) -> WaitlistView
  get_booking(*, actor, booking_id) -> BookingView      booker, the person it is for, their proxy, or staff
  list_bookings_for(*, user_id, limit=20, cursor=None) -> Page[BookingView]   mine and those made for me
  list_bookings_of_resource(*, actor, resource_id, date=None, status=None, limit=20, cursor=None) -> Page
  check_in_code_for(*, booking_id, cipher) -> str       the signed code (for tests and re-issuing)

Guards
  register_guard(owner_domain, fn)   fn(*, resource, slot, actor) -> None raising a DomainError to veto
                                     a booking (tourism: no entry while the area is at red crowd level)

Periodic work (services/bookings/jobs.py)
  expire_holds(*, now=None), mark_no_shows(*, now=None), send_reminders(*, now=None), roll_slots(*, today=None),
  promote_waitlists(*, cipher=None) — the sweeper that finishes promotions a crash interrupted

Capacity is only ever taken by one conditional UPDATE (`taken = taken + n WHERE taken + n <= capacity`)
in the same transaction as the booking insert, and a CHECK constraint (triggers on SQLite) backs it, so
no number of processes can overbook. Errors are in services/bookings/errors.py.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any, Protocol

import holidays
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from services.accounts import family
from services.accounts.enums import FamilyGrantStatus, Role, VerificationLevel
from services.accounts.principal import Principal
from services.bookings import enums
from services.bookings.enums import ACTIVE_STATUSES, BookingStatus, OwnerDomain, SlotStatus, WaitlistStatus
from services.bookings.errors import (
    AlreadyBooked,
    AlreadyWaiting,
    BadCheckInCode,
    BadPartySize,
    BookingBanned,
    BookingNotFound,
    CancellationTooLate,
    CheckInNotOpen,
    DailyCapReached,
    HoldExpired,
    IllegalTransition,
    NotStaff,
    NoWaitlist,
    OutsideBookingWindow,
    ResourceNotFound,
    SlotClosed,
    SlotExists,
    SlotFull,
    SlotHasPlaces,
    SlotNotFound,
    VisitorAlreadyEntered,
    VisitorsInvalid,
)
from services.bookings.models import Booking, BookingVisitor, Resource, Slot, WaitlistEntry
from services.bookings.rules import BookingRules, Opening
from services.bookings.views import BookingView, ResourceView, SlotView, VisitorView, WaitlistView
from services.common import audit, clock
from services.common.crypto import mask_id_number, mask_name
from services.common.errors import InvalidInput, VerificationRequired
from services.common.idcard import is_valid_id_number, normalize_id_number
from services.common.ids import new_id, parse_id
from services.common.pagination import Page, keyset_page
from services.notifications import service as notifications

__all__ = [
    "Guard",
    "Visitor",
    "book",
    "cancel",
    "check_in",
    "check_in_code_for",
    "clear_guards",
    "confirm_hold",
    "create_slot",
    "decide",
    "ensure_resource",
    "expire_holds",
    "find_resource",
    "generate_slots",
    "get_booking",
    "get_resource",
    "get_slot",
    "join_waitlist",
    "list_bookings_for",
    "list_bookings_of_resource",
    "list_slots",
    "mark_no_shows",
    "promote_waitlists",
    "register_guard",
    "roll_slots",
    "send_reminders",
    "use_cipher",
]

log = logging.getLogger(__name__)

Guard = Callable[..., Awaitable[None]]
_GUARDS: dict[OwnerDomain, list[Guard]] = defaultdict(list)

_CODE_PREFIX = "JYB1"
_CODE_MAC_BYTES = 8
_NEXT_STEP = {VerificationLevel.PHONE: "/api/v1/me/phone", VerificationLevel.REAL_NAME: "/api/v1/me/identity"}
_NO_SHOW_GRACE = dt.timedelta(minutes=30)
_PROXY_SCOPE = "bookings"  # the family-proxy scope that covers bookings


class Visitor(Protocol):
    """A real-name visitor as callers pass it (a pydantic model or any object with these attributes)."""

    name: str
    id_number: str


class _Cipher(Protocol):
    def encrypt(self, plaintext: str, *, context: str = "") -> str: ...
    def blind_index(self, value: str, *, purpose: str) -> str: ...


# --------------------------------------------------------------------------------------------- guards


def register_guard(owner_domain: OwnerDomain | str, fn: Guard) -> None:
    """Let `owner_domain` veto bookings of its resources: `await fn(resource=, slot=, actor=)` may raise."""
    domain = OwnerDomain(owner_domain)
    if fn not in _GUARDS[domain]:
        _GUARDS[domain].append(fn)


def clear_guards(owner_domain: OwnerDomain | str | None = None) -> None:
    """Forget registered guards (tests)."""
    if owner_domain is None:
        _GUARDS.clear()
    else:
        _GUARDS.pop(OwnerDomain(owner_domain), None)


# ------------------------------------------------------------------------------------------ resources


def _resource_view(row: Resource) -> ResourceView:
    return ResourceView(
        id=row.id,
        owner_domain=OwnerDomain(row.owner_domain),
        owner_ref=row.owner_ref,
        name=dict(row.name or {}),
        staff_role=row.staff_role,
        staff_scope=row.staff_scope,
        rules=BookingRules.from_value(row.rules),
        openings=tuple(Opening.from_value(o) for o in row.openings or []),
        active=row.active,
    )


async def ensure_resource(
    *,
    owner_domain: OwnerDomain | str,
    owner_ref: str,
    name: Mapping[str, str],
    staff_role: Role | str,
    staff_scope: str = "",
    rules: BookingRules | Mapping[str, Any] | None = None,
    openings: Sequence[Opening | Mapping[str, Any]] | None = None,
    active: bool = True,
) -> ResourceView:
    """Create or update the resource of (owner_domain, owner_ref); safe to call on every seed/startup."""
    domain = OwnerDomain(owner_domain)
    parsed_rules = BookingRules.from_value(rules)
    VerificationLevel(parsed_rules.min_level)  # refuse an unknown level now, not at booking time
    values = {
        "name": dict(name),
        "staff_role": Role(staff_role).value,
        "staff_scope": staff_scope,
        "rules": parsed_rules.as_dict(),
        "openings": [Opening.from_value(o).as_dict() for o in openings or []],
        "active": active,
    }
    row = await Resource.get_or_none(owner_domain=domain, owner_ref=owner_ref)
    if row is None:
        try:
            row = await Resource.create(owner_domain=domain, owner_ref=owner_ref, **values)
        except IntegrityError:
            # Another process created it between our read and insert: update that one instead.
            row = await Resource.get(owner_domain=domain, owner_ref=owner_ref)
    await Resource.filter(id=row.id).update(**values)
    await row.refresh_from_db()
    return _resource_view(row)


async def _resource_row(resource_id: uuid.UUID | str) -> Resource:
    parsed = parse_id(resource_id)
    row = await Resource.get_or_none(id=parsed) if parsed else None
    if row is None:
        raise ResourceNotFound()
    return row


async def get_resource(*, resource_id: uuid.UUID | str) -> ResourceView:
    """The resource, or ResourceNotFound."""
    return _resource_view(await _resource_row(resource_id))


async def find_resource(*, owner_domain: OwnerDomain | str, owner_ref: str) -> ResourceView | None:
    """The resource an owning domain registered for `owner_ref`, if any."""
    row = await Resource.get_or_none(owner_domain=OwnerDomain(owner_domain), owner_ref=owner_ref)
    return _resource_view(row) if row else None


# -------------------------------------------------------------------------------------------- slots


def _slot_view(row: Slot) -> SlotView:
    return SlotView(
        id=row.id,
        resource_id=row.resource_id,  # type: ignore[attr-defined]
        start=row.start,
        end=row.end,
        day=row.day,
        capacity=row.capacity,
        taken=row.taken,
        status=SlotStatus(row.status),
        label=row.label,
    )


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> holidays.HolidayBase:
    return holidays.China(years=year)


def _opening_applies(opening: Opening, day: dt.date) -> bool:
    if opening.days == "working":
        return clock.is_working_day(day)
    if day.weekday() not in opening.days:
        return False
    return not (opening.skip_holidays and day in _public_holidays(day.year))


def _local(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=clock.CITY_TZ).astimezone(dt.UTC)


async def generate_slots(
    *,
    resource_id: uuid.UUID | str,
    start: dt.date,
    days: int,
    openings: Sequence[Opening | Mapping[str, Any]] | None = None,
) -> int:
    """Create the slots of `days` local days from `start` (default: the resource's openings); returns how many.

    Idempotent: existing slots (same resource and start) are left alone, so it can run daily.
    """
    resource = await _resource_row(resource_id)
    chosen = [Opening.from_value(o) for o in (openings if openings is not None else resource.openings or [])]
    wanted: list[Slot] = []
    for offset in range(max(0, days)):
        day = start + dt.timedelta(days=offset)
        for opening in chosen:
            if not _opening_applies(opening, day):
                continue
            begin = _local(day, opening.start)
            close = _local(day, opening.end)
            step = dt.timedelta(minutes=opening.slot_minutes)
            while begin + step <= close:
                wanted.append(
                    Slot(
                        resource_id=resource.id,
                        start=begin,
                        end=begin + step,
                        day=day,
                        capacity=opening.capacity,
                    )
                )
                begin += step
    if not wanted:
        return 0
    existing = set(
        await Slot.filter(resource_id=resource.id, start__in=[s.start for s in wanted]).values_list(
            "start", flat=True
        )
    )
    fresh = [s for s in wanted if s.start not in existing]
    if fresh:
        # ignore_conflicts: another process generating the same days concurrently is harmless.
        await Slot.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


async def create_slot(
    *,
    resource_id: uuid.UUID | str,
    start: dt.datetime,
    end: dt.datetime,
    capacity: int,
    label: str | None = None,
) -> SlotView:
    """A one-off slot (a community event, an extra session); SlotExists if one starts at the same time."""
    resource = await _resource_row(resource_id)
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInput("booking.naive_time")
    if end <= start or capacity < 0:
        raise InvalidInput("booking.bad_slot")
    try:
        row = await Slot.create(
            resource_id=resource.id,
            start=start,
            end=end,
            day=clock.local_date(start),
            capacity=capacity,
            label=label,
        )
    except IntegrityError as error:
        raise SlotExists() from error
    return _slot_view(row)


async def _slot_row(slot_id: uuid.UUID | str) -> Slot:
    parsed = parse_id(slot_id)
    row = await Slot.get_or_none(id=parsed).select_related("resource") if parsed else None
    if row is None:
        raise SlotNotFound()
    return row


async def get_slot(*, slot_id: uuid.UUID | str) -> SlotView:
    """The slot, or SlotNotFound."""
    return _slot_view(await _slot_row(slot_id))


async def list_slots(*, resource_id: uuid.UUID | str, date: dt.date) -> list[SlotView]:
    """The slots of a resource on a local date, in time order, with what remains of each."""
    resource = await _resource_row(resource_id)
    rows = await Slot.filter(resource_id=resource.id, day=date).order_by("start")
    return [_slot_view(row) for row in rows]


# ----------------------------------------------------------------------------------- check-in codes


def _code_mac(booking_id: uuid.UUID, cipher: _Cipher) -> bytes:
    # The blind-index key is a server-side HMAC key; `purpose` separates this use from lookups.
    digest = cipher.blind_index(str(booking_id), purpose="booking.check_in")
    return bytes.fromhex(digest)[:_CODE_MAC_BYTES]


def check_in_code_for(*, booking_id: uuid.UUID, cipher: _Cipher) -> str:
    """The signed check-in code of a booking: 'JYB1' + base32(id || HMAC), QR alphanumeric-friendly."""
    raw = booking_id.bytes + _code_mac(booking_id, cipher)
    return _CODE_PREFIX + base64.b32encode(raw).decode().rstrip("=")


def _parse_code(code: str) -> uuid.UUID:
    text = (code or "").strip().upper()
    if not text.startswith(_CODE_PREFIX) or len(text) > 64:
        raise BadCheckInCode()
    body = text[len(_CODE_PREFIX) :]
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError) as error:
        raise BadCheckInCode() from error
    if len(raw) != 16 + _CODE_MAC_BYTES:
        raise BadCheckInCode()
    return uuid.UUID(bytes=raw[:16])


def _verify_code(code: str, cipher: _Cipher | None) -> uuid.UUID:
    booking_id = _parse_code(code)
    if cipher is not None:
        expected = check_in_code_for(booking_id=booking_id, cipher=cipher)
        if not hmac.compare_digest(expected, code.strip().upper()):
            raise BadCheckInCode()
    return booking_id


# ------------------------------------------------------------------------------------------ booking


def _booking_view(row: Booking, visitors: Iterable[BookingVisitor] = ()) -> BookingView:
    return BookingView(
        id=row.id,
        slot=_slot_view(row.slot),
        resource=_resource_view(row.resource),
        user_id=row.user_id,
        for_member_id=row.for_member_id,
        subject_id=row.subject_id,
        party_size=row.party_size,
        status=BookingStatus(row.status),
        check_in_code=row.check_in_code,
        purpose=dict(row.purpose or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        hold_expires_at=row.hold_expires_at,
        confirmed_at=row.confirmed_at,
        cancelled_at=row.cancelled_at,
        checked_in_at=row.checked_in_at,
        visitors=tuple(VisitorView(v.name_masked, v.id_number_masked) for v in visitors),
    )


async def _view(booking_id: uuid.UUID) -> BookingView:
    row = await Booking.get(id=booking_id).select_related("slot", "resource")
    visitors = await BookingVisitor.filter(booking_id=booking_id).order_by("created_at", "id")
    return _booking_view(row, visitors)


def _require_level(actor: Principal, rules: BookingRules) -> None:
    required = VerificationLevel(rules.min_level)
    if not actor.level.satisfies(required):
        raise VerificationRequired(
            details={
                "required": required.value,
                "current": actor.level.value,
                "next": _NEXT_STEP.get(required),
            },
            required=required.value,
        )


def _is_staff(actor: Principal, resource: Resource | ResourceView) -> bool:
    try:
        role = Role(resource.staff_role)
    except ValueError:
        return False
    return actor.has_role(role, resource.staff_scope or None)


def _local_text(moment: dt.datetime) -> str:
    return clock.to_local(moment).strftime("%Y-%m-%d %H:%M")


async def _ban_until(*, subject_id: uuid.UUID, resource: Resource, rules: BookingRules, now: dt.datetime):
    """The end of a no-show ban for `subject_id` in the resource's domain, or None."""
    if not rules.no_show_limit:
        return None
    since = now - dt.timedelta(days=rules.no_show_window_days)
    ends = await Booking.filter(
        subject_id=subject_id,
        status=BookingStatus.NO_SHOW,
        slot_end__gte=since,
        resource__owner_domain=resource.owner_domain,
    ).values_list("slot_end", flat=True)
    if len(ends) < rules.no_show_limit:
        return None
    until = max(ends) + dt.timedelta(days=rules.no_show_ban_days)
    return until if until > now else None


def _check_bookable(slot: Slot, rules: BookingRules, now: dt.datetime) -> None:
    if slot.status != SlotStatus.OPEN or not slot.resource.active or slot.start <= now:
        raise SlotClosed()
    last_day = clock.local_date(now) + dt.timedelta(days=rules.advance_days)
    if slot.day > last_day:
        raise OutsideBookingWindow(
            details={"last_bookable_date": last_day.isoformat()}, days=rules.advance_days
        )


def _clean_visitors(
    visitors: Sequence[Visitor] | None, rules: BookingRules, party_size: int | None
) -> tuple[list[tuple[str, str]], int]:
    """Validated (name, id_number) pairs and the party size they imply."""
    people: list[tuple[str, str]] = []
    for position, visitor in enumerate(visitors or []):
        name = (getattr(visitor, "name", None) or "").strip()
        number = normalize_id_number(getattr(visitor, "id_number", None) or "")
        if not name or len(name) > 32:
            raise VisitorsInvalid(details={"visitor": position, "field": "name"})
        if not is_valid_id_number(number, today=clock.local_date()):
            raise VisitorsInvalid(details={"visitor": position, "field": "id_number"})
        people.append((name, number))
    if len({number for _, number in people}) != len(people):
        raise VisitorsInvalid(details={"reason": "duplicate_visitor"})
    if rules.visitors_required:
        if not rules.visitors_min <= len(people) <= rules.visitors_max:
            raise VisitorsInvalid(
                details={"min": rules.visitors_min, "max": rules.visitors_max, "given": len(people)}
            )
        if party_size is not None and party_size != len(people):
            raise VisitorsInvalid(details={"reason": "party_size_must_equal_visitors"})
        party_size = len(people)
    elif people and len(people) > (party_size or 1):
        raise VisitorsInvalid(details={"reason": "more_visitors_than_party"})
    return people, party_size or 1


def _initial_status(rules: BookingRules) -> BookingStatus:
    if rules.requires_approval:
        return BookingStatus.REQUESTED
    if rules.hold_minutes > 0:
        return BookingStatus.HELD
    return BookingStatus.CONFIRMED


async def _lock_person_day(conn: Any, *, subject_id: uuid.UUID, resource_id: uuid.UUID, day: dt.date) -> None:
    """PostgreSQL: serialise one person's bookings of one resource and day, so the cap count is exact.

    Under READ COMMITTED two bookings of one person for different slots would not see each other's
    insert; a transaction-scoped advisory lock on (person, resource, day) orders them. SQLite needs
    nothing: its writers are already serialised by the database lock taken by the first UPDATE.
    """
    if not conn.capabilities.dialect.startswith("postgres"):
        return
    await conn.execute_query(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [f"booking:{subject_id}:{resource_id}:{day}"]
    )


async def _check_daily_cap(
    conn: Any, *, subject_id: uuid.UUID, resource_id: uuid.UUID, day: dt.date, rules: BookingRules
) -> None:
    """Inside the booking transaction: refuse when the person already holds the day's cap."""
    held = (
        await Booking.filter(
            subject_id=subject_id, resource_id=resource_id, visit_date=day, status__in=list(ACTIVE_STATUSES)
        )
        .using_db(conn)
        .count()
    )
    if held >= (rules.per_person_per_day or 0):
        raise DailyCapReached(details={"cap": rules.per_person_per_day}, cap=rules.per_person_per_day)


async def _reserve(conn: Any, slot_id: uuid.UUID, places: int) -> bool:
    """Take `places` in the slot if they are free: the one statement that prevents overbooking."""
    updated = (
        await Slot.filter(id=slot_id, status=SlotStatus.OPEN, taken__lte=F("capacity") - places)
        .using_db(conn)
        .update(taken=F("taken") + places)
    )
    return updated == 1


async def _insert_booking(
    conn: Any,
    *,
    slot: Slot,
    rules: BookingRules,
    user_id: uuid.UUID,
    for_member_id: uuid.UUID | None,
    party_size: int,
    status: BookingStatus,
    purpose: Mapping[str, Any] | None,
    cipher: _Cipher,
    now: dt.datetime,
    booking_id: uuid.UUID,
) -> Booking:
    return await Booking.create(
        id=booking_id,
        slot_id=slot.id,
        resource_id=slot.resource_id,  # type: ignore[attr-defined]
        user_id=user_id,
        for_member_id=for_member_id,
        subject_id=for_member_id or user_id,
        party_size=party_size,
        status=status,
        check_in_code=check_in_code_for(booking_id=booking_id, cipher=cipher),
        purpose=dict(purpose or {}),
        visit_date=slot.day,
        slot_start=slot.start,
        slot_end=slot.end,
        hold_expires_at=now + dt.timedelta(minutes=rules.hold_minutes)
        if status is BookingStatus.HELD
        else None,
        confirmed_at=now if status is BookingStatus.CONFIRMED else None,
        using_db=conn,
    )


async def book(
    *,
    actor: Principal,
    slot_id: uuid.UUID | str,
    party_size: int | None = None,
    visitors: Sequence[Visitor] | None = None,
    purpose: Mapping[str, Any] | None = None,
    cipher: _Cipher,
) -> BookingView:
    """Book places in a slot for the actor (or, under a proxy, for `actor.acting_for`)."""
    now = clock.now()
    slot = await _slot_row(slot_id)
    resource = slot.resource
    rules = BookingRules.from_value(resource.rules)
    _require_level(actor, rules)
    people, places = _clean_visitors(visitors, rules, party_size)
    if not 1 <= places <= max(rules.party_size_max, rules.visitors_max if rules.visitors_required else 0):
        raise BadPartySize(details={"max": rules.party_size_max}, max=rules.party_size_max)
    _check_bookable(slot, rules, now)
    subject_id = actor.subject_id
    banned_until = await _ban_until(subject_id=subject_id, resource=resource, rules=rules, now=now)
    if banned_until is not None:
        raise BookingBanned(details={"until": banned_until.isoformat()}, until=_local_text(banned_until))
    if rules.per_person_per_day:
        held = await Booking.filter(
            subject_id=subject_id,
            resource_id=resource.id,
            visit_date=slot.day,
            status__in=list(ACTIVE_STATUSES),
        ).count()
        if held >= rules.per_person_per_day:
            raise DailyCapReached(details={"cap": rules.per_person_per_day}, cap=rules.per_person_per_day)
    for guard in list(_GUARDS.get(OwnerDomain(resource.owner_domain), [])):
        await guard(resource=_resource_view(resource), slot=_slot_view(slot), actor=actor)

    # Encrypt before the transaction: keep the write lock as short as possible.
    sealed = [
        (
            cipher.encrypt(name, context="booking_visitor.name"),
            cipher.encrypt(number, context="booking_visitor.id_number"),
            cipher.blind_index(number, purpose="id_number"),
            mask_name(name) or "",
            mask_id_number(number) or "",
        )
        for name, number in people
    ]
    status = _initial_status(rules)
    booking_id = new_id()
    try:
        async with in_transaction() as conn:
            # First statement of the transaction is a write: on SQLite the write lock is taken at once
            # (no read-then-upgrade deadlock), on PostgreSQL the row lock serialises competing bookings.
            if rules.per_person_per_day:
                await _lock_person_day(conn, subject_id=subject_id, resource_id=resource.id, day=slot.day)
            if not await _reserve(conn, slot.id, places):
                raise SlotFull()
            if rules.per_person_per_day:
                await _check_daily_cap(
                    conn, subject_id=subject_id, resource_id=resource.id, day=slot.day, rules=rules
                )
            await _insert_booking(
                conn,
                slot=slot,
                rules=rules,
                user_id=actor.user_id,
                for_member_id=actor.acting_for,
                party_size=places,
                status=status,
                purpose=purpose,
                cipher=cipher,
                now=now,
                booking_id=booking_id,
            )
            for name_enc, id_enc, index, name_masked, id_masked in sealed:
                await BookingVisitor.create(
                    booking_id=booking_id,
                    name_enc=name_enc,
                    id_number_enc=id_enc,
                    id_index=index,
                    name_masked=name_masked,
                    id_number_masked=id_masked,
                    entry_key=f"{resource.id}:{slot.day.isoformat()}:{index}"
                    if rules.one_entry_per_visitor_per_day
                    else None,
                    using_db=conn,
                )
            if status in _NOTIFY_ON_BOOKING:
                await _notify(
                    conn,
                    kind=_NOTIFY_ON_BOOKING[status],
                    booking_id=booking_id,
                    people=(actor.user_id, subject_id),
                    resource=resource,
                    start=slot.start,
                )
    except SlotFull:
        fresh = await Slot.get_or_none(id=slot.id)
        remaining = max(0, fresh.capacity - fresh.taken) if fresh else 0
        raise SlotFull(
            details={"remaining": remaining, "requested": places, "waitlist": rules.waitlist},
            remaining=remaining,
        ) from None
    except IntegrityError as error:
        text = str(error)
        if "entry_key" in text:
            raise VisitorAlreadyEntered() from error
        if "taken" in text or "capacity" in text:
            # Capacity lowered concurrently: the CHECK caught what the conditional UPDATE raced with.
            raise SlotFull(
                details={"remaining": 0, "requested": places, "waitlist": rules.waitlist}
            ) from error
        raise AlreadyBooked() from error
    return await _view(booking_id)


# ------------------------------------------------------------------------------- status transitions


async def _move(conn: Any, row: Booking, target: BookingStatus, **changes: Any) -> None:
    """Compare-and-set the status; a concurrent change (a job, staff) makes this an IllegalTransition."""
    enums.transition(row.status, target)
    updated = (
        await Booking.filter(id=row.id, status=row.status)
        .using_db(conn)
        .update(status=target, updated_at=clock.now(), **changes)
    )
    if updated != 1:
        found = await Booking.filter(id=row.id).using_db(conn).values_list("status", flat=True)
        current = found[0] if found else "missing"
        raise IllegalTransition(details={"from": str(current), "to": str(target)}, status=str(current))
    if target in enums.RELEASING_STATUSES:
        await Slot.filter(id=row.slot_id).using_db(conn).update(taken=F("taken") - row.party_size)  # type: ignore[attr-defined]
        await BookingVisitor.filter(booking_id=row.id).using_db(conn).update(entry_key=None)


def _may_see(actor: Principal, row: Booking) -> bool:
    if actor.user_id in (row.user_id, row.subject_id):
        return True
    if actor.acting_for is not None and actor.acting_for == row.subject_id:
        return True
    return _is_staff(actor, row.resource)


def _may_manage(actor: Principal, row: Booking) -> bool:
    """The booker, the person it is for, or their proxy (not staff: staff deny instead)."""
    if actor.user_id in (row.user_id, row.subject_id):
        return True
    return actor.acting_for is not None and actor.acting_for == row.subject_id


async def _booking_row(booking_id: uuid.UUID | str) -> Booking:
    parsed = parse_id(booking_id)
    row = await Booking.get_or_none(id=parsed).select_related("slot", "resource") if parsed else None
    if row is None:
        raise BookingNotFound()
    return row


async def get_booking(*, actor: Principal, booking_id: uuid.UUID | str) -> BookingView:
    """The booking if the actor booked it, it is for them (or whom they act for), or they staff it."""
    row = await _booking_row(booking_id)
    if not _may_see(actor, row) and row.subject_id not in await _represented_by(actor.user_id):
        raise BookingNotFound()
    return await _view(row.id)


async def cancel(
    *, actor: Principal, booking_id: uuid.UUID | str, cipher: _Cipher | None = None
) -> BookingView:
    """Cancel before the resource's deadline; the places go back and the waitlist moves up."""
    row = await _booking_row(booking_id)
    if not _may_manage(actor, row):
        raise BookingNotFound()
    enums.cancel(row.status)
    rules = BookingRules.from_value(row.resource.rules)
    now = clock.now()
    deadline = row.slot_start - dt.timedelta(minutes=rules.cancel_deadline_minutes)
    if now > deadline:
        raise CancellationTooLate(details={"deadline": deadline.isoformat()}, deadline=_local_text(deadline))
    async with in_transaction() as conn:
        await _move(conn, row, BookingStatus.CANCELLED, cancelled_at=now)
        await _notify_row(conn, row, "notify.booking.cancelled")
    view = await _view(row.id)
    await _promote_waitlist(row.slot_id, cipher=cipher)  # type: ignore[attr-defined]
    return view


async def confirm_hold(
    *, actor: Principal, booking_id: uuid.UUID | str, cipher: _Cipher | None = None
) -> BookingView:
    """held -> confirmed (e.g. the ticket was paid); a hold that ran out is expired instead."""
    row = await _booking_row(booking_id)
    if not _may_manage(actor, row):
        raise BookingNotFound()
    now = clock.now()
    enums.confirm(row.status)
    if row.status == BookingStatus.HELD and row.hold_expires_at and row.hold_expires_at <= now:
        async with in_transaction() as conn:
            await _move(conn, row, BookingStatus.EXPIRED)
        await _promote_waitlist(row.slot_id, cipher=cipher)  # type: ignore[attr-defined]
        raise HoldExpired()
    if row.status != BookingStatus.HELD:
        raise IllegalTransition(details={"from": row.status, "to": "confirmed"}, status=row.status)
    async with in_transaction() as conn:
        await _move(conn, row, BookingStatus.CONFIRMED, confirmed_at=now, hold_expires_at=None)
        await _notify_row(conn, row, "notify.booking.confirmed")
    return await _view(row.id)


async def check_in(
    *,
    actor: Principal,
    code: str,
    cipher: _Cipher | None = None,
    booking_id: uuid.UUID | str | None = None,
) -> BookingView:
    """Staff of the resource check a person in by the code shown on their phone (QR)."""
    coded_id = _verify_code(code, cipher)
    if booking_id is not None and parse_id(booking_id) != coded_id:
        raise BadCheckInCode()
    row = await Booking.get_or_none(id=coded_id).select_related("slot", "resource")
    if row is None or not hmac.compare_digest(row.check_in_code, code.strip().upper()):
        raise BadCheckInCode()
    if not _is_staff(actor, row.resource):
        raise NotStaff()
    rules = BookingRules.from_value(row.resource.rules)
    now = clock.now()
    opens = row.slot_start - dt.timedelta(minutes=rules.check_in_opens_minutes)
    enums.check_in(row.status)
    if not opens <= now <= row.slot_end:
        raise CheckInNotOpen(details={"opens": opens.isoformat(), "closes": row.slot_end.isoformat()})
    async with in_transaction() as conn:
        await _move(conn, row, BookingStatus.CHECKED_IN, checked_in_at=now)
        await audit.record(
            "booking.checked_in",
            actor_id=actor.user_id,
            subject_id=row.subject_id,
            target_type="booking",
            target_id=row.id,
            using_db=conn,
        )
    return await _view(row.id)


async def decide(
    *, actor: Principal, booking_id: uuid.UUID | str, approve: bool, cipher: _Cipher | None = None
) -> BookingView:
    """Staff approve (confirmed) or deny (places freed) a booking that requires approval."""
    row = await _booking_row(booking_id)
    if not _is_staff(actor, row.resource):
        # Staff of another resource, or a citizen: do not reveal the booking exists.
        raise BookingNotFound()
    target = BookingStatus.CONFIRMED if approve else BookingStatus.DENIED
    if row.status != BookingStatus.REQUESTED:
        raise IllegalTransition(details={"from": row.status, "to": target.value}, status=row.status)
    now = clock.now()
    async with in_transaction() as conn:
        if approve:
            await _move(conn, row, target, confirmed_at=now, decided_by_id=actor.user_id)
        else:
            await _move(conn, row, target, decided_by_id=actor.user_id)
        await _notify_row(conn, row, "notify.booking.confirmed" if approve else "notify.booking.denied")
        await audit.record(
            "booking.decided",
            actor_id=actor.user_id,
            subject_id=row.subject_id,
            target_type="booking",
            target_id=row.id,
            details={"approve": approve},
            using_db=conn,
        )
    view = await _view(row.id)
    if not approve:
        await _promote_waitlist(row.slot_id, cipher=cipher)  # type: ignore[attr-defined]
    return view


# ----------------------------------------------------------------------------------------- waitlist


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


async def join_waitlist(
    *,
    actor: Principal,
    slot_id: uuid.UUID | str,
    party_size: int = 1,
    purpose: Mapping[str, Any] | None = None,
) -> WaitlistView:
    """Queue for a full slot; when places free up, the first in line is booked and notified."""
    slot = await _slot_row(slot_id)
    rules = BookingRules.from_value(slot.resource.rules)
    _require_level(actor, rules)
    if not rules.waitlist or rules.visitors_required:
        # Real-name entries need the visitors at booking time; those resources have no waitlist.
        raise NoWaitlist()
    if not 1 <= party_size <= rules.party_size_max:
        raise BadPartySize(details={"max": rules.party_size_max}, max=rules.party_size_max)
    now = clock.now()
    _check_bookable(slot, rules, now)
    if slot.capacity - slot.taken >= party_size:
        raise SlotHasPlaces(
            details={"remaining": slot.capacity - slot.taken}, remaining=slot.capacity - slot.taken
        )
    subject_id = actor.subject_id
    banned_until = await _ban_until(subject_id=subject_id, resource=slot.resource, rules=rules, now=now)
    if banned_until is not None:
        raise BookingBanned(details={"until": banned_until.isoformat()}, until=_local_text(banned_until))
    if await Booking.filter(
        slot_id=slot.id, subject_id=subject_id, status__in=list(ACTIVE_STATUSES)
    ).exists():
        raise AlreadyBooked()
    try:
        entry = await WaitlistEntry.create(
            slot_id=slot.id,
            user_id=actor.user_id,
            for_member_id=actor.acting_for,
            subject_id=subject_id,
            party_size=party_size,
            purpose=dict(purpose or {}),
        )
    except IntegrityError as error:
        raise AlreadyWaiting() from error
    return await _waitlist_view(entry)


class _NoRoom(Exception):
    """Internal: roll back a promotion when the freed places do not fit the first in line."""


async def _promote_waitlist(slot_id: uuid.UUID, *, cipher: _Cipher | None = None) -> int:
    """Book the waiting people in order while places are free (strict FIFO); returns how many."""
    cipher = cipher or _signing.get("cipher")
    if cipher is None:
        # No signing key in this process yet: the promote_waitlists job (which has one) will do it.
        log.warning("waitlist promotion deferred: no cipher registered", extra={"slot_id": str(slot_id)})
        return 0
    promoted = 0
    while True:
        entry = (
            await WaitlistEntry.filter(slot_id=slot_id, status=WaitlistStatus.WAITING)
            .order_by("created_at", "id")
            .first()
        )
        if entry is None:
            return promoted
        slot = await Slot.get(id=slot_id).select_related("resource")
        rules = BookingRules.from_value(slot.resource.rules)
        now = clock.now()
        if slot.start <= now or slot.status != SlotStatus.OPEN:
            return promoted
        booking_id = new_id()
        status = _initial_status(rules)
        try:
            async with in_transaction() as conn:
                if rules.per_person_per_day:
                    # Same lock order as book(): the person's day lock before the slot row, no deadlock.
                    await _lock_person_day(
                        conn, subject_id=entry.subject_id, resource_id=slot.resource.id, day=slot.day
                    )
                if not await _reserve(conn, slot.id, entry.party_size):
                    raise _NoRoom()
                claimed = (
                    await WaitlistEntry.filter(id=entry.id, status=WaitlistStatus.WAITING)
                    .using_db(conn)
                    .update(status=WaitlistStatus.PROMOTED, booking_id=booking_id, updated_at=now)
                )
                if claimed != 1:
                    raise _NoRoom()  # someone else promoted it; roll back our reservation and look again
                if rules.per_person_per_day:
                    await _check_daily_cap(
                        conn,
                        subject_id=entry.subject_id,
                        resource_id=slot.resource.id,
                        day=slot.day,
                        rules=rules,
                    )
                await _insert_booking(
                    conn,
                    slot=slot,
                    rules=rules,
                    user_id=entry.user_id,
                    for_member_id=entry.for_member_id,
                    party_size=entry.party_size,
                    status=status,
                    purpose=entry.purpose,
                    cipher=cipher,
                    now=now,
                    booking_id=booking_id,
                )
                await _notify(
                    conn,
                    kind="notify.booking.promoted",
                    booking_id=booking_id,
                    people=(entry.user_id, entry.subject_id),
                    resource=slot.resource,
                    start=slot.start,
                )
        except _NoRoom:
            still_waiting = await WaitlistEntry.filter(id=entry.id, status=WaitlistStatus.WAITING).exists()
            if still_waiting:
                return promoted
            continue
        except (IntegrityError, DailyCapReached):
            # They already hold a booking for this slot, or the day's cap, (booked directly meanwhile):
            # they no longer need the place; drop the entry and offer it to the next person.
            await WaitlistEntry.filter(id=entry.id, status=WaitlistStatus.WAITING).update(
                status=WaitlistStatus.LEFT
            )
            continue
        promoted += 1


# A promoted booking needs a signed check-in code, but promotion happens inside cancel() calls that
# other domains make without a cipher; the API and the worker register the process's cipher at startup.
_signing: dict[str, _Cipher] = {}


def use_cipher(cipher: _Cipher) -> None:
    """Register the process's PII cipher (its HMAC key signs check-in codes of promoted bookings)."""
    _signing["cipher"] = cipher


async def promote_waitlists(*, cipher: _Cipher | None = None, now: dt.datetime | None = None) -> int:
    """Sweep: promote waiting people wherever places are free (catches promotions a crash interrupted)."""
    now = now or clock.now()
    slot_ids = set(
        await WaitlistEntry.filter(
            status=WaitlistStatus.WAITING, slot__start__gt=now, slot__taken__lt=F("slot__capacity")
        ).values_list("slot_id", flat=True)
    )
    promoted = 0
    for slot_id in slot_ids:
        promoted += await _promote_waitlist(slot_id, cipher=cipher)
    return promoted


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
    items = [_booking_view(r, visitors.get(r.id, [])) for r in rows]
    return Page(items=items, next_cursor=page.next_cursor)


async def _represented_by(user_id: uuid.UUID) -> set[uuid.UUID]:
    """People who gave `user_id` a live proxy grant covering bookings."""
    now = clock.now()
    return {
        grant.subject_id  # type: ignore[attr-defined]
        for grant in await family.grants_of(user_id)
        if grant.proxy_id == user_id  # type: ignore[attr-defined]
        and grant.subject_id is not None  # type: ignore[attr-defined]
        and grant.status == FamilyGrantStatus.ACTIVE
        and grant.expires_at > now
        and _PROXY_SCOPE in (grant.scopes or [])
    }


async def list_bookings_for(*, user_id: uuid.UUID, limit: int = 20, cursor: str | None = None) -> Page:
    """Bookings the user made or that are for them, and those of people they act for; newest first."""
    mine = Q(user_id=user_id) | Q(subject_id=user_id)
    represented = await _represented_by(user_id)
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
    resource = await _resource_row(resource_id)
    if not _is_staff(actor, resource):
        raise ResourceNotFound()
    query = Booking.filter(resource_id=resource.id)
    if date is not None:
        query = query.filter(visit_date=date)
    if status is not None:
        query = query.filter(status=BookingStatus(status))
    return await _page(query, limit=limit, cursor=cursor)


# ------------------------------------------------------------------------------------ periodic work


async def expire_holds(
    *, now: dt.datetime | None = None, batch: int = 200, cipher: _Cipher | None = None
) -> int:
    """Expire holds that ran out, give their places back and move the waitlists; returns how many."""
    now = now or clock.now()
    rows = await Booking.filter(status=BookingStatus.HELD, hold_expires_at__lte=now).limit(batch)
    expired = 0
    slots: set[uuid.UUID] = set()
    for row in rows:
        try:
            async with in_transaction() as conn:
                await _move(conn, row, BookingStatus.EXPIRED)
        except IllegalTransition:
            continue  # confirmed or cancelled meanwhile
        expired += 1
        slots.add(row.slot_id)  # type: ignore[attr-defined]
    for slot_id in slots:
        await _promote_waitlist(slot_id, cipher=cipher)
    return expired


async def mark_no_shows(*, now: dt.datetime | None = None, grace: dt.timedelta = _NO_SHOW_GRACE) -> int:
    """Confirmed bookings whose slot ended (plus a grace period) without a check-in become no-shows."""
    now = now or clock.now()
    rows = await Booking.filter(status=BookingStatus.CONFIRMED, slot_end__lte=now - grace).limit(500)
    marked = 0
    for row in rows:
        try:
            async with in_transaction() as conn:
                await _move(conn, row, BookingStatus.NO_SHOW)
        except IllegalTransition:
            continue
        marked += 1
    return marked


async def send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind everyone with a confirmed booking tomorrow (local date), once each; returns how many."""
    now = now or clock.now()
    tomorrow = clock.local_date(now) + dt.timedelta(days=1)
    ids = await Booking.filter(
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
            await _notify_row(conn, row, "notify.booking.reminder")
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


# ------------------------------------------------------------------------------------ notifications


_NOTIFY_ON_BOOKING = {
    BookingStatus.CONFIRMED: "notify.booking.confirmed",
    BookingStatus.REQUESTED: "notify.booking.requested",
}


async def _notify(
    conn: Any,
    *,
    kind: str,
    booking_id: uuid.UUID,
    people: Iterable[uuid.UUID],
    resource: Resource,
    start: dt.datetime,
) -> None:
    """An inbox message (and maybe a WeChat one) to the booker and the person it is for, in `conn`'s
    transaction: the notice exists exactly when the change does. kind ids live in bookings.po."""
    view = _resource_view(resource)
    params = {
        "booking_id": str(booking_id),
        "resource": view.display_name("zh_CN"),
        "resource_en": view.display_name("en"),
        "start": _local_text(start),
    }
    link = f"/pages/bookings/detail?id={booking_id}"
    for user_id in dict.fromkeys(people):
        await notifications.notify(user_id=user_id, kind=kind, params=params, link=link, using_db=conn)


async def _notify_row(conn: Any, row: Booking, kind: str) -> None:
    await _notify(
        conn,
        kind=kind,
        booking_id=row.id,
        people=(row.user_id, row.subject_id),
        resource=row.resource,
        start=row.slot_start,
    )
