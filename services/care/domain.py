"""What care plugs into the system (listed once in citizen_api/composition.py)."""

from __future__ import annotations

from services.bookings.policy import BookingPolicy
from services.care import appointments, attendance, jobs, privacy, reports, seed, timeline_source
from services.common.contributions import Domain, PrivacyHooks

__all__ = ["BOOKING_POLICY", "DOMAIN"]

# The engine asks care before booking a doctor's slot (consent, proxy scope, HIS up, 放号, caps) and
# runs after_booking inside the booking's transaction (our appointment row and its HIS delivery) and
# after_release inside the one that cancels it (退号 queued for the HIS).
BOOKING_POLICY = BookingPolicy(
    owner_domain="care",
    guards=(appointments.guard_booking,),
    after_booking=appointments.after_booking,
    after_release=appointments.after_release,
    # The HIS, not the engine's clock, says who did not come (a patient seen there is never a no-show).
    attendance=attendance.attendance,
)

DOMAIN = Domain(
    name="care",
    models="services.care.models",
    migrations="services.care.migrations",
    outbox_handlers=jobs.OUTBOX_HANDLERS,
    periodic_jobs=tuple(jobs.PERIODIC_JOBS),
    seed=seed.seed_demo,
    timeline=timeline_source.SOURCE,
    privacy=PrivacyHooks(
        export=privacy.export_user_data, erase=privacy.erase_user_data, tables=privacy.TABLES
    ),
    booking_policy=BOOKING_POLICY,
    search_documents=reports.search_documents,
    dashboard_figures=reports.dashboard_figures,
)
