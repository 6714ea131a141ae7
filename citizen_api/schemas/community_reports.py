"""Request and response shapes of community reports (随手拍: file, similar, staff status, feedback)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from citizen_api.schemas.common import NONBLANK, ListQuery, StrictModel
from citizen_api.schemas.community import Location, label
from services.common.storage import FileLinks
from services.community.enums import ReportCategory, ReportStatus
from services.community.files import file_url

__all__ = [
    "HistoryOut",
    "PublicationIn",
    "ReportFeedbackIn",
    "ReportIn",
    "ReportListQuery",
    "ReportOut",
    "ReportPrivacyIn",
    "ReportStatusIn",
    "SimilarQuery",
]


class ReportIn(StrictModel):
    """Where: `lat` and `lng` together, or (without them) an `address`."""

    model_config = ConfigDict(
        # services/community/reports.py: both coordinates or neither, and a place either way
        # (community.report_location_required otherwise).
        json_schema_extra={
            "examples": [
                {
                    "category": "streetlight",
                    "description": "小区东门路灯不亮了",
                    "lat": 35.0904,
                    "lng": 112.5951,
                }
            ],
            "anyOf": [
                {
                    "required": ["lat", "lng"],
                    "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}},
                },
                {
                    "required": ["address"],
                    "properties": {
                        "lat": {"type": "null"},
                        "lng": {"type": "null"},
                        "address": {"type": "string", "pattern": NONBLANK},
                    },
                },
            ],
        }
    )
    category: ReportCategory
    description: str = Field(min_length=1, max_length=4000)
    lat: float | None = Field(None, ge=-90, le=90)
    lng: float | None = Field(None, ge=-180, le=180)
    address: str | None = Field(None, max_length=255)
    community_id: str | None = Field(None, max_length=64)
    photos: list[str] = Field(
        default_factory=list, max_length=9, description="file ids from POST /api/v1/community/uploads"
    )
    contact_phone: str | None = Field(None, pattern=r"^1\d{10}$")
    confirm_new: bool = Field(False, description="submit even when similar reports are nearby (else 409)")
    private: bool = Field(False, description="keep the report off the public Open311 feed")

    @field_validator("photos")
    @classmethod
    def _photos(cls, value: list[str]) -> list[str]:
        for item in value:
            if len(item) > 64:
                raise ValueError("photo reference too long")
        return value


class SimilarQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    category: ReportCategory
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class ReportListQuery(ListQuery):
    status: ReportStatus | None = None
    category: ReportCategory | None = None


class ReportStatusIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "in_progress", "note": "已派维修班组。"}]}
    )
    status: ReportStatus
    note: str | None = Field(None, max_length=2000)
    duplicate_of: str | None = Field(None, max_length=64)


class ReportPrivacyIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"private": True}]})
    private: bool = Field(description="true keeps the report off the public Open311 feed")


class PublicationIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"description": True, "photos": False}]})
    description: bool = Field(description="publish the description (ID and phone numbers masked)")
    photos: bool = Field(description="publish the photos (through signed, expiring links)")


class ReportFeedbackIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"fixed": True, "note": "路灯已修好。"}]})
    fixed: bool
    note: str | None = Field(None, max_length=2000)


class HistoryOut(BaseModel):
    from_status: ReportStatus | None
    to_status: ReportStatus
    note: str | None
    at: dt.datetime


class ReportOut(BaseModel):
    id: str
    community_id: str
    community_name: str
    category: ReportCategory
    category_label: str
    description: str
    location: Location | None
    address: str | None
    contact_phone: str | None
    photos: list[str]
    status: ReportStatus
    status_label: str
    status_notes: str | None
    duplicate_of: str | None
    me_too_count: int
    my_role: str
    fixed_confirmed: bool | None
    awaiting_feedback: bool
    reopen_count: int
    history: list[HistoryOut]
    private: bool = Field(description="kept off the public Open311 feed by the reporter")
    public_description: str | None = Field(
        description="what the public feed shows (staff approved, scrubbed)"
    )
    photos_public: bool = Field(description="the photos were reviewed for the public feed")
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def from_domain(cls, view: Any, locale: str, *, links: FileLinks) -> ReportOut:
        r = view.report
        return cls(
            id=str(r.id),
            community_id=str(r.community_id),
            community_name=view.community.name_en if locale == "en" else view.community.name_zh,
            category=r.category,
            category_label=label("community.report_category", r.category.value, locale),
            description=r.description,
            location=Location(lat=r.lat, lng=r.lng) if r.lat is not None and r.lng is not None else None,
            address=view.address,
            contact_phone=view.contact_phone,
            photos=[file_url(p, links) for p in r.photos or []],
            status=r.status,
            status_label=label("community.report_status", r.status.value, locale),
            status_notes=r.status_notes,
            duplicate_of=str(r.duplicate_of_id) if r.duplicate_of_id else None,
            me_too_count=view.follower_count,
            my_role=view.viewer_role,
            fixed_confirmed=r.fixed_confirmed,
            awaiting_feedback=r.status is ReportStatus.RESOLVED and view.viewer_role == "reporter",
            reopen_count=r.reopen_count,
            history=[
                HistoryOut(from_status=h.from_status, to_status=h.to_status, note=h.note, at=h.created_at)
                for h in view.history
            ],
            private=r.private,
            public_description=r.public_description,
            photos_public=r.photos_public,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
