"""What the education domain contributes to the composition root (one value, no side effects)."""

from __future__ import annotations

from services.common.contributions import Domain, PrivacyHooks
from services.education.figures import dashboard_figures, search_documents
from services.education.jobs import OUTBOX_HANDLERS, PERIODIC_JOBS
from services.education.privacy import TABLES, erase_user_data, export_user_data
from services.education.seed import seed_demo
from services.education.timeline_source import SOURCE as TIMELINE

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="education",
    models="services.education.models",
    migrations="services.education.migrations",
    outbox_handlers=OUTBOX_HANDLERS,
    periodic_jobs=PERIODIC_JOBS,
    seed=seed_demo,
    timeline=TIMELINE,
    privacy=PrivacyHooks(export=export_user_data, erase=erase_user_data, tables=TABLES),
    search_documents=search_documents,
    dashboard_figures=dashboard_figures,
)
