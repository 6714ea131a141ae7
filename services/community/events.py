"""Community events with sign-up through the booking engine.

Each event is one booking resource (owner_domain "community", owner_ref "event:<id>", staff role
community_staff scoped to the community id) with one slot whose capacity is the event's. Residents
sign up, cancel and join the waitlist through the engine's /api/v1/bookings routes; the engine
promotes the waitlist on cancellation. A resource per event (rather than per community) keeps two
events starting at the same time apart and lets each have its own party size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.bookings import service as bookings
from services.bookings.enums import OwnerDomain
from services.bookings.policy import BookingPolicy
from services.bookings.views import SlotView
from services.common import clock
from services.common.errors import InvalidInput
from services.common.i18n import DEFAULT_LOCALE
from services.common.ids import new_id, parse_id
from services.common.pagination import Page
from services.community.communities import community_of_staff, get_community, is_staff, sees_members_only
from services.community.content import SCENE_EVENT, check_text
from services.community.enums import EventStatus, MembershipStatus, NoticeVisibility, SecVerdict
from services.community.errors import EventNotFound, EventTextHeld, EventTooFar, MembersOnlyEvent
from services.community.models import CommunityEvent, Membership
from services.community.ports import ContentChecker

__all__ = [
    "BOOKING_POLICY",
    "EVENT_REF_PREFIX",
    "EventView",
    "check_in",
    "create_event",
    "get_event",
    "list_events",
    "list_signups",
    "members_only_guard",
    "members_only_visible",
]

EVENT_REF_PREFIX = "event:"
# Events are announced weeks ahead, not decades: a year 9999 date is a typing error.
MAX_AHEAD = dt.timedelta(days=366)


@dataclass(frozen=True, slots=True)
class EventView:
    event: CommunityEvent
    slot: SlotView | None


async def _view(event: CommunityEvent) -> EventView:
    slot = await bookings.get_slot(slot_id=event.slot_id) if event.slot_id else None
    return EventView(event, slot)


async def create_event(
    *,
    actor: Principal,
    community_id: str,
    title: str,
    description: str,
    place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    party_size_max: int,
    visibility: NoticeVisibility,
    checker: ContentChecker | None = None,
    locale: str = DEFAULT_LOCALE,
) -> EventView:
    """Staff create an event: text checked by WeChat, its booking resource and slot, then the event."""
    community = await community_of_staff(actor=actor, community_id=community_id)
    now = clock.now()
    if starts_at <= now or ends_at <= starts_at:
        raise InvalidInput("community.event_invalid_time")
    if starts_at - now > MAX_AHEAD or ends_at - starts_at > MAX_AHEAD:
        raise EventTooFar(days=MAX_AHEAD.days)
    # Residents read the title and description: refused when risky, and not published unchecked.
    verdict = await check_text(
        checker=checker,
        author_id=actor.user_id,
        content=f"{title}\n{description}",
        scene=SCENE_EVENT,
        locale=locale,
    )
    if verdict.suggest is not SecVerdict.PASS:
        raise EventTextHeld()
    event_id = new_id()
    days_ahead = (clock.local_date(starts_at) - clock.local_date(now)).days
    resource = await bookings.ensure_resource(
        owner_domain=OwnerDomain.COMMUNITY,
        owner_ref=f"{EVENT_REF_PREFIX}{event_id}",
        name={"zh_CN": title},
        staff_role=Role.COMMUNITY_STAFF,
        staff_scope=str(community.id),
        rules={
            "min_level": "wechat",
            "party_size_max": party_size_max,
            "per_person_per_day": 1,
            "advance_days": max(14, days_ahead + 1),  # sign-up opens as soon as the event is announced
            "waitlist": True,
            "check_in_opens_minutes": 120,
        },
    )
    slot = await bookings.create_slot(
        resource_id=resource.id, start=starts_at, end=ends_at, capacity=capacity, label=title[:64]
    )
    event = await CommunityEvent.create(
        id=event_id,
        community_id=community.id,
        title=title,
        description=description,
        place=place,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        visibility=visibility,
        resource_id=str(resource.id),
        slot_id=str(slot.id),
        created_by_id=actor.user_id,
    )
    return EventView(event, slot)


async def list_events(*, viewer: Principal | None, community_id: str, include_past: bool = False) -> Page:
    """A community's scheduled events, soonest first; members-only ones to its members and staff."""
    community = (await get_community(community_id=community_id)).community
    query = CommunityEvent.filter(community_id=community.id, status=EventStatus.SCHEDULED)
    if not include_past:
        query = query.filter(ends_at__gt=clock.now())
    if not await sees_members_only(viewer, community.id):
        query = query.filter(visibility=NoticeVisibility.PUBLIC)
    events = await query.order_by("starts_at", "id").limit(100)
    return Page(items=[await _view(e) for e in events], next_cursor=None)


async def _event(event_id: str) -> CommunityEvent:
    parsed = parse_id(event_id)
    event = await CommunityEvent.get_or_none(id=parsed) if parsed else None
    if event is None:
        raise EventNotFound()
    return event


async def get_event(*, viewer: Principal | None, event_id: str) -> EventView:
    event = await _event(event_id)
    if event.visibility is NoticeVisibility.MEMBERS and not await sees_members_only(
        viewer, event.community_id
    ):
        raise EventNotFound()
    return await _view(event)


async def _staff_event(actor: Principal, event_id: str) -> CommunityEvent:
    event = await _event(event_id)
    if not is_staff(actor, event.community_id):
        raise EventNotFound()
    return event


async def list_signups(*, actor: Principal, event_id: str, limit: int, cursor: str | None) -> Page:
    """Who signed up (the engine's bookings of the event's resource), for the community's staff."""
    event = await _staff_event(actor, event_id)
    return await bookings.list_bookings_of_resource(
        actor=actor, resource_id=event.resource_id, limit=limit, cursor=cursor
    )


async def check_in(*, actor: Principal, event_id: str, code: str, cipher: Any) -> Any:
    """Staff check a resident in by the code on their phone (the engine checks code, staff scope, time)."""
    await _staff_event(actor, event_id)
    return await bookings.check_in(actor=actor, code=code, cipher=cipher)


async def _members_only_event(resource: Any) -> CommunityEvent | None:
    """The members-only event behind a booking resource, if it is one."""
    ref = str(getattr(resource, "owner_ref", ""))
    if not ref.startswith(EVENT_REF_PREFIX):
        return None
    event = await CommunityEvent.get_or_none(id=parse_id(ref.removeprefix(EVENT_REF_PREFIX)))
    if event is None or event.visibility is not NoticeVisibility.MEMBERS:
        return None
    return event


async def members_only_guard(*, resource: Any, actor: Principal, **_: Any) -> None:
    """Booking-engine guard: a members-only event takes sign-ups from verified members (and staff) only.

    The engine runs it for booking, joining the waitlist and waitlist promotion alike.
    """
    event = await _members_only_event(resource)
    if event is None:
        return
    if is_staff(actor, event.community_id):
        return
    if not await Membership.exists(
        user_id=actor.subject_id, community_id=event.community_id, status=MembershipStatus.VERIFIED
    ):
        raise MembersOnlyEvent()


async def members_only_visible(*, resource: Any, viewer: Principal | None) -> bool:
    """Booking-engine visibility: a members-only event's resource and slots only for members and staff."""
    event = await _members_only_event(resource)
    return event is None or await sees_members_only(viewer, event.community_id)


BOOKING_POLICY = BookingPolicy(
    owner_domain=OwnerDomain.COMMUNITY.value,
    guards=(members_only_guard,),
    visible=members_only_visible,
)
