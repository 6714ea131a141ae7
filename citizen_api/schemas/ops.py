"""Operations views."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from citizen_api.schemas.common import ListQuery
from services.common.models import OutboxMessage, OutboxStatus

__all__ = ["OutboxItem", "OutboxPage", "OutboxQuery"]


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
