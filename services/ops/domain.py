"""What operations contributes: staff sign-in, the outbox figures and the dashboard's daily rollups."""

from __future__ import annotations

from services.common.contributions import Domain, PrivacyHooks
from services.ops import figures, jobs, privacy

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="ops",
    models="services.ops.models",
    migrations="services.ops.migrations",
    dashboard_figures=figures.dashboard_figures,
    # ops_daily_rollup (services.ops.models.DailyRollup) is kept by this job; no personal data in it.
    periodic_jobs=tuple(jobs.PERIODIC_JOBS),
    privacy=PrivacyHooks(
        export=privacy.export_user_data, erase=privacy.erase_user_data, tables=("ops_staff_account",)
    ),
)
