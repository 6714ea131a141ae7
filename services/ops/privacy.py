"""PIPL export and erasure of a staff member's console sign-in (username, display name, second factor)."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.ops.models import StaffAccount

__all__ = ["erase_user_data", "export_user_data"]


async def export_user_data(*, user_id: uuid.UUID) -> dict[str, Any]:
    """The console account of the person, without its secrets (password hash, TOTP secret)."""
    account = await StaffAccount.get_or_none(user_id=user_id)
    if account is None:
        return {"staff_account": None}
    return {
        "staff_account": {
            "username": account.username,
            "display_name": account.display_name,
            "created_at": account.created_at.isoformat(),
            "last_sign_in_at": account.last_sign_in_at.isoformat() if account.last_sign_in_at else None,
            "disabled_at": account.disabled_at.isoformat() if account.disabled_at else None,
        }
    }


async def erase_user_data(*, user_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    """A deleted account signs in nowhere: its console sign-in goes with it."""
    await StaffAccount.filter(user_id=user_id).using_db(conn).delete()
