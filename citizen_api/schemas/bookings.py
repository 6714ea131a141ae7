"""Request and response shapes of the booking engine (API.md: Slot and Booking shapes)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import ListQuery, StrictModel
from services.bookings.enums import BookingStatus, IdDocument, OwnerDomain, WaitlistStatus
from services.bookings.views import BookingView, ResourceView, SlotView, VisitorView, WaitlistView
from services.common import clock

__all__ = [
    "BookingIn",
    "BookingOut",
    "BookingPage",
    "CheckInIn",
    "DecisionIn",
    "ResourceOut",
    "SlotList",
    "SlotOut",
    "SlotsQuery",
    "StaffBookingsQuery",
    "VisitorIn",
    "VisitorOut",
    "WaitlistIn",
    "WaitlistOut",
]

_PURPOSE_VALUE = str | int | float | bool | None


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    """Display time: ISO 8601 in Asia/Shanghai (+08:00)."""
    return clock.to_local(moment) if moment is not None else None


class SlotsQuery(StrictModel):
    date: dt.date = Field(description="local date (Asia/Shanghai), YYYY-MM-DD")


class StaffBookingsQuery(ListQuery):
    date: dt.date | None = Field(None, description="local visit date")
    status: BookingStatus | None = None


class VisitorIn(StrictModel):
    """A real-name visitor (tourism, any resource with visitors): the one visitor shape of the API."""

    name: str = Field(min_length=1, max_length=64, description="the name as on the document")
    id_type: IdDocument = Field(
        IdDocument.RESIDENT_ID,
        description="resident_id (居民身份证), passport, hk_macao_permit (港澳居民来往内地通行证), "
        "taiwan_permit (台湾居民来往大陆通行证), foreign_permanent_resident (外国人永久居留身份证, "
        "2017 or 2023 card), hmt_residence_permit (港澳台居民居住证)",
    )
    id_number: str = Field(
        min_length=1, max_length=32, description="the document's number; spaces are ignored"
    )


class BookingIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"slot_id": "01939d2c-5b7e-7c1a-9a44-6f1f3c2e8b10", "party_size": 2}]}
    )
    slot_id: str = Field(max_length=64)
    party_size: int | None = Field(None, ge=1, le=50, description="defaults to the number of visitors, or 1")
    visitors: list[VisitorIn] | None = Field(None, max_length=20, description="real-name visitors (tourism)")
    for_member: uuid.UUID | None = Field(
        None, description="book for a family member you hold a proxy grant for (same as X-Acting-For)"
    )
    purpose: dict[str, _PURPOSE_VALUE] | None = Field(
        None, max_length=10, description="what the visit is for, e.g. {'item_code': '...'} for a hall window"
    )


class WaitlistIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"party_size": 1}]})
    party_size: int = Field(1, ge=1, le=50)


class CheckInIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "JYB1AGJZ2LC3PZ6BUSSEN4PT4LQL3AH4NTWWMUXM"}]}
    )
    code: str = Field(min_length=8, max_length=64, description="the code shown under the booking's QR code")


class DecisionIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"approve": True}]})
    approve: bool


class SlotOut(BaseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int
    status: str = Field(description="open | full | closed | past")
    label: str | None = None

    @classmethod
    def from_domain(cls, slot: SlotView, *, now: dt.datetime | None = None) -> SlotOut:
        return cls(
            id=slot.id,
            resource_id=slot.resource_id,
            start=_local(slot.start),
            end=_local(slot.end),
            capacity=slot.capacity,
            remaining=slot.remaining,
            status=slot.display_status(now or clock.now()),
            label=slot.label,
        )

    @staticmethod
    def live_sql(answer: str, field: str, *, capacity: str, taken: str) -> str:
        """PostgreSQL: jsonb `answer` with the SlotOut in its `field` showing `capacity` and `taken`
        (SQL expressions): what `from_domain` gives for them, for an answer rendered before the
        statement that decides them (the booking's one statement, issue 12). `status` only changes
        between open and full (a closed or past slot stays as rendered)."""
        remaining = f"GREATEST(0, {capacity} - {taken})"
        at_remaining, at_status = f"'{{{field},remaining}}'", f"'{{{field},status}}'"
        with_remaining = f"jsonb_set({answer}, {at_remaining}, to_jsonb({remaining}))"
        live_status = (
            f"CASE WHEN {answer} #>> {at_status} IN ('open', 'full')"
            f" THEN to_jsonb((CASE WHEN {remaining} = 0 THEN 'full' ELSE 'open' END)::text)"
            f" ELSE {answer} #> {at_status} END"
        )
        return f"jsonb_set({with_remaining}, {at_status}, {live_status})"


class SlotList(BaseModel):
    items: list[SlotOut]
    next_cursor: str | None = None


class ResourceOut(BaseModel):
    id: uuid.UUID
    owner_domain: OwnerDomain
    owner_ref: str
    name: str
    rules: dict[str, Any]

    @classmethod
    def from_domain(cls, resource: ResourceView, locale: str | None = None) -> ResourceOut:
        return cls(
            id=resource.id,
            owner_domain=resource.owner_domain,
            owner_ref=resource.owner_ref,
            name=resource.display_name(locale),
            rules=resource.rules.as_dict(),
        )


class ResourceBrief(BaseModel):
    id: uuid.UUID
    owner_domain: OwnerDomain
    owner_ref: str
    name: str


class VisitorOut(BaseModel):
    name: str = Field(description="masked")
    id_type: str = Field("resident_id", description="the document type (see VisitorIn)")
    id_number: str = Field(description="masked, e.g. 4108**********1234")

    @classmethod
    def from_domain(cls, visitor: VisitorView) -> VisitorOut:
        return cls(name=visitor.name_masked, id_type=visitor.id_type, id_number=visitor.id_number_masked)


class BookingOut(BaseModel):
    id: uuid.UUID
    slot: SlotOut
    status: BookingStatus
    party_size: int
    for_member: uuid.UUID | None
    check_in_code: str | None = Field(description="show as a QR code; only while the booking is confirmed")
    created_at: dt.datetime
    resource: ResourceBrief
    booked_by: uuid.UUID
    visitors: list[VisitorOut]
    purpose: dict[str, Any]
    hold_expires_at: dt.datetime | None = None
    checked_in_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None

    @staticmethod
    def live_sql(answer: str, capacity: str, taken: str) -> str:
        """PostgreSQL: a rendered BookingOut (jsonb `answer`) with its slot's places as the booking's
        one statement left them (`idempotency.Record.live`)."""
        return SlotOut.live_sql(answer, "slot", capacity=capacity, taken=taken)

    @classmethod
    def from_domain(cls, booking: BookingView, locale: str | None = None) -> BookingOut:
        resource = booking.resource
        return cls(
            id=booking.id,
            slot=SlotOut.from_domain(booking.slot),
            status=booking.status,
            party_size=booking.party_size,
            for_member=booking.for_member_id,
            check_in_code=booking.visible_check_in_code,
            created_at=_local(booking.created_at),
            resource=ResourceBrief(
                id=resource.id,
                owner_domain=resource.owner_domain,
                owner_ref=resource.owner_ref,
                name=resource.display_name(locale),
            ),
            booked_by=booking.user_id,
            visitors=[VisitorOut.from_domain(v) for v in booking.visitors],
            purpose=booking.purpose,
            hold_expires_at=_local(booking.hold_expires_at),
            checked_in_at=_local(booking.checked_in_at),
            cancelled_at=_local(booking.cancelled_at),
        )


class BookingPage(BaseModel):
    items: list[BookingOut]
    next_cursor: str | None = None


class WaitlistOut(BaseModel):
    id: uuid.UUID
    slot_id: uuid.UUID
    status: WaitlistStatus
    party_size: int
    position: int | None = Field(description="1-based place in the queue while waiting")
    booking_id: uuid.UUID | None
    created_at: dt.datetime

    @classmethod
    def from_domain(cls, entry: WaitlistView) -> WaitlistOut:
        return cls(
            id=entry.id,
            slot_id=entry.slot_id,
            status=entry.status,
            party_size=entry.party_size,
            position=entry.position,
            booking_id=entry.booking_id,
            created_at=_local(entry.created_at),
        )
