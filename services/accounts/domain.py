"""What the accounts domain contributes: its tables. Its export/erase is the frame the others plug into."""

from __future__ import annotations

from services.common.contributions import Domain

__all__ = ["DOMAIN", "FRAME_TABLES"]

# Exported and erased by services.accounts.service.export_data / delete_account themselves.
FRAME_TABLES = (
    "account_user",
    "account_refresh_token",
    "account_role_grant",
    "account_family_grant",
    "account_proxy_action",
)

DOMAIN = Domain(name="accounts", models="services.accounts.models", migrations="services.accounts.migrations")
