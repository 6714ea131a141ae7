"""What care's service functions return: plain values the HTTP edge serialises."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = [
    "AppointmentView",
    "CareList",
    "CareServiceView",
    "ConsentView",
    "DepartmentView",
    "DoctorSlotView",
    "DoctorView",
    "HospitalView",
    "OrderEventView",
    "OrderView",
    "SubsidyView",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CareList(Generic[T]):
    """A list read from an outside system: `stale` when it is the last copy seen before an outage."""

    items: list[T]
    stale: bool = False
    fetched_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class HospitalView:
    id: str
    name: str
    kind: str
    address: str | None
    phone: str | None
    rules: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)  # the name in zh_CN and en


@dataclass(frozen=True, slots=True)
class DepartmentView:
    id: str
    hospital_id: str
    name: str
    description: str | None
    names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DoctorView:
    id: str
    hospital_id: str
    department_id: str
    name: str
    title: str
    title_code: str
    specialty: str | None
    fee_fen: int
    names: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DoctorSlotView:
    """An engine slot of a doctor (book it through /bookings) with what the HIS says about it."""

    id: uuid.UUID
    resource_id: uuid.UUID
    start: dt.datetime
    end: dt.datetime
    capacity: int
    remaining: int
    status: str  # open | closed | stopped (停诊) | not_released
    session: str
    fee_fen: int
    releases_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ConsentView:
    version: str
    granted: bool
    granted_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class AppointmentView:
    booking_id: uuid.UUID
    status: str
    hospital_id: str
    department_id: str
    doctor_id: str
    queue_number: int | None
    visit_date: dt.date
    slot_start: dt.datetime
    note: str | None


@dataclass(frozen=True, slots=True)
class CareServiceView:
    kind: str
    provider_code: str
    provider_name: str
    price_fen: int
    unit: str
    available: bool
    units: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderEventView:
    status: str
    note: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class OrderView:
    id: uuid.UUID
    kind: str
    urgent: bool
    status: str
    for_member: uuid.UUID | None
    community_code: str
    provider_name: str | None
    address_masked: str | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    price_fen: int
    subsidy_fen: int
    pay_fen: int
    worker: str | None
    rating: int | None
    created_at: dt.datetime
    timeline: list[OrderEventView] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SubsidyView:
    month: str
    eligible: bool
    reasons: list[str]
    budget_fen: int
    spent_fen: int
    balance_fen: int
