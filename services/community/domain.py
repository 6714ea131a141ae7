"""What community contributes: urgent-notice and report-change delivery, scheduling, seeds, privacy."""

from __future__ import annotations

from services.common.contributions import Domain, PrivacyHooks
from services.community import events, figures, jobs, privacy, search_docs, seed, timeline_source

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="community",
    models="services.community.models",
    migrations="services.community.migrations",
    outbox_handlers=jobs.OUTBOX_HANDLERS,
    periodic_jobs=tuple(jobs.PERIODIC_JOBS),
    seed=seed.seed_demo,
    timeline=timeline_source.SOURCE,
    search_documents=search_docs.search_documents,
    dashboard_figures=figures.dashboard_figures,
    booking_policy=events.BOOKING_POLICY,
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
    kept_on_erasure={
        "community_event": "created_by is the staff member who posted the event, part of the record",
        "community_notice": "author_id is the staff member who wrote the notice, part of the record",
        "community_open311_key": "created_by is the administrator who issued the partner key (audit)",
    },
)
