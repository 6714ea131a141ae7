"""PIPL export and erasure for the notifications domain: the inbox and subscribe-message consents."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.notifications.enums import PushStatus
from services.notifications.models import InboxMessage, SubscriptionConsent

__all__ = ["erase_user_data", "export_user_data"]


async def export_user_data(*, user_id: uuid.UUID) -> dict[str, Any]:
    """Everything this domain holds on the user, as JSON-ready data."""
    inbox = await InboxMessage.filter(user_id=user_id).order_by("created_at", "id")
    consents = await SubscriptionConsent.filter(user_id=user_id).order_by("template_id")
    return {
        "inbox": [
            {
                "id": str(m.id),
                "kind": m.kind,
                "params": m.params,
                "link": m.link,
                "case_ref": m.case_ref,
                "read_at": m.read_at.isoformat() if m.read_at else None,
                "created_at": m.created_at.isoformat(),
                "push_status": PushStatus(m.push_status).value,
            }
            for m in inbox
        ],
        "subscriptions": [{"template_id": c.template_id, "remaining": c.remaining} for c in consents],
    }


async def erase_user_data(*, user_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    """The inbox (its parameters name places, people and cases) and the consents go entirely."""
    await InboxMessage.filter(user_id=user_id).using_db(conn).delete()
    await SubscriptionConsent.filter(user_id=user_id).using_db(conn).delete()
