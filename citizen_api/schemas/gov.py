"""Request and response shapes of the government-services API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from citizen_api.schemas.common import ListQuery, StrictModel
from services.common.i18n import translate
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
    "ApplicationIn",
    "CallbackAck",
    "CaseOut",
    "CaseSummaryOut",
    "FollowUpCloseIn",
    "FollowUpOut",
    "FollowUpQuery",
    "HallOut",
    "ItemOut",
    "ItemQuery",
    "ItemSummaryOut",
    "MaterialRef",
    "MaterialUploadOut",
    "MaterialOut",
    "RatingIn",
    "RatingOut",
    "SupplementIn",
    "WithdrawIn",
]

_FORM_VALUE = str | int | float | bool | None


class ItemQuery(ListQuery):
    q: str | None = Field(None, max_length=64, description="name (any language), code or pinyin")
    category: ItemCategory | None = None
    department: str | None = Field(None, max_length=32)
    theme: ItemTheme | None = Field(None, description="life event (一件事)")


class MaterialOut(BaseModel):
    code: str
    name: str
    trust: MaterialTrust
    trust_label: str
    required: bool
    copies: int


class WindowOut(BaseModel):
    id: uuid.UUID
    number: str
    name: str
    department: str
    items: list[str]
    resource_id: uuid.UUID | None


class HallOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    address: str
    phone: str
    location: dict[str, float]
    windows: list[WindowOut]

    @classmethod
    def from_domain(cls, hall: Any) -> HallOut:
        return cls(
            id=hall.id,
            code=hall.code,
            name=hall.name,
            address=hall.address,
            phone=hall.phone,
            location={"lat": hall.lat, "lng": hall.lng},
            windows=[WindowOut.model_validate(w, from_attributes=True) for w in hall.windows],
        )


class ItemSummaryOut(BaseModel):
    id: str = Field(description="the item code (stable, human readable)")
    code: str
    name: str
    locale: str
    summary: str
    summary_plain: str = Field(description="a short plain-language summary (elder mode); else the summary")
    department: str
    department_name: str
    category: ItemCategory
    category_label: str
    theme: ItemTheme
    theme_label: str
    promised_limit_days: int
    online: bool
    max_visits: int

    @classmethod
    def fields_from(cls, item: Any, locale: str) -> dict[str, Any]:
        return {
            "id": item.code,
            "code": item.code,
            "name": item.name,
            "locale": item.locale,
            "summary": item.summary,
            "summary_plain": item.summary_plain,
            "department": item.department,
            "department_name": item.department_name,
            "category": item.category,
            "category_label": translate(f"gov.category.{item.category.value}", locale),
            "theme": item.theme,
            "theme_label": translate(f"gov.theme.{item.theme.value}", locale),
            "promised_limit_days": item.promised_limit_days,
            "online": item.online,
            "max_visits": item.max_visits,
        }

    @classmethod
    def from_domain(cls, item: Any, locale: str) -> ItemSummaryOut:
        return cls(**cls.fields_from(item, locale))


class ItemOut(ItemSummaryOut):
    conditions: str
    materials: list[MaterialOut]
    legal_limit_days: int
    fee_cents: int
    fee_note: str
    halls: list[HallOut]

    @classmethod
    def from_domain(cls, item: Any, locale: str) -> ItemOut:
        return cls(
            **cls.fields_from(item, locale),
            conditions=item.conditions,
            materials=[
                MaterialOut(
                    code=m.code,
                    name=m.name,
                    trust=m.trust,
                    trust_label=translate(f"gov.trust.{m.trust.value}", locale),
                    required=m.required,
                    copies=m.copies,
                )
                for m in item.materials
            ],
            legal_limit_days=item.legal_limit_days,
            fee_cents=item.fee_cents,
            fee_note=item.fee_note,
            halls=[HallOut.from_domain(h) for h in item.halls],
        )


class MaterialRef(StrictModel):
    material_code: str = Field(min_length=1, max_length=48)
    upload_id: str = Field(min_length=1, max_length=64, description="id from POST /api/v1/gov/uploads")


class ApplicationIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "item_code": "hukou-qianru",
                    "form": {"reason": "投靠亲属"},
                    "submit": False,
                    "materials": [],
                }
            ]
        }
    )
    item_code: str = Field(min_length=1, max_length=48)
    form: dict[str, _FORM_VALUE] = Field(default_factory=dict, description="the applicant's answers")
    submit: bool = Field(True, description="submit at once; false keeps a draft to add materials to")
    materials: list[MaterialRef] = Field(
        default_factory=list,
        max_length=30,
        description="files uploaded first (POST /api/v1/gov/uploads), attached to the case in one step",
    )

    @field_validator("form")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > 40:
            raise ValueError("at most 40 form fields")
        for key, item in value.items():
            if not 1 <= len(key) <= 48:
                raise ValueError("form field names are 1-48 characters")
            if isinstance(item, str) and len(item) > 1000:
                raise ValueError("form values are at most 1000 characters")
        return value


class SupplementIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "已补交户口本首页复印件。"}]})
    note: str = Field("", max_length=1000)


class WithdrawIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "材料不全，下次再办"}]})
    reason: str = Field("", max_length=500)


class CaseMaterialOut(BaseModel):
    id: uuid.UUID
    material_code: str
    content_type: str
    size: int
    sha256: str
    filename: str
    for_supplement: bool
    created_at: dt.datetime


class MaterialUploadOut(BaseModel):
    id: uuid.UUID
    content_type: str
    size: int
    sha256: str
    filename: str
    created_at: dt.datetime
    expires_at: dt.datetime = Field(description="unused uploads are deleted after this")


class TimelineOut(BaseModel):
    kind: CaseEventKind
    label: str
    status_from: CaseStatus | None
    status_to: CaseStatus | None
    actor: str
    note: str
    data: dict[str, Any]
    at: dt.datetime


class CaseSummaryOut(BaseModel):
    id: uuid.UUID
    ref: str
    item_code: str
    item_name: str
    department: str
    status: CaseStatus
    status_label: str
    for_member: uuid.UUID | None
    due_date: dt.date | None
    overdue: bool
    submitted_at: dt.datetime | None
    completed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def fields_from(cls, case: Any, locale: str) -> dict[str, Any]:
        return {
            "id": case.id,
            "ref": case.ref,
            "item_code": case.item_code,
            "item_name": case.item_name,
            "department": case.department,
            "status": case.status,
            "status_label": translate(f"gov.case.status.{case.status.value}", locale),
            "for_member": case.for_member,
            "due_date": case.due_date,
            "overdue": case.overdue,
            "submitted_at": case.submitted_at,
            "completed_at": case.completed_at,
            "created_at": case.created_at,
            "updated_at": case.updated_at,
        }

    @classmethod
    def from_domain(cls, case: Any, locale: str) -> CaseSummaryOut:
        return cls(**cls.fields_from(case, locale))


class CaseOut(CaseSummaryOut):
    form_fields: list[str]
    supplement: dict[str, Any] | None
    note: str
    platform_ref: str | None
    delivered: bool
    accepted_at: dt.datetime | None
    materials: list[CaseMaterialOut]
    timeline: list[TimelineOut]

    @classmethod
    def from_domain(cls, case: Any, locale: str) -> CaseOut:
        return cls(
            **cls.fields_from(case, locale),
            form_fields=case.form_fields,
            supplement=case.supplement,
            note=case.note,
            platform_ref=case.platform_ref,
            delivered=case.delivered,
            accepted_at=case.accepted_at,
            materials=[CaseMaterialOut.model_validate(m, from_attributes=True) for m in case.materials],
            timeline=[
                TimelineOut(
                    kind=e.kind,
                    label=translate(
                        f"gov.case.status.{e.status_to.value}"
                        if e.kind == CaseEventKind.STATUS and e.status_to
                        else f"gov.case.event.{e.kind.value}",
                        locale,
                    ),
                    status_from=e.status_from,
                    status_to=e.status_to,
                    actor=e.actor,
                    note=e.note,
                    data=e.data,
                    at=e.at,
                )
                for e in case.timeline
            ],
        )


class RatingIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"level": "very_satisfied", "tags": ["办事快"], "text": "窗口人员很耐心。"}]
        }
    )
    level: RatingLevel = Field(description="非常满意 very_satisfied … 非常不满意 very_dissatisfied")
    tags: list[str] = Field(default_factory=list, max_length=10)
    text: str = Field("", max_length=500)

    @field_validator("tags")
    @classmethod
    def _short_tags(cls, value: list[str]) -> list[str]:
        cleaned = [tag.strip() for tag in value if tag.strip()]
        if any(len(tag) > 20 for tag in cleaned):
            raise ValueError("tags are at most 20 characters")
        return list(dict.fromkeys(cleaned))


class FollowUpBrief(BaseModel):
    id: uuid.UUID
    status: FollowUpStatus
    due_date: dt.date
    department: str


class RatingOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID | None
    booking_id: uuid.UUID | None
    level: RatingLevel
    level_label: str
    score: int
    tags: list[str]
    text: str
    department: str
    created_at: dt.datetime
    follow_up: FollowUpBrief | None

    @classmethod
    def from_domain(cls, rating: Any, locale: str) -> RatingOut:
        return cls(
            id=rating.id,
            case_id=rating.case_id,
            booking_id=rating.booking_id,
            level=rating.level,
            level_label=translate(f"gov.rating.{rating.level.value}", locale),
            score=rating.score,
            tags=rating.tags,
            text=rating.text,
            department=rating.department,
            created_at=rating.created_at,
            follow_up=FollowUpBrief.model_validate(rating.follow_up, from_attributes=True)
            if rating.follow_up
            else None,
        )


class FollowUpQuery(ListQuery):
    status: FollowUpStatus | None = None


class FollowUpOut(BaseModel):
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
    resolution: str
    closed_at: dt.datetime | None


class FollowUpCloseIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"resolution": "已电话回访，群众表示满意。"}]})
    resolution: str = Field(min_length=1, max_length=2000, description="what the department did (整改情况)")


class CallbackAck(BaseModel):
    outcome: str
    case_id: uuid.UUID | None = None
    status: CaseStatus | None = None
