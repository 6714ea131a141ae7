"""Operations jobs: the dashboard's daily rollups."""

from __future__ import annotations

from services.common.contributions import PeriodicJob
from services.deps import Deps
from services.ops import rollup

__all__ = ["PERIODIC_JOBS", "roll_up_dashboard"]


async def roll_up_dashboard(deps: Deps) -> int:
    """Every 10 minutes: roll up missing closed days of the last year, refresh stale ones."""
    return await rollup.roll_up(deps.dashboard_figures)


PERIODIC_JOBS = [PeriodicJob("ops.roll_up_dashboard", every_s=600, run=roll_up_dashboard)]
