"""What operations contributes: the staff console's sign-in table and the platform's outbox figures."""

from __future__ import annotations

from services.common.contributions import Domain, PrivacyHooks
from services.ops import figures, privacy

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="ops",
    models="services.ops.models",
    migrations="services.ops.migrations",
    dashboard_figures=figures.dashboard_figures,
    privacy=PrivacyHooks(
        export=privacy.export_user_data, erase=privacy.erase_user_data, tables=("ops_staff_account",)
    ),
)
