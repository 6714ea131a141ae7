"""Government-services jobs: cases, 补正 answers and withdrawals to the platform; late cases flagged."""

from __future__ import annotations

from typing import Any

from services.common.contributions import PeriodicJob
from services.common.outbox import OutboxEvent
from services.gov import service
from services.gov.ports import GovPlatform

__all__ = ["OUTBOX_HANDLERS", "PERIODIC_JOBS"]


def _platform(deps: Any) -> GovPlatform:
    platform = deps.adapters.gov_platform
    if platform is None:
        # Not configured: fail this attempt (the row waits and is retried), never drop the case.
        raise RuntimeError("gov_platform adapter is not configured")
    return platform


async def deliver_case(event: OutboxEvent, deps: Any) -> None:
    """Submit one case to the platform; the event id lets the platform drop a repeat."""
    await service.deliver_submission(
        event_id=event.id,
        case_id=str(event.payload.get("case_id")),
        platform=_platform(deps),
        cipher=deps.cipher,
    )


async def deliver_supplement(event: OutboxEvent, deps: Any) -> None:
    """Send the citizen's 补正 answer."""
    await service.deliver_supplement(event_id=event.id, payload=event.payload, platform=_platform(deps))


async def deliver_withdrawal(event: OutboxEvent, deps: Any) -> None:
    """Tell the platform a case was withdrawn."""
    await service.deliver_withdrawal(event_id=event.id, payload=event.payload, platform=_platform(deps))


OUTBOX_HANDLERS = {
    service.TOPIC_SUBMIT: deliver_case,
    service.TOPIC_SUPPLEMENT: deliver_supplement,
    service.TOPIC_WITHDRAW: deliver_withdrawal,
}


async def flag_overdue_cases(deps: Any) -> int:
    """Hourly: cases past their promised time limit go on record and their applicants are told."""
    return await service.flag_overdue_cases()


PERIODIC_JOBS = [PeriodicJob("gov.flag_overdue_cases", every_s=3600, run=flag_overdue_cases)]
