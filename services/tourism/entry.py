"""Timed entry through the booking engine: one resource per scenic area, slots per day, real-name visitors.

Rules of a scenic area's resource (owner_domain "tourism"):
  * 1–5 real-name visitors per booking (name + ID number, checksum-validated, encrypted, masked);
    the party size is the number of visitors;
  * one entry per visitor per area per day (the engine's `one_entry_per_visitor_per_day`);
  * level `phone`: a tourist only needs a bound phone to book, because every visitor's identity is
    checked through their document at the gate — requiring the booker's own real-name verification
    would shut out people booking for family or friends (documented choice). A tourist without a
    mainland phone (signed in with WeChat only) may book when every visitor presents a passport or
    an HK/Macao/Taiwan/foreigner document: the gate checks those documents, and the phone binding
    is what a foreign tourist cannot do (guard `phone_or_travel_documents`);
  * slots from opening to last entry, hourly; their capacities add up exactly to the daily capacity
    (景区日最大承载量), so the day can never be overbooked even if every slot fills;
  * at red (occupancy >= instantaneous capacity, reading at most 15 minutes old) booking a slot that
    starts within the next hour is refused (the engine itself closes a slot once it has started).

Tickets: an entry booking, made through POST /bookings or its alias POST /tourism/bookings, writes a
TicketIssue row and a "tourism.ticket_issue" outbox message (the engine's cleaned visitors — name,
document type, normalised number — sealed with the PII cipher) inside the booking's own transaction
(the engine runs `write_ticket`, tourism's post-booking hook). The outbox handler issues the ticket
at the ticketing system and records its id, shown by GET /tourism/tickets?booking_id= and on the
booking answer. A cancelled or expired booking voids its ticket in the releasing transaction
(`void_ticket_on_release`): still pending, it is never sent; issued, a "tourism.ticket_void"
message voids it at the gate. `BOOKING_POLICY` declares these hooks and the red-level guard.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.accounts.enums import Role, VerificationLevel
from services.accounts.levels import require_level
from services.accounts.principal import Principal
from services.bookings import service as bookings
from services.bookings.documents import CleanVisitor
from services.bookings.enums import IdDocument, OwnerDomain
from services.bookings.errors import SlotNotFound
from services.bookings.policy import BookingPolicies, BookingPolicy
from services.bookings.views import BookingView, ResourceView, SlotView
from services.common import clock, outbox
from services.tourism.enums import CrowdLevel, TicketStatus
from services.tourism.errors import AreaFull, TicketNotFound, TicketStateConflict
from services.tourism.hours import season_hours
from services.tourism.models import ScenicArea, TicketIssue
from services.tourism.privacy import VOID_TOPIC

__all__ = [
    "BOOKABLE_DAYS",
    "BOOKING_POLICY",
    "ENTRY_RULES",
    "SLOT_MINUTES",
    "TICKET_TOPIC",
    "EntryBooking",
    "PlannedSlot",
    "availability",
    "book_entry",
    "entry_slots",
    "get_ticket",
    "phone_or_travel_documents",
    "plan_day",
    "refuse_entry_at_red",
    "set_up",
    "void_ticket_on_release",
    "write_ticket",
]

SLOT_MINUTES = 60
BOOKABLE_DAYS = 7
TICKET_TOPIC = "tourism.ticket_issue"
_SEAL_CONTEXT = "outbox.tourism.ticket_issue"
# A red figure older than this no longer stops bookings (the gates may be down for hours).
RED_TRUSTED_FOR = dt.timedelta(minutes=15)

ENTRY_RULES: dict[str, Any] = {
    "min_level": "wechat",  # `phone_or_travel_documents` asks for the phone (see the module doc)
    "party_size_max": 5,
    "per_person_per_day": None,  # the per-visitor rule below is what stops double entries
    "advance_days": BOOKABLE_DAYS,
    "cancel_deadline_minutes": 0,
    "visitors_required": True,
    "visitors_min": 1,
    "visitors_max": 5,
    "one_entry_per_visitor_per_day": True,
    "check_in_opens_minutes": 60,
    "waitlist": False,
}


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    start: dt.datetime  # aware, UTC
    end: dt.datetime
    capacity: int


def plan_day(area: ScenicArea, day: dt.date) -> list[PlannedSlot]:
    """The entry slots of `day`: hourly from opening to last entry, capacities summing to the daily capacity."""
    hours = season_hours(area, day)
    if hours is None:
        return []
    opens = dt.time.fromisoformat(hours["open"])
    last = dt.time.fromisoformat(hours.get("last_entry") or hours["close"])
    start = dt.datetime.combine(day, opens, tzinfo=clock.CITY_TZ)
    stop = dt.datetime.combine(day, last, tzinfo=clock.CITY_TZ)
    bounds: list[tuple[dt.datetime, dt.datetime]] = []
    while start < stop:
        end = min(stop, start + dt.timedelta(minutes=SLOT_MINUTES))
        bounds.append((start, end))
        start = end
    if not bounds:
        return []
    # Spread the daily capacity: the first `extra` slots take one more place, so the sum is exact.
    base, extra = divmod(area.daily_capacity, len(bounds))
    return [
        PlannedSlot(
            start=s.astimezone(dt.UTC), end=e.astimezone(dt.UTC), capacity=base + (1 if i < extra else 0)
        )
        for i, (s, e) in enumerate(bounds)
    ]


async def set_up(*, area: ScenicArea, days: int = BOOKABLE_DAYS, today: dt.date | None = None) -> int:
    """Make sure the area has its booking resource and entry slots for the coming days; slots written."""
    names = {locale: t["name"] for locale, t in area.texts.items() if t.get("name")}
    resource = await bookings.ensure_resource(
        owner_domain=OwnerDomain.TOURISM,
        owner_ref=area.code,
        name=names,
        staff_role=Role.DEPT_OPERATOR,
        staff_scope=f"scenic:{area.code}",
        rules=ENTRY_RULES,
        openings=[],  # seasonal slots are planned here, not from a weekly template
    )
    if area.resource_id != resource.id:
        await ScenicArea.filter(id=area.id).update(resource_id=resource.id)
        area.resource_id = resource.id
    today = today or clock.local_date()
    written = 0
    for offset in range(days):
        day = today + dt.timedelta(days=offset)
        openings = _as_openings(plan_day(area, day))
        if openings:
            # Idempotent: the engine skips slots that already exist (same start).
            written += await bookings.generate_slots(
                resource_id=resource.id, start=day, days=1, openings=openings
            )
    return written


def _as_openings(planned: list[PlannedSlot]) -> list[dict[str, Any]]:
    """Runs of equal slots as the engine's one-day opening templates (every weekday, holidays too)."""
    openings: list[dict[str, Any]] = []
    for slot in planned:
        minutes = int((slot.end - slot.start).total_seconds() // 60)
        start, end = clock.to_local(slot.start).time(), clock.to_local(slot.end).time()
        last = openings[-1] if openings else None
        if (
            last
            and last["capacity"] == slot.capacity
            and last["slot_minutes"] == minutes
            and last["end"] == start
        ):
            last["end"] = end
            continue
        openings.append(
            {
                "start": start,
                "end": end,
                "slot_minutes": minutes,
                "capacity": slot.capacity,
                "days": list(range(7)),
                "skip_holidays": False,
            }
        )
    return openings


async def set_up_all(*, days: int = BOOKABLE_DAYS) -> int:
    """Roll every area's entry slots forward (a daily job); slots written."""
    written = 0
    for area in await ScenicArea.all().order_by("sort_order"):
        written += await set_up(area=area, days=days)
    return written


async def availability(*, area: ScenicArea, day: dt.date) -> dict[str, Any] | None:
    """A day's timed-entry places: {date, capacity, remaining, resource_id, bookable_now}; None if none."""
    if area.resource_id is None:
        return None
    slots = await bookings.list_slots(resource_id=area.resource_id, date=day)
    now = clock.now()
    open_slots = [s for s in slots if s.display_status(now) == "open"]
    return {
        "date": day.isoformat(),
        "capacity": sum(s.capacity for s in slots),
        "remaining": sum(s.remaining for s in open_slots),
        "resource_id": str(area.resource_id),
        "bookable_now": bool(open_slots) and not _red_now(area, now),
    }


async def entry_slots(*, area: ScenicArea, day: dt.date) -> list[SlotView]:
    """The day's entry slots (remaining places; shown as the API's one Slot shape)."""
    if area.resource_id is None:
        return []
    return await bookings.list_slots(resource_id=area.resource_id, date=day)


# --------------------------------------------------------------------------------- crowd guard


def _red_now(area: ScenicArea, now: dt.datetime) -> bool:
    if area.crowd_occupancy is None or area.crowd_measured_at is None:
        return False
    if now - area.crowd_measured_at > RED_TRUSTED_FOR:
        return False
    return CrowdLevel.for_occupancy(area.crowd_occupancy, area.instant_capacity) is CrowdLevel.RED


async def refuse_entry_at_red(*, resource: ResourceView, slot: SlotView, **_: Any) -> None:
    """Engine guard: while an area is at red, the slot running now (the next hour) cannot be booked.

    The engine already closes a slot once it has started, so "the current slot" is the one a tourist
    standing at the gate would book: any slot starting within the next SLOT_MINUTES.
    """
    if resource.owner_domain is not OwnerDomain.TOURISM:
        return
    now = clock.now()
    if slot.start > now + dt.timedelta(minutes=SLOT_MINUTES) or slot.end <= now:
        return
    area = await ScenicArea.get_or_none(resource_id=resource.id)
    if area is not None and _red_now(area, now):
        raise AreaFull(details={"occupancy": area.crowd_occupancy, "capacity": area.instant_capacity})


# ------------------------------------------------------------------------------------ booking


@dataclass(frozen=True, slots=True)
class EntryBooking:
    booking: BookingView
    area: ScenicArea
    ticket: TicketIssue | None


def _sealed_visitors(visitors: Sequence[CleanVisitor], cipher: Any) -> str:
    people = [{"name": v.name, "id_type": v.id_type.value, "id_number": v.id_number} for v in visitors]
    return cipher.encrypt(json.dumps(people, ensure_ascii=False), context=_SEAL_CONTEXT)


async def write_ticket(
    *,
    booking: BookingView,
    resource: ResourceView,
    slot: SlotView,
    visitors: Sequence[CleanVisitor],
    conn: Any,
    cipher: Any,
    **_: Any,
) -> None:
    """Post-booking hook, inside the booking transaction: the ticket row and its outbox message.

    The visitors are the engine's cleaned ones (normalised numbers, document types): real-name entry
    needs them at the gate, so they travel encrypted inside the outbox row.
    """
    area = await ScenicArea.get_or_none(resource_id=resource.id).using_db(conn)
    if area is None or not visitors:
        return
    ticket = await TicketIssue.create(
        booking_id=booking.id, area=area, user_id=booking.user_id, using_db=conn
    )
    await outbox.enqueue(
        topic=TICKET_TOPIC,
        payload={
            "booking_id": str(booking.id),
            "area_code": area.code,
            "entry_start": slot.start.isoformat(),
            "entry_end": slot.end.isoformat(),
            "check_in_code": booking.check_in_code,
            "visitors_sealed": _sealed_visitors(visitors, cipher),
        },
        aggregate_type="tourism_ticket",
        aggregate_id=str(ticket.id),
        using_db=conn,
    )


async def void_ticket_on_release(*, booking_id: Any, conn: Any, **_: Any) -> None:
    """Release hook, inside the cancelling transaction: a ticket no gate may honour any more.

    Pending, it is voided before it is sent (delivery skips it); issued, the gate is told through the
    outbox ("tourism.ticket_void"), so the void is as durable as the cancellation.
    """
    ticket = await TicketIssue.get_or_none(booking_id=booking_id).using_db(conn)
    if ticket is None or ticket.status not in (TicketStatus.PENDING, TicketStatus.ISSUED):
        return
    moved = (
        await TicketIssue.filter(id=ticket.id, status=ticket.status)
        .using_db(conn)
        .update(status=TicketStatus.VOIDED)
    )
    if moved and ticket.status is TicketStatus.ISSUED and ticket.ticket_id:
        await outbox.enqueue(
            topic=VOID_TOPIC,
            payload={"ticket_id": ticket.ticket_id},
            aggregate_type="tourism_ticket",
            aggregate_id=str(ticket.id),
            using_db=conn,
        )


async def phone_or_travel_documents(
    *, actor: Principal, visitors: Sequence[CleanVisitor] = (), **_: Any
) -> None:
    """Engine guard: a bound phone, unless every visitor shows a non-mainland travel document.

    Without a mainland phone a foreign or HK/Macao/Taiwan tourist could not book at all; a party that
    includes a mainland resident ID needs the booker's phone, as before.
    """
    if actor.level.satisfies(VerificationLevel.PHONE):
        return
    if visitors and all(v.id_type is not IdDocument.RESIDENT_ID for v in visitors):
        return
    require_level(actor, VerificationLevel.PHONE)


BOOKING_POLICY = BookingPolicy(
    owner_domain=OwnerDomain.TOURISM.value,
    guards=(phone_or_travel_documents, refuse_entry_at_red),
    after_booking=write_ticket,
    after_release=void_ticket_on_release,
)


async def book_entry(
    *, actor: Principal, slot_id: str, visitors: Any, cipher: Any, policies: BookingPolicies
) -> EntryBooking:
    """POST /tourism/bookings, a thin alias of the engine's booking for an area's entry slot.

    The engine runs the guard and writes the ticket (BOOKING_POLICY); this only checks the slot is a
    scenic area's and returns the area and ticket with the booking.
    """
    slot = await bookings.get_slot(slot_id=slot_id)
    area = await ScenicArea.get_or_none(resource_id=slot.resource_id)
    if area is None:
        raise SlotNotFound()  # not a scenic area's entry slot
    booking = await bookings.book(
        actor=actor,
        slot_id=slot.id,
        visitors=visitors,
        purpose={"scenic_area_id": str(area.id), "kind": "timed_entry"},
        cipher=cipher,
        policies=policies,
    )
    ticket = await TicketIssue.get_or_none(booking_id=booking.id)
    return EntryBooking(booking=booking, area=area, ticket=ticket)


async def get_ticket(*, actor: Principal, booking_id: str) -> TicketIssue:
    """The ticket of a booking the caller may see (booker, visitor's account, proxy, staff)."""
    booking = await bookings.get_booking(actor=actor, booking_id=booking_id)
    ticket = await TicketIssue.get_or_none(booking_id=booking.id)
    if ticket is None:
        raise TicketNotFound()
    return ticket


async def deliver_ticket(*, event_id: str, payload: dict[str, Any], gates: Any, cipher: Any) -> TicketIssue:
    """Outbox delivery: issue the ticket at the ticketing system and record its id (at least once, deduped)."""
    from integrations.errors import IntegrationRejected
    from services.tourism.ports import TicketRequest, TicketVisitor

    ticket = await TicketIssue.get(booking_id=payload["booking_id"])
    if ticket.status is not TicketStatus.PENDING:
        return ticket
    people = json.loads(cipher.decrypt(payload["visitors_sealed"], context=_SEAL_CONTEXT))
    request = TicketRequest(
        event_id=event_id,
        booking_id=payload["booking_id"],
        area_code=payload["area_code"],
        entry_start=dt.datetime.fromisoformat(payload["entry_start"]),
        entry_end=dt.datetime.fromisoformat(payload["entry_end"]),
        visitors=tuple(
            TicketVisitor(name=p["name"], id_number=p["id_number"], id_type=p.get("id_type", "resident_id"))
            for p in people
        ),
        check_in_code=payload.get("check_in_code"),
    )
    try:
        issued = await gates.issue_ticket(request)
    except IntegrationRejected as error:
        await _move_ticket(ticket, TicketStatus.FAILED, last_error=f"rejected: {error.remote_code}"[:255])
        raise
    moved = await _move_ticket(ticket, TicketStatus.ISSUED, ticket_id=issued.ticket_id, issued_at=clock.now())
    await ticket.refresh_from_db()
    if not moved and ticket.status is TicketStatus.VOIDED:
        # Cancelled while we were issuing it: the gate must not honour what it just issued.
        await gates.void_ticket(issued.ticket_id)
    return ticket


async def _move_ticket(ticket: TicketIssue, target: TicketStatus, **changes: Any) -> bool:
    """Compare-and-set the ticket's status; False when someone moved it first."""
    if not ticket.status.can_become(target):
        raise TicketStateConflict(details={"from": ticket.status.value, "to": target.value})
    return bool(await TicketIssue.filter(id=ticket.id, status=ticket.status).update(status=target, **changes))
