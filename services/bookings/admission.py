"""The one admission step: whether a person may take places in a slot, whatever the path.

Booking, joining a waitlist and waitlist promotion all call `admit`, so no path skips a rule:
  * the resource's verification level (services.accounts.levels, the same check as the HTTP edge);
  * the party size the rules allow;
  * the slot is open, not started, and inside the advance-booking window;
  * no no-show ban in the owning domain;
  * the per-person daily cap (a first count here; the exact count runs inside the booking transaction);
  * the owning domain's guards from `BookingPolicies` (tourism: red crowd level; community: members only).
Guards raise their own DomainErrors, which pass through unchanged.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from services.accounts.levels import require_level
from services.accounts.principal import Principal
from services.bookings import ledger
from services.bookings.documents import CleanVisitor
from services.bookings.enums import BookingStatus, SlotStatus
from services.bookings.errors import (
    BadPartySize,
    BookingBanned,
    DailyCapReached,
    OutsideBookingWindow,
    SlotClosed,
)
from services.bookings.models import Booking, Resource, Slot
from services.bookings.policy import BookingPolicies
from services.bookings.resources import resource_view, slot_view
from services.bookings.rules import BookingRules
from services.common import clock

__all__ = ["admit", "ban_until", "check_bookable"]


def check_bookable(slot: Slot, rules: BookingRules, now: dt.datetime) -> None:
    """SlotClosed when the slot is closed, its resource inactive or it has started; the window."""
    if slot.status != SlotStatus.OPEN or not slot.resource.active or slot.start <= now:
        raise SlotClosed()
    last_day = clock.local_date(now) + dt.timedelta(days=rules.advance_days)
    if slot.day > last_day:
        raise OutsideBookingWindow(
            details={"last_bookable_date": last_day.isoformat()}, days=rules.advance_days
        )


async def ban_until(
    *, subject_id: uuid.UUID, resource: Resource, rules: BookingRules, now: dt.datetime
) -> dt.datetime | None:
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


async def admit(
    *,
    actor: Principal,
    slot: Slot,
    places: int,
    purpose: Mapping[str, Any] | None,
    policies: BookingPolicies,
    now: dt.datetime,
    conn: Any = None,
    visitors: tuple[CleanVisitor, ...] = (),
) -> BookingRules:
    """Refuse (a DomainError) unless `actor` may take `places` in `slot`; returns the resource's rules.

    `slot` carries its resource (select_related). `conn` is the open transaction of a promotion.
    `visitors` are the booking's cleaned real-name visitors (none on a waitlist), given to the guards.
    """
    resource = slot.resource
    rules = BookingRules.from_value(resource.rules)
    require_level(actor, rules.min_level)
    most = max(rules.party_size_max, rules.visitors_max if rules.visitors_required else 0)
    if not 1 <= places <= most:
        raise BadPartySize(details={"max": rules.party_size_max}, max=rules.party_size_max)
    check_bookable(slot, rules, now)
    subject_id = actor.subject_id
    banned = await ban_until(subject_id=subject_id, resource=resource, rules=rules, now=now)
    if banned is not None:
        raise BookingBanned(details={"until": banned.isoformat()}, until=ledger.local_text(banned))
    if rules.per_person_per_day:
        held = await ledger.held_today(conn, subject_id=subject_id, resource_id=resource.id, day=slot.day)
        if held >= rules.per_person_per_day:
            raise DailyCapReached(details={"cap": rules.per_person_per_day}, cap=rules.per_person_per_day)
    guards = policies.guards_for(resource.owner_domain)
    if guards:
        resource_value, slot_value = resource_view(resource), slot_view(slot)
        for guard in guards:
            await guard(
                resource=resource_value,
                slot=slot_value,
                actor=actor,
                party_size=places,
                purpose=dict(purpose or {}),
                visitors=visitors,
            )
    return rules
