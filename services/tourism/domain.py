"""What tourism contributes: ticket delivery, crowd polling, entry slots, its booking policy (red-level
guard, the ticket written with the booking, voiding on release), seeds and privacy hooks."""

from __future__ import annotations

from services.common.contributions import Domain, PrivacyHooks
from services.tourism import entry, figures, jobs, privacy, seed

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="tourism",
    models="services.tourism.models",
    migrations="services.tourism.migrations",
    outbox_handlers={**jobs.OUTBOX_HANDLERS, **privacy.OUTBOX_HANDLERS},
    periodic_jobs=tuple(jobs.PERIODIC_JOBS),
    seed=seed.seed_demo,
    dashboard_figures=figures.dashboard_figures,
    booking_policy=entry.BOOKING_POLICY,
    privacy=PrivacyHooks(
        export=privacy.export_user_data,
        erase=privacy.erase_user_data,
        tables=("tourism_ticket_issue",),
    ),
)
