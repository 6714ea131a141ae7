"""Request and response shapes of the inbox and WeChat subscribe-message consents."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import StrictModel
from services.notifications.enums import PushStatus
from services.notifications.service import ConsentBalance, InboxItem, InboxPage

__all__ = ["ConsentOut", "ConsentsOut", "InboxItemOut", "InboxPageOut", "SubscriptionsIn"]

TemplateId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


class SubscriptionsIn(StrictModel):
    """The template ids the user accepted in wx.requestSubscribeMessage; each is one future send."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"template_ids": ["booking_reminder"]}]})
    template_ids: list[TemplateId] = Field(min_length=1, max_length=20)


class ConsentOut(BaseModel):
    template_id: str
    remaining: int

    @classmethod
    def from_domain(cls, balance: ConsentBalance) -> ConsentOut:
        return cls(template_id=balance.template_id, remaining=balance.remaining)


class ConsentsOut(BaseModel):
    items: list[ConsentOut]

    @classmethod
    def from_domain(cls, balances: list[ConsentBalance]) -> ConsentsOut:
        return cls(items=[ConsentOut.from_domain(b) for b in balances])


class InboxItemOut(BaseModel):
    id: uuid.UUID
    kind: str = Field(description="message id, e.g. notify.booking.confirmed")
    text: str = Field(description="the message in the reader's language")
    params: dict[str, Any]
    link: str | None
    case_ref: str | None
    read: bool
    read_at: dt.datetime | None
    created_at: dt.datetime
    push_status: PushStatus = Field(description="what happened to the WeChat subscribe message")

    @classmethod
    def from_domain(cls, item: InboxItem) -> InboxItemOut:
        return cls(
            id=item.id,
            kind=item.kind,
            text=item.text,
            params=item.params,
            link=item.link,
            case_ref=item.case_ref,
            read=item.read,
            read_at=item.read_at,
            created_at=item.created_at,
            push_status=item.push_status,
        )


class InboxPageOut(BaseModel):
    items: list[InboxItemOut]
    next_cursor: str | None
    unread: int

    @classmethod
    def from_domain(cls, page: InboxPage) -> InboxPageOut:
        return cls(
            items=[InboxItemOut.from_domain(i) for i in page.items],
            next_cursor=page.next_cursor,
            unread=page.unread,
        )
