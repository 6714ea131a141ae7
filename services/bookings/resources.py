"""Bookable resources and their slots: create them, read them (as their owner allows), list a day.

  ensure_resource(*, owner_domain, owner_ref, name, staff_role, staff_scope="", rules=None, openings=None,
                  active=True) -> ResourceView            idempotent upsert keyed by (owner_domain, owner_ref)
  get_resource(*, resource_id, viewer=None, policies=None) -> ResourceView
  find_resource(*, owner_domain, owner_ref) -> ResourceView | None
  generate_slots(*, resource_id, start, days, openings=None) -> int   slots from weekly openings (holiday-aware)
  create_slot(*, resource_id, start, end, capacity, label=None) -> SlotView   a one-off slot (an event)
  get_slot(*, slot_id) -> SlotView
  list_slots(*, resource_id, date, viewer=None, policies=None) -> list[SlotView]

With `policies`, reads ask the owning domain's `visible` hook first and answer ResourceNotFound to a
viewer who may not see the resource (a members-only event to an outsider), so nothing leaks its name.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import holidays
from tortoise.exceptions import IntegrityError

from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.bookings import write
from services.bookings.enums import OwnerDomain, SlotStatus
from services.bookings.errors import ResourceNotFound, SlotExists, SlotNotFound
from services.bookings.models import Resource, Slot
from services.bookings.policy import BookingPolicies
from services.bookings.rules import BookingRules, Opening
from services.bookings.views import ResourceView, SlotView
from services.common import clock
from services.common.errors import InvalidInput
from services.common.ids import parse_id

__all__ = [
    "create_slot",
    "ensure_resource",
    "find_resource",
    "generate_slots",
    "get_resource",
    "get_slot",
    "is_staff",
    "list_slots",
    "resource_row",
    "resource_view",
    "slot_row",
    "slot_view",
]


def resource_view(row: Resource) -> ResourceView:
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
    return resource_view(row)


async def resource_row(resource_id: uuid.UUID | str) -> Resource:
    parsed = parse_id(resource_id)
    row = await Resource.get_or_none(id=parsed) if parsed else None
    if row is None:
        raise ResourceNotFound()
    return row


async def _require_visible(
    row: Resource, *, viewer: Principal | None, policies: BookingPolicies | None
) -> ResourceView:
    """The resource's view, or ResourceNotFound when its owner hides it from `viewer`."""
    view = resource_view(row)
    visible = policies.visible_for(view.owner_domain) if policies is not None else None
    if visible is not None and not is_staff(viewer, view) and not await visible(resource=view, viewer=viewer):
        raise ResourceNotFound()
    return view


async def get_resource(
    *,
    resource_id: uuid.UUID | str,
    viewer: Principal | None = None,
    policies: BookingPolicies | None = None,
) -> ResourceView:
    """The resource, or ResourceNotFound (also when its owning domain does not show it to `viewer`)."""
    return await _require_visible(await resource_row(resource_id), viewer=viewer, policies=policies)


async def find_resource(*, owner_domain: OwnerDomain | str, owner_ref: str) -> ResourceView | None:
    """The resource an owning domain registered for `owner_ref`, if any."""
    row = await Resource.get_or_none(owner_domain=OwnerDomain(owner_domain), owner_ref=owner_ref)
    return resource_view(row) if row else None


# -------------------------------------------------------------------------------------------- slots


def slot_view(row: Slot) -> SlotView:
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
    resource = await resource_row(resource_id)
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
    resource = await resource_row(resource_id)
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
    return slot_view(row)


async def slot_row(slot_id: uuid.UUID | str) -> Slot:
    """The slot with its resource (one raw query: the booking's hot path, issue 12), or SlotNotFound."""
    parsed = parse_id(slot_id)
    row = await write.slot_with_resource(parsed) if parsed else None
    if row is None:
        raise SlotNotFound()
    return row


async def get_slot(*, slot_id: uuid.UUID | str) -> SlotView:
    """The slot, or SlotNotFound."""
    return slot_view(await slot_row(slot_id))


async def list_slots(
    *,
    resource_id: uuid.UUID | str,
    date: dt.date,
    viewer: Principal | None = None,
    policies: BookingPolicies | None = None,
) -> list[SlotView]:
    """The slots of a resource on a local date, in time order, with what remains of each."""
    resource = await resource_row(resource_id)
    await _require_visible(resource, viewer=viewer, policies=policies)
    rows = await Slot.filter(resource_id=resource.id, day=date).order_by("start")
    return [slot_view(row) for row in rows]


def is_staff(actor: Principal | None, resource: Resource | ResourceView) -> bool:
    """True when `actor` holds the resource's staff role for its scope."""
    if actor is None:
        return False
    try:
        role = Role(resource.staff_role)
    except ValueError:
        return False
    return actor.has_role(role, resource.staff_scope or None)
