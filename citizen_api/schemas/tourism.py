"""Request and response shapes of the tourism API (they feed OpenAPI)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import StrictModel
from services.common import clock
from services.tourism.entry import EntryBooking
from services.tourism.models import TicketIssue

__all__ = [
    "Crowd",
    "EntryBookingIn",
    "EntryBookingOut",
    "SlotOut",
    "SlotPage",
    "VisitorIn",
    "Location",
    "ScenicAreaDetail",
    "ScenicAreaItem",
    "ScenicAreaList",
    "ScenicAreaListQuery",
    "SlotsQuery",
    "TicketOut",
    "TicketQuery",
    "TodayEntry",
]


class ScenicAreaListQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    near: str | None = Field(None, max_length=64, description='"lat,lng": sort nearest first, add distance_m')
    lang: str | None = Field(None, max_length=16, description="zh_CN or en (else Accept-Language)")


class SlotsQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    date: str | None = Field(None, max_length=10, description="YYYY-MM-DD in Asia/Shanghai; default today")


class TicketQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    booking_id: str = Field(..., max_length=64)


class Location(BaseModel):
    lat: float
    lng: float


class Crowd(BaseModel):
    level: str | None = Field(
        description="green | yellow | orange | red at 80/90/100% of instantaneous capacity"
    )
    occupancy: int | None
    capacity: int
    updated_at: str | None
    stale: bool = Field(
        description="true when the gate system could not be read: the figure is the last known one"
    )
    age_s: int | None = Field(description="seconds since the figure was measured")


class ScenicAreaItem(BaseModel):
    id: str
    code: str
    name: str
    summary: str | None
    location: Location
    crowd_level: str | None
    crowd_stale: bool
    tags: list[str]
    photo: str | None
    distance_m: int | None = Field(None, description="only when near is given")


class ScenicAreaList(BaseModel):
    items: list[ScenicAreaItem]
    next_cursor: str | None


class TicketType(BaseModel):
    code: str
    name: str
    price_fen: int
    note: str | None = None


class OpeningHours(BaseModel):
    season: str
    label: str | None
    months: list[int]
    open: str
    close: str
    last_entry: str | None


class TodayEntry(BaseModel):
    date: str
    capacity: int
    remaining: int
    resource_id: str
    bookable_now: bool


class ScenicAreaDetail(ScenicAreaItem):
    description: str | None
    address: str | None
    accessibility: str | None
    photos: list[str]
    opening_hours: list[OpeningHours]
    open_today: OpeningHours | None
    tickets: list[TicketType]
    daily_capacity: int
    instant_capacity: int
    crowd: Crowd
    today: TodayEntry | None
    lang: str


class TicketOut(BaseModel):
    booking_id: str
    scenic_area_id: str
    status: str = Field(description="pending | issued | failed")
    ticket_id: str | None = Field(description="the ticketing system's ticket id, once delivered")
    issued_at: str | None

    @classmethod
    def from_domain(cls, ticket: TicketIssue) -> TicketOut:
        return cls(
            booking_id=str(ticket.booking_id),
            scenic_area_id=str(ticket.area_id),
            status=ticket.status.value,
            ticket_id=ticket.ticket_id,
            issued_at=clock.to_local(ticket.issued_at).isoformat() if ticket.issued_at else None,
        )


class SlotOut(BaseModel):
    id: str
    resource_id: str
    start: str
    end: str
    capacity: int
    remaining: int
    status: str = Field(description="open | full | closed | past")


class SlotPage(BaseModel):
    items: list[SlotOut]
    next_cursor: str | None = None


class VisitorIn(StrictModel):
    name: str = Field(..., min_length=1, max_length=32, description="real name as on the ID card")
    id_number: str = Field(..., min_length=1, max_length=24, description="18-character resident ID number")


class EntryBookingIn(StrictModel):
    slot_id: str = Field(..., max_length=64)
    visitors: list[VisitorIn] = Field(..., max_length=10, description="1 to 5 real-name visitors")


class VisitorOut(BaseModel):
    name: str = Field(description="masked")
    id_number: str = Field(description="masked, e.g. 4108**********1234")


class EntryTicket(BaseModel):
    status: str = Field(description="pending | issued | failed")
    ticket_id: str | None


class EntryBookingOut(BaseModel):
    id: str
    slot: SlotOut
    status: str
    party_size: int
    for_member: str | None
    check_in_code: str | None
    created_at: str
    scenic_area_id: str
    scenic_area_name: str | None
    visitors: list[VisitorOut]
    ticket: EntryTicket | None

    @classmethod
    def from_domain(cls, entry: EntryBooking, locale: str) -> EntryBookingOut:
        b = entry.booking
        slot = b.slot
        names = entry.area.texts
        return cls(
            id=str(b.id),
            slot=SlotOut(
                id=str(slot.id),
                resource_id=str(slot.resource_id),
                start=clock.to_local(slot.start).isoformat(),
                end=clock.to_local(slot.end).isoformat(),
                capacity=slot.capacity,
                remaining=slot.remaining,
                status=slot.display_status(clock.now()),
            ),
            status=b.status.value,
            party_size=b.party_size,
            for_member=str(b.for_member_id) if b.for_member_id else None,
            check_in_code=b.visible_check_in_code,
            created_at=clock.to_local(b.created_at).isoformat(),
            scenic_area_id=str(entry.area.id),
            scenic_area_name=(names.get(locale) or {}).get("name") or (names.get("zh_CN") or {}).get("name"),
            visitors=[VisitorOut(name=v.name_masked, id_number=v.id_number_masked) for v in b.visitors],
            ticket=EntryTicket(status=entry.ticket.status.value, ticket_id=entry.ticket.ticket_id)
            if entry.ticket
            else None,
        )
