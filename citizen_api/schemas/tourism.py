"""Request and response shapes of the tourism API (they feed OpenAPI)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.bookings import SlotOut, VisitorIn, VisitorOut
from citizen_api.schemas.common import StrictModel
from services.common import clock, geo
from services.tourism.entry import EntryBooking
from services.tourism.models import TicketIssue

__all__ = [
    "Crowd",
    "EntryBookingIn",
    "EntryBookingOut",
    "SlotPage",
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
    near: str | None = Field(
        None,
        max_length=64,
        description='"lat,lng": sort nearest first, add distance_m',
        json_schema_extra={"pattern": geo.LAT_LNG_PATTERN},
    )
    lang: str | None = Field(None, max_length=16, description="zh_CN or en (else Accept-Language)")


class SlotsQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    date: str | None = Field(
        None,
        max_length=10,
        description="YYYY-MM-DD in Asia/Shanghai; default today",
        json_schema_extra={"format": "date"},
    )


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


class SlotPage(BaseModel):
    items: list[SlotOut]
    next_cursor: str | None = None


class EntryBookingIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "slot_id": "01939d2c-5b7e-7c1a-9a44-6f1f3c2e8b10",
                    "visitors": [
                        {"name": "张秀英", "id_type": "resident_id", "id_number": "419001195603120022"}
                    ],
                }
            ]
        }
    )
    slot_id: str = Field(..., max_length=64)
    visitors: list[VisitorIn] = Field(..., max_length=10, description="1 to 5 real-name visitors")


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
        names = entry.area.texts
        return cls(
            id=str(b.id),
            slot=SlotOut.from_domain(b.slot),
            status=b.status.value,
            party_size=b.party_size,
            for_member=str(b.for_member_id) if b.for_member_id else None,
            check_in_code=b.visible_check_in_code,
            created_at=clock.to_local(b.created_at).isoformat(),
            scenic_area_id=str(entry.area.id),
            scenic_area_name=(names.get(locale) or {}).get("name") or (names.get("zh_CN") or {}).get("name"),
            visitors=[VisitorOut.from_domain(v) for v in b.visitors],
            ticket=EntryTicket(status=entry.ticket.status.value, ticket_id=entry.ticket.ticket_id)
            if entry.ticket
            else None,
        )
