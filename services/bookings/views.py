"""What the booking service returns: plain values, so callers never hold ORM rows."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from services.bookings.enums import ACTIVE_STATUSES, BookingStatus, OwnerDomain, SlotStatus, WaitlistStatus
from services.bookings.rules import BookingRules, Opening

__all__ = ["BookingView", "ResourceView", "SlotView", "VisitorView", "WaitlistView"]


@dataclass(frozen=True, slots=True)
class ResourceView:
    id: uuid.UUID
    owner_domain: OwnerDomain
    owner_ref: str
    name: dict[str, str]
    staff_role: str
    staff_scope: str
    rules: BookingRules
    openings: tuple[Opening, ...]
    active: bool

    def display_name(self, locale: str | None = None) -> str:
        """The name in `locale`, falling back to zh_CN, then to any name at all."""
        return (
            self.name.get(locale or "zh_CN")
            or self.name.get("zh_CN")
            or next(iter(self.name.values()), self.owner_ref)
        )


@dataclass(frozen=True, slots=True)
class SlotView:
    id: uuid.UUID
    resource_id: uuid.UUID
    start: dt.datetime
    end: dt.datetime
    day: dt.date
    capacity: int
    taken: int
    status: SlotStatus
    label: str | None = None

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.taken)

    def display_status(self, now: dt.datetime) -> str:
        """open | full | closed | past: what a citizen choosing a time needs to know."""
        if self.status is SlotStatus.CLOSED:
            return "closed"
        if self.start <= now:
            return "past"
        return "full" if self.remaining == 0 else "open"


@dataclass(frozen=True, slots=True)
class VisitorView:
    name_masked: str
    id_number_masked: str
    id_type: str = "resident_id"  # services.bookings.enums.IdDocument


@dataclass(frozen=True, slots=True)
class BookingView:
    id: uuid.UUID
    slot: SlotView
    resource: ResourceView
    user_id: uuid.UUID
    for_member_id: uuid.UUID | None
    subject_id: uuid.UUID
    party_size: int
    status: BookingStatus
    check_in_code: str
    purpose: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    hold_expires_at: dt.datetime | None = None
    confirmed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    checked_in_at: dt.datetime | None = None
    visitors: tuple[VisitorView, ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def visible_check_in_code(self) -> str | None:
        """The code to show as a QR code: only while it can still be used."""
        return self.check_in_code if self.status is BookingStatus.CONFIRMED else None


@dataclass(frozen=True, slots=True)
class WaitlistView:
    id: uuid.UUID
    slot_id: uuid.UUID
    subject_id: uuid.UUID
    party_size: int
    status: WaitlistStatus
    position: int | None  # 1-based place in the queue while waiting
    booking_id: uuid.UUID | None
    created_at: dt.datetime
