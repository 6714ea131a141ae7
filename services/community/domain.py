"""What community contributes: urgent-notice and report-change delivery, scheduling, seeds, privacy."""

from __future__ import annotations

from services.common.contributions import Domain, PrivacyHooks
from services.community import figures, jobs, privacy, seed

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="community",
    models="services.community.models",
    migrations="services.community.migrations",
    outbox_handlers=jobs.OUTBOX_HANDLERS,
    periodic_jobs=tuple(jobs.PERIODIC_JOBS),
    seed=seed.seed_demo,
    dashboard_figures=figures.dashboard_figures,
    privacy=PrivacyHooks(
        export=privacy.export_user_data,
        erase=privacy.erase_user_data,
        tables=(
            "community_membership",
            "community_notice_read",
            "community_report",
            "community_report_follower",
            "community_report_history",
            "community_file",
        ),
    ),
)
