"""What the government-services domain hands to the edge: one locale resolved, personal data masked."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from services.gov.enums import (
    CaseEventKind,
    CaseStatus,
    FollowUpStatus,
    ItemCategory,
    ItemTheme,
    MaterialTrust,
    RatingLevel,
)

__all__ = [
    "CaseMaterialView",
    "CaseView",
    "FollowUpItem",
    "FollowUpView",
    "HallView",
    "ItemView",
    "MaterialUploadView",
    "MaterialView",
    "RatingView",
    "TimelineEntry",
    "WindowView",
]


@dataclass(slots=True)
class MaterialView:
    code: str
    name: str
    trust: MaterialTrust
    required: bool
    copies: int


@dataclass(slots=True)
class WindowView:
    id: uuid.UUID
    number: str
    name: str
    department: str
    items: list[str]
    resource_id: uuid.UUID | None


@dataclass(slots=True)
class HallView:
    id: uuid.UUID
    code: str
    name: str
    address: str
    phone: str
    lat: float
    lng: float
    windows: list[WindowView]


@dataclass(slots=True)
class ItemView:
    code: str
    name: str
    locale: str  # the locale the texts are in (zh_CN when the asked one is missing)
    summary: str
    conditions: str
    department: str
    department_name: str
    category: ItemCategory
    theme: ItemTheme
    materials: list[MaterialView]
    legal_limit_days: int
    promised_limit_days: int
    fee_cents: int
    fee_note: str
    online: bool
    max_visits: int
    halls: list[HallView] = field(default_factory=list)
    # Plain-language short summary for elder mode; the normal summary when none was written.
    summary_plain: str = ""


@dataclass(slots=True)
class TimelineEntry:
    kind: CaseEventKind
    status_from: CaseStatus | None
    status_to: CaseStatus | None
    actor: str
    note: str
    data: dict[str, Any]
    at: dt.datetime


@dataclass(slots=True)
class CaseMaterialView:
    id: uuid.UUID
    material_code: str
    content_type: str
    size: int
    sha256: str
    filename: str
    for_supplement: bool
    created_at: dt.datetime


@dataclass(slots=True)
class MaterialUploadView:
    """A file uploaded ahead of its application; referenced by id when applying."""

    id: uuid.UUID
    content_type: str
    size: int
    sha256: str
    filename: str
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass(slots=True)
class CaseView:
    id: uuid.UUID
    ref: str
    item_code: str
    item_name: str
    department: str
    status: CaseStatus
    for_member: uuid.UUID | None  # the applicant, when the case is someone I act for
    form_fields: list[str]
    supplement: dict[str, Any] | None
    note: str
    platform_ref: str | None
    delivered: bool
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    due_date: dt.date | None
    overdue: bool
    completed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    materials: list[CaseMaterialView] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


@dataclass(slots=True)
class FollowUpView:
    id: uuid.UUID
    status: FollowUpStatus
    due_date: dt.date
    department: str


@dataclass(slots=True)
class RatingView:
    id: uuid.UUID
    case_id: uuid.UUID | None
    booking_id: uuid.UUID | None
    level: RatingLevel
    score: int
    tags: list[str]
    text: str
    department: str
    created_at: dt.datetime
    follow_up: FollowUpView | None


@dataclass(slots=True)
class FollowUpItem:
    """A follow-up as a department operator sees it (no personal data of the rater)."""

    id: uuid.UUID
    status: FollowUpStatus
    due_date: dt.date
    department: str
    level: RatingLevel
    tags: list[str]
    text: str
    case_ref: str | None
    booking_id: uuid.UUID | None
    rated_at: dt.datetime
    resolution: str = ""
    closed_at: dt.datetime | None = None
