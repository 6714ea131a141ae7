"""Request and response shapes of the community API (communities, membership, notices, events, reports)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from citizen_api.schemas.common import ListQuery, StrictModel
from services.common import geo
from services.common.i18n import translate
from services.common.storage import FileLinks
from services.community.communities import address_in
from services.community.enums import (
    MembershipStatus,
    NoticeCategory,
    NoticeStatus,
    NoticeVisibility,
)
from services.community.files import file_url, signed_attachments

__all__ = [
    "Attachment",
    "CheckInIn",
    "FileQuery",
    "EventIn",
    "EventOut",
    "SignupOut",
    "FileOut",
    "CommunityListQuery",
    "CommunityOut",
    "JoinIn",
    "MemberOut",
    "MembershipOut",
    "NoticeIn",
    "NoticeListQuery",
    "NoticeOut",
    "NoticePatch",
    "NoticeReadsOut",
    "ReviewIn",
    "VerifyIn",
]


def label(prefix: str, code: str, locale: str) -> str:
    return translate(f"{prefix}.{code}", locale)


class Location(BaseModel):
    lat: float
    lng: float


# ---------------------------------------------------------------------------------------------- communities


class CommunityListQuery(ListQuery):
    near: str | None = Field(
        None,
        description="lat,lng — nearest first, with distance_m",
        max_length=64,
        json_schema_extra={"pattern": geo.LAT_LNG_PATTERN},
    )
    region: str | None = Field(None, max_length=32, description="sub-district/town code, e.g. qinyuan")

    @field_validator("near")
    @classmethod
    def _near(cls, value: str | None) -> str | None:
        if value is None:
            return None
        geo.parse_lat_lng(value)  # ValueError -> 422 "near must be lat,lng on Earth"
        return value

    def point(self) -> tuple[float, float] | None:
        return geo.parse_lat_lng(self.near) if self.near else None


class RegionOut(BaseModel):
    code: str
    name: str
    kind: str


class CommunityOut(BaseModel):
    id: str
    code: str
    name: str
    kind: str
    address: str
    location: Location
    region: RegionOut
    auto_verify_members: bool
    distance_m: int | None = None

    @classmethod
    def from_domain(cls, view: Any, locale: str) -> CommunityOut:
        c, r = view.community, view.region
        english = locale == "en"
        return cls(
            id=str(c.id),
            code=c.code,
            name=c.name_en if english else c.name_zh,
            kind=c.kind.value,
            address=address_in(c, r.name_en, locale),
            location=Location(lat=c.lat, lng=c.lng),
            region=RegionOut(code=r.code, name=r.name_en if english else r.name_zh, kind=r.kind.value),
            auto_verify_members=c.auto_verify_members,
            distance_m=round(view.distance_m) if view.distance_m is not None else None,
        )


# ---------------------------------------------------------------------------------------------- membership


class JoinIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"community_id": "jy-tiantan", "address": "天坛街道锦绣花园5号楼"}]}
    )
    community_id: str = Field(max_length=64)
    address: str | None = Field(
        None, max_length=255, description="home address (encrypted; for verification)"
    )


class MembershipOut(BaseModel):
    id: str
    community_id: str
    status: MembershipStatus
    verified_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def from_domain(cls, m: Any) -> MembershipOut:
        return cls(
            id=str(m.id),
            community_id=str(m.community_id),
            status=m.status,
            verified_at=m.verified_at,
            created_at=m.created_at,
        )


class MemberOut(MembershipOut):
    user_id: str
    address: str | None = Field(None, description="masked")

    @classmethod
    def from_view(cls, view: Any) -> MemberOut:
        m = view.membership
        return cls(
            id=str(m.id),
            user_id=str(m.user_id),
            community_id=str(m.community_id),
            status=m.status,
            verified_at=m.verified_at,
            created_at=m.created_at,
            address=view.address,
        )


class MemberListQuery(ListQuery):
    status: MembershipStatus | None = None


class VerifyIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"approve": True}]})
    approve: bool = True


# ---------------------------------------------------------------------------------------------- notices


class Attachment(StrictModel):
    file_id: str = Field(max_length=64, description="id from POST /api/v1/community/uploads?kind=attachment")
    name: str | None = Field(
        None, max_length=255, description="shown to readers (default: the uploaded name)"
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("datetimes need an offset, e.g. 2026-12-01T08:00:00+08:00")
    return value


class NoticeIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "周六上午停水通知",
                    "body": "因管网维修，12月5日8:00-12:00停水，请提前储水。",
                    "category": "utility_outage",
                    "visibility": "public",
                    "urgent": False,
                    "pinned": True,
                    "attachments": [],
                }
            ]
        }
    )
    title: str = Field(min_length=1, max_length=120)
    body: str = Field(min_length=1, max_length=10_000)
    category: NoticeCategory
    visibility: NoticeVisibility = NoticeVisibility.PUBLIC
    urgent: bool = False
    pinned: bool = False
    publish_at: dt.datetime | None = Field(None, description="scheduled publication (default now)")
    expire_at: dt.datetime | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)

    @field_validator("publish_at", "expire_at")
    @classmethod
    def _tz(cls, value: dt.datetime | None) -> dt.datetime | None:
        return _aware(value)


class NoticePatch(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"pinned": False}]})
    title: str | None = Field(None, min_length=1, max_length=120)
    body: str | None = Field(None, min_length=1, max_length=10_000)
    category: NoticeCategory | None = None
    visibility: NoticeVisibility | None = None
    urgent: bool | None = None
    pinned: bool | None = None
    publish_at: dt.datetime | None = None
    expire_at: dt.datetime | None = None
    attachments: list[Attachment] | None = Field(None, max_length=10)

    @field_validator("publish_at", "expire_at")
    @classmethod
    def _tz(cls, value: dt.datetime | None) -> dt.datetime | None:
        return _aware(value)

    def changes(self) -> dict[str, Any]:
        """Only the fields the caller sent (expire_at may be cleared with null)."""
        return self.model_dump(exclude_unset=True)


class ReviewIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"approve": True}]})
    approve: bool


class NoticeListQuery(ListQuery):
    category: NoticeCategory | None = None


class StaffNoticeListQuery(ListQuery):
    status: NoticeStatus | None = None


class NoticeOut(BaseModel):
    id: str
    community_id: str
    title: str
    body: str
    category: NoticeCategory
    category_label: str
    visibility: NoticeVisibility
    urgent: bool
    pinned: bool
    status: NoticeStatus
    publish_at: dt.datetime
    expire_at: dt.datetime | None
    attachments: list[dict[str, Any]]
    content_check: dict[str, Any] | None = None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_domain(cls, n: Any, locale: str, *, links: FileLinks, staff: bool = False) -> NoticeOut:
        return cls(
            id=str(n.id),
            community_id=str(n.community_id),
            title=n.title,
            body=n.body,
            category=n.category,
            category_label=label("community.notice_category", n.category.value, locale),
            visibility=n.visibility,
            urgent=n.urgent,
            pinned=n.pinned,
            status=n.status,
            publish_at=n.publish_at,
            expire_at=n.expire_at,
            attachments=signed_attachments(n.attachments or [], links),
            content_check={"suggest": n.sec_suggest, "label": n.sec_label} if staff else None,
            created_at=n.created_at,
            updated_at=n.updated_at,
        )


class ReadOut(BaseModel):
    user_id: str
    read_at: dt.datetime


class NoticeReadsOut(BaseModel):
    notice_id: str
    read_count: int
    member_count: int
    items: list[ReadOut]
    next_cursor: str | None

    @classmethod
    def from_domain(cls, receipts: Any) -> NoticeReadsOut:
        return cls(
            notice_id=str(receipts.notice.id),
            read_count=receipts.read_count,
            member_count=receipts.member_count,
            items=[ReadOut(user_id=str(r.user_id), read_at=r.read_at) for r in receipts.page.items],
            next_cursor=receipts.page.next_cursor,
        )


# ---------------------------------------------------------------------------------------------- files


class FileOut(BaseModel):
    id: str
    url: str
    content_type: str
    size: int
    name: str

    @classmethod
    def from_domain(cls, stored: Any, *, links: FileLinks) -> FileOut:
        return cls(
            id=str(stored.id),
            url=file_url(stored.id, links),
            content_type=stored.content_type,
            size=stored.size,
            name=stored.filename,
        )


class FileQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    t: str | None = Field(
        None, max_length=64, description="the link token in the `url` the API returned (expires; required)"
    )


class UploadQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    kind: Literal["photo", "attachment"] = Field("photo", description="attachment also accepts PDF (notices)")


# ---------------------------------------------------------------------------------------------- events


class EventIn(StrictModel):
    title: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=10_000)
    place: str = Field("", max_length=255)
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = Field(ge=1, le=10_000)
    party_size_max: int = Field(1, ge=1, le=10, description="places one sign-up may take (family members)")
    visibility: NoticeVisibility = NoticeVisibility.PUBLIC

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _tz(cls, value: dt.datetime) -> dt.datetime:
        return _aware(value)  # type: ignore[return-value]


class SlotOut(BaseModel):
    id: str
    resource_id: str
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int
    status: str


class EventOut(BaseModel):
    id: str
    community_id: str
    title: str
    description: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    remaining: int | None
    visibility: NoticeVisibility
    status: str
    resource_id: str | None
    slot: SlotOut | None
    signup: str = Field(
        description="how to sign up: POST /api/v1/bookings {slot_id}; full: POST /api/v1/slots/{id}/waitlist"
    )

    @classmethod
    def from_domain(cls, view: Any) -> EventOut:
        from services.common import clock

        e, slot = view.event, view.slot
        slot_out = None
        if slot is not None:
            slot_out = SlotOut(
                id=str(slot.id),
                resource_id=str(slot.resource_id),
                start=slot.start,
                end=slot.end,
                capacity=slot.capacity,
                remaining=slot.remaining,
                status=slot.display_status(clock.now()),
            )
        return cls(
            id=str(e.id),
            community_id=str(e.community_id),
            title=e.title,
            description=e.description,
            place=e.place,
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            capacity=e.capacity,
            remaining=slot.remaining if slot is not None else None,
            visibility=e.visibility,
            status=e.status.value,
            resource_id=e.resource_id,
            slot=slot_out,
            signup="/api/v1/bookings",
        )


class SignupOut(BaseModel):
    booking_id: str
    user_id: str
    party_size: int
    status: str
    created_at: dt.datetime
    checked_in_at: dt.datetime | None

    @classmethod
    def from_domain(cls, b: Any) -> SignupOut:
        return cls(
            booking_id=str(b.id),
            user_id=str(b.subject_id),
            party_size=b.party_size,
            status=str(getattr(b.status, "value", b.status)),
            created_at=b.created_at,
            checked_in_at=b.checked_in_at,
        )


class CheckInIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "JYB1AGJZ2LC3PZ6BUSSEN4PT4LQL3AH4NTWWMUXM"}]}
    )
    code: str = Field(
        min_length=4, max_length=128, description="the check-in code shown on the resident's phone"
    )
