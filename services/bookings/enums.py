"""Enumerated states of the booking engine and the explicit transitions between them.

    held ──────► confirmed ──► checked_in
     │  ╲            │  ╲
     │   ╲ expired   │   no_show
     ▼                ▼
    cancelled ◄──── (held | requested | confirmed)
    requested ──► confirmed | denied

Every status change goes through `transition()` (or a named wrapper), which refuses a move the
diagram does not draw; the service then writes it with a compare-and-set on the old status.
"""

from __future__ import annotations

from enum import StrEnum

from services.bookings.errors import IllegalTransition

__all__ = [
    "ACTIVE_STATUSES",
    "BookingStatus",
    "IdDocument",
    "OwnerDomain",
    "RELEASING_STATUSES",
    "SlotStatus",
    "WaitlistStatus",
    "can_transition",
    "cancel",
    "check_in",
    "confirm",
    "deny",
    "expire",
    "mark_no_show",
    "transition",
]


class OwnerDomain(StrEnum):
    """The domain that owns a bookable resource (and may veto bookings through a guard)."""

    GOV = "gov"
    TOURISM = "tourism"
    COMMUNITY = "community"
    CARE = "care"


class SlotStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # staff closed it (e.g. a window out of service); existing bookings stand


class BookingStatus(StrEnum):
    HELD = "held"  # place kept for a short while (e.g. until payment); expires by a job
    REQUESTED = "requested"  # waits for staff approval; counts against capacity
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    EXPIRED = "expired"
    DENIED = "denied"


class IdDocument(StrEnum):
    """The identity documents a real-name visitor may present (those Chinese ticketing systems accept)."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643)
    PASSPORT = "passport"  # 护照
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"  # 外国人永久居留身份证 (2017 and 2023)
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"  # 港澳台居民居住证


class WaitlistStatus(StrEnum):
    WAITING = "waiting"
    PROMOTED = "promoted"
    LEFT = "left"


# A person may hold one booking in these statuses per slot (partial unique index).
ACTIVE_STATUSES: frozenset[BookingStatus] = frozenset(
    {BookingStatus.HELD, BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.CHECKED_IN}
)
# Moving into these statuses gives the booking's places back to the slot (and may promote the waitlist).
RELEASING_STATUSES: frozenset[BookingStatus] = frozenset(
    {BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.DENIED}
)

_ALLOWED: dict[BookingStatus, frozenset[BookingStatus]] = {
    BookingStatus.HELD: frozenset({BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.EXPIRED}),
    BookingStatus.REQUESTED: frozenset(
        {BookingStatus.CONFIRMED, BookingStatus.DENIED, BookingStatus.CANCELLED}
    ),
    BookingStatus.CONFIRMED: frozenset(
        {BookingStatus.CHECKED_IN, BookingStatus.CANCELLED, BookingStatus.NO_SHOW}
    ),
    BookingStatus.CHECKED_IN: frozenset(),
    BookingStatus.CANCELLED: frozenset(),
    BookingStatus.NO_SHOW: frozenset(),
    BookingStatus.EXPIRED: frozenset(),
    BookingStatus.DENIED: frozenset(),
}


def can_transition(current: BookingStatus | str, target: BookingStatus | str) -> bool:
    """True when the state diagram has an arrow from `current` to `target`."""
    return BookingStatus(target) in _ALLOWED[BookingStatus(current)]


def transition(current: BookingStatus | str, target: BookingStatus | str) -> BookingStatus:
    """`target`, or IllegalTransition when the diagram has no such arrow."""
    if not can_transition(current, target):
        raise IllegalTransition(
            details={"from": str(current), "to": str(target)}, status=str(current), target=str(target)
        )
    return BookingStatus(target)


def confirm(current: BookingStatus | str) -> BookingStatus:
    """held|requested -> confirmed."""
    return transition(current, BookingStatus.CONFIRMED)


def cancel(current: BookingStatus | str) -> BookingStatus:
    """held|requested|confirmed -> cancelled."""
    return transition(current, BookingStatus.CANCELLED)


def check_in(current: BookingStatus | str) -> BookingStatus:
    """confirmed -> checked_in."""
    return transition(current, BookingStatus.CHECKED_IN)


def mark_no_show(current: BookingStatus | str) -> BookingStatus:
    """confirmed -> no_show (after the slot ended)."""
    return transition(current, BookingStatus.NO_SHOW)


def expire(current: BookingStatus | str) -> BookingStatus:
    """held -> expired (the hold ran out)."""
    return transition(current, BookingStatus.EXPIRED)


def deny(current: BookingStatus | str) -> BookingStatus:
    """requested -> denied (staff refused)."""
    return transition(current, BookingStatus.DENIED)
