"""Operations views."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import ListQuery, StrictModel
from services.common.models import OutboxMessage, OutboxStatus
from services.gov.enums import CaseStatus

__all__ = [
    "CaseAcceptIn",
    "CaseDecisionIn",
    "CaseQueueItem",
    "CaseQueuePage",
    "CaseQueueQuery",
    "CaseReplyIn",
    "CaseSupplementRequestIn",
    "DashboardOut",
    "DashboardQuery",
    "DashboardScopeOut",
    "DomainFigures",
    "OutboxItem",
    "OutboxPage",
    "OutboxQuery",
    "StaffSignInIn",
]


class DashboardQuery(StrictModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    start: dt.date | None = Field(
        None, alias="from", description="first local day (Asia/Shanghai), default six days before `to`"
    )
    end: dt.date | None = Field(None, alias="to", description="last local day, inclusive; default today")


class DomainFigures(BaseModel):
    """One domain's figures: `daily[metric][series][YYYY-MM-DD]`, figures now, and range totals."""

    daily: dict[str, dict[str, dict[str, float]]] = Field(
        description="metric -> series (an owning domain, or 'all') -> local day -> value"
    )
    current: dict[str, Any] = Field(description="figures as of now (backlogs, crowd levels, states)")
    totals: dict[str, Any] = Field(description="figures over the whole range")


class DashboardScopeOut(BaseModel):
    departments: list[str] | None = Field(description="null: the whole city; else the departments shown")


class DashboardOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    timezone: str
    days: list[dt.date]
    scope: DashboardScopeOut
    generated_at: dt.datetime
    cache_ttl_s: int
    domains: dict[str, DomainFigures] = Field(
        description="bookings, gov, community, tourism, ops (the outbox) and any other contributing domain"
    )


class OutboxQuery(ListQuery):
    status: list[OutboxStatus] = Field(
        default_factory=lambda: [OutboxStatus.DEAD, OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT],
        description="filter by status (repeatable); default: everything not yet delivered",
    )


class OutboxItem(BaseModel):
    id: str
    topic: str
    aggregate_type: str | None
    aggregate_id: str | None
    status: OutboxStatus
    attempts: int
    available_at: dt.datetime
    last_error: str | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None

    @classmethod
    def of(cls, message: OutboxMessage) -> OutboxItem:
        # The payload is not shown: it may carry personal data the operator does not need.
        return cls(
            id=str(message.id),
            topic=message.topic,
            aggregate_type=message.aggregate_type,
            aggregate_id=message.aggregate_id,
            status=message.status,
            attempts=message.attempts,
            available_at=message.available_at,
            last_error=message.last_error,
            created_at=message.created_at,
            delivered_at=message.delivered_at,
        )


class OutboxPage(BaseModel):
    items: list[OutboxItem]
    next_cursor: str | None


class CaseQueueQuery(ListQuery):
    status: CaseStatus | None = Field(
        None,
        description="accepted, in_review or supplement_requested (by deadline); submitted: waiting to be "
        "accepted, oldest first",
    )


class CaseQueueItem(BaseModel):
    """One open case of the operator's department (no personal data)."""

    id: uuid.UUID
    ref: str
    item_code: str
    department: str
    status: CaseStatus
    due_date: dt.date | None = Field(description="null until the case is accepted")
    overdue: bool
    supplement: dict[str, Any] | None = Field(
        description="the open 补正 request: message, materials, requested_on"
    )
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None


class CaseQueuePage(BaseModel):
    items: list[CaseQueueItem]
    next_cursor: str | None


class StaffSignInIn(StrictModel):
    """The console's sign-in form: username, password and the 6-digit code of the authenticator app."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    code: str = Field(min_length=6, max_length=6, pattern=r"^\d{6}$", description="TOTP code (RFC 6238)")


class CaseAcceptIn(StrictModel):
    """受理: accept a submitted case; the promised time limit starts today."""

    note: str = Field("", max_length=2000, description="shown to the applicant")


class CaseSupplementRequestIn(StrictModel):
    """补正: the materials the applicant must still send, and what is wrong or missing."""

    materials: list[Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9_.-]+$")]] = Field(
        min_length=1, max_length=20, description="material codes (the item's, or ones the officer names)"
    )
    message: str = Field(min_length=2, max_length=2000, description="shown to the applicant")


class CaseDecisionIn(StrictModel):
    """批准 or 不予批准 (an accepted case is moved through review first; a submitted one can only be refused)."""

    outcome: Literal["approved", "rejected"]
    reason: str = Field("", max_length=2000, description="required for a refusal; shown to the applicant")


class CaseReplyIn(StrictModel):
    """答复: a message to the applicant on their case (no status change)."""

    message: str = Field(min_length=2, max_length=2000)
