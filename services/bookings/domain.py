"""What the booking engine contributes: its jobs and its privacy hooks (visitors, bookings, waitlists)."""

from __future__ import annotations

from services.bookings import figures, jobs, privacy
from services.common.contributions import Domain, PrivacyHooks

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="bookings",
    models="services.bookings.models",
    migrations="services.bookings.migrations",
    outbox_handlers=jobs.OUTBOX_HANDLERS,
    periodic_jobs=tuple(jobs.PERIODIC_JOBS),
    dashboard_figures=figures.dashboard_figures,
    privacy=PrivacyHooks(
        export=privacy.export_user_data,
        erase=privacy.erase_user_data,
        tables=("booking_booking", "booking_visitor", "booking_waitlist"),
    ),
)
