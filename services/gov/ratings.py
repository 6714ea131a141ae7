"""好差评: ratings of completed cases and hall visits, and the follow-ups of bad ones."""

from __future__ import annotations

import datetime as dt
import uuid

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.bookings import service as bookings
from services.bookings.enums import BookingStatus, OwnerDomain
from services.common import audit, clock
from services.common.errors import InvalidInput, NotFound
from services.common.ids import parse_id
from services.common.pagination import Page, decode_cursor, encode_cursor
from services.gov.enums import (
    CaseEventKind,
    CaseStatus,
    FollowUpStatus,
    RatingLevel,
)
from services.gov.errors import (
    AlreadyRated,
    FollowUpClosed,
    FollowUpNotFound,
    NotRatable,
    RatingTargetNotFound,
)
from services.gov.models import (
    Case,
    FollowUp,
    HallWindow,
    Rating,
)
from services.gov.timeline import record_event
from services.gov.views import FollowUpItem, FollowUpView, RatingView

__all__ = [
    "FOLLOW_UP_WORKING_DAYS",
    "close_follow_up",
    "list_follow_ups",
    "rate",
]

FOLLOW_UP_WORKING_DAYS = 15


def _rating_view(rating: Rating, follow_up: FollowUp | None) -> RatingView:
    return RatingView(
        id=rating.id,
        case_id=rating.case_id,
        booking_id=rating.booking_id,
        level=RatingLevel(rating.level),
        score=rating.score,
        tags=list(rating.tags),
        text=rating.text,
        department=rating.department_code,
        created_at=rating.created_at,
        follow_up=FollowUpView(
            id=follow_up.id,
            status=FollowUpStatus(follow_up.status),
            due_date=follow_up.due_date,
            department=follow_up.department_code,
        )
        if follow_up
        else None,
    )


async def rate(
    *,
    actor: Principal,
    target_id: str,
    level: RatingLevel,
    tags: list[str],
    text: str,
) -> RatingView:
    """好差评 by the owner of a completed case, or of a checked-in hall booking; once each."""
    parsed = parse_id(target_id)
    if parsed is None:
        raise RatingTargetNotFound()
    case = await Case.get_or_none(id=parsed)
    booking_id: uuid.UUID | None = None
    if case is not None:
        # Only the applicant rates (not a proxy, not anyone else); others get the same 404 as no case.
        if case.user_id != actor.user_id or actor.acting_for is not None:
            raise RatingTargetNotFound()
        if case.status != CaseStatus.COMPLETED:
            raise NotRatable(status=case.status.value)
        department = case.department_code
    else:
        booking_id, department = await _ratable_booking(actor, parsed)
    if await Rating.exists(Q(case_id=case.id) if case else Q(booking_id=booking_id)):
        raise AlreadyRated()
    today = clock.local_date()
    try:
        async with in_transaction() as conn:
            rating = await Rating.create(
                case_id=case.id if case else None,
                booking_id=booking_id,
                user_id=actor.user_id,
                department_code=department,
                level=level,
                score=level.score,
                tags=tags,
                text=text,
                using_db=conn,
            )
            follow_up = None
            if level.is_bad:
                follow_up = await FollowUp.create(
                    rating_id=rating.id,
                    department_code=department,
                    due_date=clock.add_working_days(today, FOLLOW_UP_WORKING_DAYS),
                    using_db=conn,
                )
            if case is not None:
                await record_event(
                    case,
                    kind=CaseEventKind.RATED,
                    actor="citizen",
                    conn=conn,
                    data={"level": level.value},
                )
    except IntegrityError as error:
        raise AlreadyRated() from error
    return _rating_view(rating, follow_up)


async def _ratable_booking(actor: Principal, booking_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """(booking id, department) of a checked-in hall booking the actor had; else the 404/409."""
    try:
        booking = await bookings.get_booking(actor=actor, booking_id=booking_id)
    except NotFound as error:
        raise RatingTargetNotFound() from error
    # get_booking also shows bookings to staff; only the person served (or who booked) rates.
    if actor.acting_for is not None or actor.user_id not in (booking.user_id, booking.subject_id):
        raise RatingTargetNotFound()
    window = (
        await HallWindow.get_or_none(code=booking.resource.owner_ref)
        if booking.resource.owner_domain == OwnerDomain.GOV
        else None
    )
    if window is None:
        raise RatingTargetNotFound()
    if booking.status != BookingStatus.CHECKED_IN:
        raise NotRatable(status=booking.status.value)
    return booking.id, window.department_code


def _follow_up_item(f: FollowUp, rating: Rating, case_ref: str | None) -> FollowUpItem:
    return FollowUpItem(
        id=f.id,
        status=FollowUpStatus(f.status),
        due_date=f.due_date,
        department=f.department_code,
        level=RatingLevel(rating.level),
        tags=list(rating.tags),
        text=rating.text,
        case_ref=case_ref,
        booking_id=rating.booking_id,
        rated_at=rating.created_at,
        resolution=f.resolution,
        closed_at=f.closed_at,
    )


async def list_follow_ups(
    *, actor: Principal, status: FollowUpStatus | None = None, limit: int = 20, cursor: str | None = None
) -> Page:
    """Follow-ups of bad ratings for the departments the operator serves, earliest due first."""
    scopes = actor.roles.get(Role.DEPT_OPERATOR, frozenset())
    query = FollowUp.all()
    if not (Role.ADMIN in actor.roles or "" in scopes):
        query = query.filter(department_code__in=sorted(scopes))
    if status:
        query = query.filter(status=status)
    position = decode_cursor(cursor)
    if position:
        try:
            after_due = dt.date.fromisoformat(str(position["d"]))
            after_id = uuid.UUID(str(position["id"]))
        except (KeyError, ValueError) as error:
            raise InvalidInput("request.bad_cursor") from error
        query = query.filter(Q(due_date__gt=after_due) | Q(due_date=after_due, id__gt=after_id))
    rows = await query.order_by("due_date", "id").limit(limit + 1).prefetch_related("rating")
    more = len(rows) > limit
    rows = rows[:limit]
    case_refs = dict(
        await Case.filter(id__in=[f.rating.case_id for f in rows if f.rating.case_id]).values_list(
            "id", "ref"
        )
    )
    items = [_follow_up_item(f, f.rating, case_refs.get(f.rating.case_id)) for f in rows]
    next_cursor = (
        encode_cursor({"d": rows[-1].due_date.isoformat(), "id": str(rows[-1].id)}) if more and rows else None
    )
    return Page(items=items, next_cursor=next_cursor)


def _serves_department(actor: Principal, department: str) -> bool:
    return actor.has_role(Role.DEPT_OPERATOR, department)


async def close_follow_up(*, actor: Principal, follow_up_id: str, resolution: str) -> FollowUpItem:
    """A department operator records what was done about a bad rating and closes its follow-up."""
    parsed = parse_id(follow_up_id)
    follow_up = await FollowUp.get_or_none(id=parsed).prefetch_related("rating") if parsed else None
    # Another department's follow-up is the same 404 as none at all.
    if follow_up is None or not _serves_department(actor, follow_up.department_code):
        raise FollowUpNotFound()
    # Compare-and-set on "open": two operators closing at once cannot both record a resolution.
    changed = await FollowUp.filter(id=follow_up.id, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.CLOSED, resolution=resolution, closed_by_id=actor.user_id, closed_at=clock.now()
    )
    if not changed:
        raise FollowUpClosed()
    await audit.record(
        "follow_up.closed", actor_id=actor.user_id, target_type="follow_up", target_id=follow_up.id
    )
    await follow_up.refresh_from_db()
    return _follow_up_item(follow_up, follow_up.rating, None)
