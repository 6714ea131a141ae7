"""The engine's writes inside a booking transaction: take places, insert, move a status, notify.

Capacity is only ever taken by one conditional UPDATE (`taken = taken + n WHERE taken + n <= capacity`)
in the same transaction as the booking insert, and a CHECK constraint (triggers on SQLite) backs it, so
no number of processes can overbook. Everything here takes the transaction's connection `conn`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from tortoise.expressions import F

from services.accounts import family
from services.accounts.enums import ProxyScope
from services.bookings import enums
from services.bookings.enums import ACTIVE_STATUSES, BookingStatus, SlotStatus
from services.bookings.errors import DailyCapReached, IllegalTransition
from services.bookings.models import Booking, BookingVisitor, Resource, Slot
from services.bookings.resources import resource_view, slot_view
from services.bookings.rules import BookingRules
from services.bookings.views import BookingView, VisitorView
from services.common import clock
from services.common.i18n import localized
from services.notifications import service as notifications
from services.notifications.notices import Notice
from services.notifications.notices import notices as notice_rows

__all__ = [
    "Cipher",
    "booking_view",
    "check_daily_cap",
    "held_today",
    "insert_booking",
    "new_booking",
    "local_text",
    "lock_person_day",
    "move",
    "notices",
    "notify",
    "notify_row",
    "proxy_scope_for",
    "reserve",
    "view",
]


class Cipher(Protocol):
    def encrypt(self, plaintext: str, *, context: str = "") -> str: ...
    def blind_index(self, value: str, *, purpose: str) -> str: ...


def local_text(moment: dt.datetime) -> str:
    return clock.to_local(moment).strftime("%Y-%m-%d %H:%M")


def booking_view(row: Booking, visitors: Iterable[BookingVisitor] = ()) -> BookingView:
    return BookingView(
        id=row.id,
        slot=slot_view(row.slot),
        resource=resource_view(row.resource),
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
        visitors=tuple(VisitorView(v.name_masked, v.id_number_masked, v.id_type) for v in visitors),
    )


async def view(booking_id: uuid.UUID, *, conn: Any = None) -> BookingView:
    """The booking as callers see it (visitors masked); inside `conn`'s transaction when given."""
    query = Booking.get(id=booking_id).select_related("slot", "resource")
    visitors = BookingVisitor.filter(booking_id=booking_id).order_by("created_at", "id")
    if conn is not None:
        query, visitors = query.using_db(conn), visitors.using_db(conn)
    return booking_view(await query, await visitors)


async def lock_person_day(
    conn: Any, *, subject_id: uuid.UUID, resource_id: uuid.UUID, day: dt.date, wait: bool = True
) -> bool:
    """PostgreSQL: serialise one person's bookings of one resource and day, so the cap count is exact.

    Under READ COMMITTED two bookings of one person for different slots would not see each other's
    insert; a transaction-scoped advisory lock on (person, resource, day) orders them. SQLite needs
    nothing: its writers are already serialised by the database lock taken by the first UPDATE.
    `wait=False` (a promotion that already holds the slot row) only tries, so it never deadlocks
    against a booking that holds the person's lock and waits for the slot; False if not taken.
    """
    if not conn.capabilities.dialect.startswith("postgres"):
        return True
    key = f"booking:{subject_id}:{resource_id}:{day}"
    if wait:
        await conn.execute_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key])
        return True
    _, rows = await conn.execute_query(
        "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked", [key]
    )
    return bool(rows and rows[0]["locked"])


async def held_today(conn: Any, *, subject_id: uuid.UUID, resource_id: uuid.UUID, day: dt.date) -> int:
    """Active bookings of the person on the resource that day."""
    query = Booking.filter(
        subject_id=subject_id, resource_id=resource_id, visit_date=day, status__in=list(ACTIVE_STATUSES)
    )
    return await (query.using_db(conn) if conn is not None else query).count()


async def check_daily_cap(
    conn: Any, *, subject_id: uuid.UUID, resource_id: uuid.UUID, day: dt.date, rules: BookingRules
) -> None:
    """Refuse when the person already holds the day's cap (exact inside the booking transaction)."""
    if not rules.per_person_per_day:
        return
    held = await held_today(conn, subject_id=subject_id, resource_id=resource_id, day=day)
    if held >= rules.per_person_per_day:
        raise DailyCapReached(details={"cap": rules.per_person_per_day}, cap=rules.per_person_per_day)


async def reserve(conn: Any, slot_id: uuid.UUID, places: int) -> bool:
    """Take `places` in the slot if they are free: the one statement that prevents overbooking."""
    updated = (
        await Slot.filter(id=slot_id, status=SlotStatus.OPEN, taken__lte=F("capacity") - places)
        .using_db(conn)
        .update(taken=F("taken") + places)
    )
    return updated == 1


def new_booking(
    *,
    slot: Slot,
    rules: BookingRules,
    user_id: uuid.UUID,
    for_member_id: uuid.UUID | None,
    party_size: int,
    status: BookingStatus,
    purpose: Mapping[str, Any] | None,
    check_in_code: str,
    now: dt.datetime,
    booking_id: uuid.UUID,
    hold_until: dt.datetime | None = None,
) -> Booking:
    """The booking row, not yet saved; a held one expires at `hold_until` (default: the resource's hold minutes)."""
    if status is BookingStatus.HELD and hold_until is None:
        hold_until = now + dt.timedelta(minutes=rules.hold_minutes)
    return Booking(
        id=booking_id,
        slot_id=slot.id,
        resource_id=slot.resource_id,  # type: ignore[attr-defined]
        user_id=user_id,
        for_member_id=for_member_id,
        subject_id=for_member_id or user_id,
        party_size=party_size,
        status=status,
        check_in_code=check_in_code,
        purpose=dict(purpose or {}),
        visit_date=slot.day,
        slot_start=slot.start,
        slot_end=slot.end,
        hold_expires_at=hold_until if status is BookingStatus.HELD else None,
        confirmed_at=now if status is BookingStatus.CONFIRMED else None,
        created_at=now,
        updated_at=now,
    )


async def insert_booking(conn: Any, **values: Any) -> Booking:
    """`new_booking(**values)` saved through the ORM in `conn`'s transaction."""
    row = new_booking(**values)
    await row.save(using_db=conn, force_create=True)
    return row


async def move(conn: Any, row: Booking, target: BookingStatus, **changes: Any) -> bool:
    """Compare-and-set the status; True when the move gave places back to the slot.

    A concurrent change (a job, staff) makes this an IllegalTransition. The caller of a releasing move
    offers the freed places to the waitlist in the same transaction (services.bookings.waitlist.release).
    """
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
    if target not in enums.RELEASING_STATUSES:
        return False
    await Slot.filter(id=row.slot_id).using_db(conn).update(taken=F("taken") - row.party_size)  # type: ignore[attr-defined]
    await BookingVisitor.filter(booking_id=row.id).using_db(conn).update(entry_key=None)
    return True


async def notify(
    conn: Any,
    *,
    kind: str,
    booking_id: uuid.UUID,
    people: Iterable[uuid.UUID],
    resource: Resource,
    start: dt.datetime,
    extra: Mapping[str, str] | None = None,
) -> None:
    """The booking's notices (`notices`) written in `conn`'s transaction: the notice exists exactly
    when the change does."""
    rows = await notices(
        kind=kind, booking_id=booking_id, people=people, resource=resource, start=start, extra=extra
    )
    for row in rows:
        await notifications.write_notice(row, conn=conn)


async def notices(
    *,
    kind: str,
    booking_id: uuid.UUID,
    people: Iterable[uuid.UUID],
    resource: Resource,
    start: dt.datetime,
    extra: Mapping[str, str] | None = None,
    grants: Any = None,
) -> list[Notice]:
    """An inbox message (and maybe a WeChat one) to the person the booking is for (the last of
    `people`), copied to whoever holds a live family grant for them, and to the booker. kind ids live
    in bookings.po. Reads the subject's proxies (one query; none when the caller already read them
    with `family.live_grants_sql`: `grants`); writes nothing.

    The resource's name goes in every language it has (`localized`): each reader sees their own.
    A booker who is the subject's proxy gets the proxy's copy ("For your parent: ..."), once.
    """
    params = {
        "booking_id": str(booking_id),
        "resource": localized(resource_view(resource).name),
        "start": local_text(start),
        **dict(extra or {}),
    }
    link = f"/pages/bookings/detail?id={booking_id}"
    everyone = list(dict.fromkeys(people))
    subject = everyone[-1]
    scope = proxy_scope_for(resource.owner_domain)
    if grants is None:
        grants = await family.proxies_of(subject_id=subject, scope=scope)
    else:
        grants = family.proxies_in(grants, scope)
    proxies = {str(proxy_id) for proxy_id, _ in grants}
    rows: list[Notice] = []
    for user_id in everyone:
        if user_id == subject:
            rows += notice_rows(user_id=user_id, kind=kind, params=params, link=link, proxies=grants)
        elif str(user_id) not in proxies:  # a proxy already has its copy
            rows += notice_rows(user_id=user_id, kind=kind, params=params, link=link)
    return rows


def proxy_scope_for(owner_domain: str | None) -> str:
    """The family-grant scope under which a resource's bookings are news for proxies."""
    return ProxyScope.CARE.value if owner_domain == "care" else ProxyScope.BOOKINGS.value


async def notify_row(conn: Any, row: Booking, kind: str) -> None:
    await notify(
        conn,
        kind=kind,
        booking_id=row.id,
        people=(row.user_id, row.subject_id),
        resource=row.resource,
        start=row.slot_start,
    )
