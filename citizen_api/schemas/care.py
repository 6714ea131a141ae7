"""Request and response models of care 医养 (these feed the OpenAPI document)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import StrictModel
from services.care.appointments import CONSENT_VERSION
from services.care.views import (
    AppointmentView,
    CareServiceView,
    ConsentView,
    DepartmentView,
    DoctorSlotView,
    DoctorView,
    HospitalView,
    OrderView,
    SubsidyView,
)
from services.common import clock

__all__ = [
    "AppointmentOut",
    "AssessmentIn",
    "AssessmentOut",
    "CareCallbackAck",
    "ConsentIn",
    "ConsentOut",
    "DepartmentList",
    "DoctorList",
    "DoctorSlotList",
    "EmergencyIn",
    "HospitalList",
    "OrderIn",
    "OrderList",
    "OrderOut",
    "RatingIn",
    "ServiceList",
    "ServicesQuery",
    "SlotsQuery",
    "SubsidyOut",
]

ServiceKind = Literal["meal", "cleaning", "bathing", "medical_escort", "mobility", "emergency"]


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return clock.to_local(moment) if moment is not None else None


class _Listed(BaseModel):
    next_cursor: str | None = None
    stale: bool = Field(False, description="true: the outside system is down and this is the last copy seen")
    fetched_at: dt.datetime | None = None


class HospitalOut(BaseModel):
    id: str
    name: str
    kind: Literal["hospital", "community_health_centre"]
    address: str | None
    phone: str | None
    release_days: int = Field(description="放号: days ahead bookable")
    release_time: str = Field(description="放号时间: local HH:MM the last day opens")
    cancel_deadline_minutes: int = Field(description="退号: until this long before the start")
    max_per_day: int
    max_per_department: int

    @classmethod
    def from_domain(cls, h: HospitalView) -> HospitalOut:
        return cls(
            id=h.id,
            name=h.name,
            kind=h.kind,  # type: ignore[arg-type]
            address=h.address,
            phone=h.phone,
            release_days=h.rules["release_days"],
            release_time=h.rules["release_time"],
            cancel_deadline_minutes=h.rules["cancel_deadline_minutes"],
            max_per_day=h.rules["max_per_day"],
            max_per_department=h.rules["max_per_department"],
        )


class HospitalList(_Listed):
    items: list[HospitalOut]


class DepartmentOut(BaseModel):
    id: str
    hospital_id: str
    name: str
    description: str | None

    @classmethod
    def from_domain(cls, d: DepartmentView) -> DepartmentOut:
        return cls(id=d.id, hospital_id=d.hospital_id, name=d.name, description=d.description)


class DepartmentList(_Listed):
    items: list[DepartmentOut]


class DoctorOut(BaseModel):
    id: str
    hospital_id: str
    department_id: str
    name: str
    title: str = Field(description="主任医师 | 副主任医师 | 主治医师 | 医师")
    title_code: str
    specialty: str | None
    fee_fen: int = Field(description="挂号费 in fen")

    @classmethod
    def from_domain(cls, d: DoctorView) -> DoctorOut:
        return cls(**{f: getattr(d, f) for f in cls.model_fields})


class DoctorList(_Listed):
    items: list[DoctorOut]


class SlotsQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    date: str | None = Field(
        None,
        max_length=10,
        description="YYYY-MM-DD in Asia/Shanghai; default today",
        json_schema_extra={"format": "date"},
    )


class DoctorSlotOut(BaseModel):
    id: uuid.UUID
    resource_id: uuid.UUID
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int
    status: Literal["open", "closed", "stopped", "not_released"]
    session: Literal["am", "pm"]
    fee_fen: int
    releases_at: dt.datetime | None = None

    @classmethod
    def from_domain(cls, s: DoctorSlotView) -> DoctorSlotOut:
        return cls(
            id=s.id,
            resource_id=s.resource_id,
            start=_local(s.start),
            end=_local(s.end),
            capacity=s.capacity,
            remaining=s.remaining,
            status=s.status,  # type: ignore[arg-type]
            session=s.session,  # type: ignore[arg-type]
            fee_fen=s.fee_fen,
            releases_at=_local(s.releases_at),
        )


class DoctorSlotList(_Listed):
    items: list[DoctorSlotOut]


class ConsentIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"version": "care-medical-2026-12"}]})
    version: str = Field(
        ...,
        min_length=1,
        max_length=32,
        description="the consent text version shown (the current one only: care.consent_version)",
        json_schema_extra={"enum": [CONSENT_VERSION]},
    )


class ConsentOut(BaseModel):
    version: str = Field(
        description="the current consent text version", json_schema_extra={"enum": [CONSENT_VERSION]}
    )
    granted: bool
    granted_at: dt.datetime | None

    @classmethod
    def from_domain(cls, c: ConsentView) -> ConsentOut:
        return cls(version=c.version, granted=c.granted, granted_at=_local(c.granted_at))


class AppointmentOut(BaseModel):
    booking_id: uuid.UUID
    status: Literal["pending", "booked", "arrived", "fulfilled", "noshow", "cancelled", "failed"]
    hospital_id: str
    department_id: str
    doctor_id: str
    queue_number: int | None
    visit_date: dt.date
    slot_start: dt.datetime
    note: str | None

    @classmethod
    def from_domain(cls, a: AppointmentView) -> AppointmentOut:
        return cls(**{f: getattr(a, f) for f in cls.model_fields} | {"slot_start": _local(a.slot_start)})


class ServicesQuery(StrictModel):
    model_config = ConfigDict(extra="ignore")
    community: str = Field(
        ..., min_length=1, max_length=32, description="community code, e.g. qinyuan-xuanhua"
    )


class ServiceOut(BaseModel):
    id: str
    kind: ServiceKind
    provider_code: str
    provider_name: str
    price_fen: int
    unit: str
    available: bool

    @classmethod
    def from_domain(cls, s: CareServiceView) -> ServiceOut:
        return cls(
            id=f"{s.provider_code}:{s.kind}",
            kind=s.kind,  # type: ignore[arg-type]
            provider_code=s.provider_code,
            provider_name=s.provider_name,
            price_fen=s.price_fen,
            unit=s.unit,
            available=s.available,
        )


class ServiceList(_Listed):
    items: list[ServiceOut]


class OrderIn(StrictModel):
    kind: Literal["meal", "cleaning", "bathing", "medical_escort", "mobility"]
    community_code: str = Field(..., min_length=1, max_length=32)
    address: str = Field(..., min_length=4, max_length=200)
    window_start: dt.datetime
    window_end: dt.datetime
    notes: str | None = Field(None, max_length=500)
    provider_code: str | None = Field(None, max_length=32)


class EmergencyIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "community_code": "jy-tiantan",
                    "address": "天坛街道锦绣花园5号楼2单元301",
                    "note": "老人摔倒，意识清醒",
                }
            ]
        }
    )
    community_code: str | None = Field(None, min_length=1, max_length=32)
    address: str | None = Field(None, min_length=4, max_length=200, description="default: the last order's")
    note: str | None = Field(None, max_length=200)


class OrderEventOut(BaseModel):
    status: str
    note: str | None
    occurred_at: dt.datetime


class OrderOut(BaseModel):
    id: uuid.UUID
    kind: ServiceKind
    urgent: bool
    status: str = Field(
        description="submitted | accepted | assigned | en_route | in_service | completed | refused | cancelled"
    )
    for_member: uuid.UUID | None
    community_code: str
    provider_name: str | None
    address_masked: str | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    price_fen: int
    subsidy_fen: int
    pay_fen: int
    worker: str | None = Field(description="the assigned worker's name, masked")
    rating: int | None
    created_at: dt.datetime
    timeline: list[OrderEventOut]

    @classmethod
    def from_domain(cls, o: OrderView) -> OrderOut:
        return cls(
            id=o.id,
            kind=o.kind,  # type: ignore[arg-type]
            urgent=o.urgent,
            status=o.status,
            for_member=o.for_member,
            community_code=o.community_code,
            provider_name=o.provider_name,
            address_masked=o.address_masked,
            window_start=_local(o.window_start),
            window_end=_local(o.window_end),
            price_fen=o.price_fen,
            subsidy_fen=o.subsidy_fen,
            pay_fen=o.pay_fen,
            worker=o.worker,
            rating=o.rating,
            created_at=_local(o.created_at),
            timeline=[
                OrderEventOut(status=e.status, note=e.note, occurred_at=_local(e.occurred_at))
                for e in o.timeline
            ],
        )


class OrderList(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = None


class RatingIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"stars": 5, "comment": "送餐准时，饭菜热乎。"}]}
    )
    stars: int = Field(..., ge=1, le=5)
    comment: str | None = Field(None, max_length=300)


class SubsidyOut(BaseModel):
    month: str
    eligible: bool
    reasons: list[Literal["aged_80", "disabled"]]
    budget_fen: int
    spent_fen: int
    balance_fen: int

    @classmethod
    def from_domain(cls, s: SubsidyView) -> SubsidyOut:
        return cls(**{f: getattr(s, f) for f in cls.model_fields})


class AssessmentIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"disabled": True}]})
    disabled: bool


class AssessmentOut(BaseModel):
    user_id: uuid.UUID
    disabled: bool


class CareCallbackAck(BaseModel):
    outcome: str
    changed: int | None = None
    order_id: str | None = None
    status: str | None = None
