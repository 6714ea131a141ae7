"""What operations contributes: the staff console's sign-in table and the platform's outbox figures."""

from __future__ import annotations

from services.common.contributions import Domain
from services.ops import figures

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="ops",
    models="services.ops.models",
    migrations="services.ops.migrations",
    dashboard_figures=figures.dashboard_figures,
)
