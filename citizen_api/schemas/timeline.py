"""The cross-domain "my cases" timeline (GET /api/v1/me/cases)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["TimelineItemOut", "TimelinePage"]


class TimelineItemOut(BaseModel):
    """One case-like thing of mine or of someone I act for, from any domain."""

    id: uuid.UUID
    kind: str = Field(description="gov_case | community_report | care_order | care_appointment | enrollment")
    ref: str
    title: str = Field(description="what it is, in the reader's language")
    status: str
    status_label: str
    for_member: uuid.UUID | None = Field(description="the person it is for, when not me")
    due_date: dt.date | None
    overdue: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    link: str = Field(description="the API path of its detail")
    # Government cases keep the fields the case screens use.
    item_code: str | None = None
    item_name: str | None = None

    @classmethod
    def from_domain(cls, entry: Any) -> TimelineItemOut:
        extra = entry.extra or {}
        return cls(
            id=entry.id,
            kind=entry.kind,
            ref=entry.ref,
            title=entry.title,
            status=entry.status,
            status_label=entry.status_label,
            for_member=entry.for_member,
            due_date=entry.due_date,
            overdue=entry.overdue,
            created_at=entry.created_at,
            updated_at=entry.updated_at,
            link=entry.link,
            item_code=extra.get("item_code"),
            item_name=entry.title if entry.kind == "gov_case" else None,
        )


class TimelinePage(BaseModel):
    items: list[TimelineItemOut]
    next_cursor: str | None
