"""Government-services jobs: cases, 补正 answers and withdrawals to the platform; late cases flagged."""

from __future__ import annotations

from services.common.contributions import PeriodicJob
from services.common.outbox import OutboxEvent
from services.deps import Deps
from services.gov import cases, decisions, delivery, privacy, timeline
from services.gov.ports import GovPlatform

__all__ = ["OUTBOX_HANDLERS", "PERIODIC_JOBS"]


def _platform(deps: Deps) -> GovPlatform:
    platform = deps.adapters.gov_platform
    if platform is None:
        # Not configured: fail this attempt (the row waits and is retried), never drop the case.
        raise RuntimeError("gov_platform adapter is not configured")
    return platform


async def deliver_case(event: OutboxEvent, deps: Deps) -> None:
    """Submit one case to the platform; the event id lets the platform drop a repeat."""
    await delivery.deliver_submission(
        event_id=event.id,
        case_id=str(event.payload.get("case_id")),
        platform=_platform(deps),
        cipher=deps.cipher,
    )


async def deliver_supplement(event: OutboxEvent, deps: Deps) -> None:
    """Send the citizen's 补正 answer."""
    await delivery.deliver_supplement(event_id=event.id, payload=event.payload, platform=_platform(deps))


async def deliver_withdrawal(event: OutboxEvent, deps: Deps) -> None:
    """Tell the platform a case was withdrawn."""
    await delivery.deliver_withdrawal(event_id=event.id, payload=event.payload, platform=_platform(deps))


async def deliver_decision(event: OutboxEvent, deps: Deps) -> None:
    """Tell the platform what an operator decided in the staff console."""
    await delivery.deliver_decision(event_id=event.id, payload=event.payload, platform=_platform(deps))


async def delete_erased_materials(event: OutboxEvent, deps: Deps) -> None:
    """After an account's erasure committed: delete its case materials from the file store."""
    await privacy.delete_erased_materials(
        keys=list(event.payload.get("keys") or []), upload_dir=deps.settings.upload_dir
    )


OUTBOX_HANDLERS = {
    cases.TOPIC_SUBMIT: deliver_case,
    cases.TOPIC_SUPPLEMENT: deliver_supplement,
    cases.TOPIC_WITHDRAW: deliver_withdrawal,
    decisions.TOPIC_DECISION: deliver_decision,
    cases.TOPIC_DELETE_FILES: delete_erased_materials,
}


async def flag_overdue_cases(deps: Deps) -> int:
    """Hourly: cases past their promised time limit go on record and their applicants are told."""
    return await timeline.flag_overdue_cases()


async def expire_uploads(deps: Deps) -> int:
    """Hourly: files uploaded for an application that never came are forgotten and deleted."""
    return await cases.expire_uploads()


PERIODIC_JOBS = [
    PeriodicJob("gov.flag_overdue_cases", every_s=3600, run=flag_overdue_cases),
    PeriodicJob("gov.expire_uploads", every_s=3600, run=expire_uploads),
]
