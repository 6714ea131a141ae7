"""What government services contribute: platform delivery, the overdue job, seeds and privacy hooks."""

from __future__ import annotations

from services.common.contributions import Domain, PrivacyHooks
from services.gov import figures, jobs, privacy, seed, timeline_source

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="gov",
    models="services.gov.models",
    migrations="services.gov.migrations",
    outbox_handlers=jobs.OUTBOX_HANDLERS,
    periodic_jobs=tuple(jobs.PERIODIC_JOBS),
    seed=seed.seed_demo,
    timeline=timeline_source.SOURCE,
    dashboard_figures=figures.dashboard_figures,
    privacy=PrivacyHooks(
        export=privacy.export_user_data,
        erase=privacy.erase_user_data,
        tables=(
            "gov_case",
            "gov_case_event",
            "gov_case_material",
            "gov_material_upload",
            "gov_rating",
            "gov_follow_up",
        ),
    ),
)
