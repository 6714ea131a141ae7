"""What the accounts domain contributes: its tables. Its export/erase is the frame the others plug into."""

from __future__ import annotations

from services.common import audit
from services.common.contributions import Domain, PeriodicJob
from services.deps import Deps

__all__ = ["DOMAIN", "FRAME_TABLES"]

# Exported and erased by services.accounts.service.export_data / delete_account themselves.
FRAME_TABLES = (
    "account_user",
    "account_refresh_token",
    "account_role_grant",
    "account_family_grant",
    "account_proxy_action",
)


async def anchor_audit_chain(deps: Deps) -> None:
    """Write a signed checkpoint of the audit chain head outside the database (when it moved)."""
    await audit.write_checkpoint(deps.settings.audit_checkpoint_dir)


DOMAIN = Domain(
    name="accounts",
    models="services.accounts.models",
    migrations="services.accounts.migrations",
    periodic_jobs=(PeriodicJob("audit.checkpoint", 300.0, anchor_audit_chain),),
)
