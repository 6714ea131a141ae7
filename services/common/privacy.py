"""PIPL export and erasure of the platform's own per-person rows: stored POST responses."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.common.models import IdempotencyRecord

__all__ = ["erase_user_data", "export_user_data"]


def _mine(user_id: uuid.UUID) -> dict[str, str]:
    # Idempotency scopes are "<user id>:<route>" (citizen_api/idempotency.py).
    return {"scope__startswith": f"{user_id}:"}


async def export_user_data(*, user_id: uuid.UUID) -> dict[str, Any]:
    """Which of the person's requests are remembered for replay, and until when."""
    rows = await IdempotencyRecord.filter(**_mine(user_id)).order_by("created_at")
    return {
        "remembered_requests": [
            {
                "route": r.scope.split(":", 1)[1],
                "status": r.status_code,
                "expires_at": r.expires_at.isoformat(),
            }
            for r in rows
        ]
    }


async def erase_user_data(*, user_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    """Stored responses can carry the person's data: they go with the account."""
    await IdempotencyRecord.filter(**_mine(user_id)).using_db(conn).delete()
