"""Education jobs: applications and 补充材料 answers to the bureau; rounds opened, closed and drawn."""

from __future__ import annotations

from typing import Any

from services.common.contributions import PeriodicJob
from services.common.outbox import OutboxEvent
from services.common.storage import LocalFileStore
from services.education import admission, review, rounds
from services.education.ports import EducationBureau
from services.education.privacy import TOPIC_ERASE_FILES
from services.education.views import TOPIC_SUBMIT, TOPIC_SUPPLEMENT, TOPIC_WITHDRAW

__all__ = ["OUTBOX_HANDLERS", "PERIODIC_JOBS", "advance_rounds"]


def _bureau(deps: Any) -> EducationBureau:
    bureau = deps.adapters.education_bureau
    if bureau is None:
        # Not configured: fail this attempt (the row waits and is retried), never drop the application.
        raise RuntimeError("education_bureau adapter is not configured")
    return bureau


async def deliver_application(event: OutboxEvent, deps: Any) -> None:
    """Submit one application to the bureau; the event id lets the bureau drop a repeat."""
    await review.deliver_submission(
        event_id=event.id,
        application_id=str(event.payload.get("application_id")),
        bureau=_bureau(deps),
        cipher=deps.cipher,
    )


async def deliver_supplement(event: OutboxEvent, deps: Any) -> None:
    """Send the family's 补充材料 answer."""
    await review.deliver_supplement(event_id=event.id, payload=event.payload, bureau=_bureau(deps))


async def deliver_withdrawal(event: OutboxEvent, deps: Any) -> None:
    """Tell the bureau an application was withdrawn."""
    await review.deliver_withdrawal(event_id=event.id, payload=event.payload, bureau=_bureau(deps))


async def erase_files(event: OutboxEvent, deps: Any) -> None:
    """Delete the stored documents of an erased application (after the erasure committed)."""
    store = LocalFileStore(deps.settings.upload_dir)
    for key in event.payload.get("keys") or []:
        await store.delete(str(key))


OUTBOX_HANDLERS = {
    TOPIC_SUBMIT: deliver_application,
    TOPIC_SUPPLEMENT: deliver_supplement,
    TOPIC_WITHDRAW: deliver_withdrawal,
    TOPIC_ERASE_FILES: erase_files,
}


async def advance_rounds(deps: Any) -> int:
    """Every 30 s: record phase changes (publishing lottery commitments), then run the due draws."""
    changes = await rounds.advance_rounds(cipher=deps.cipher)
    drawn = await admission.draw_due(cipher=deps.cipher)
    return len(changes) + drawn


PERIODIC_JOBS = [PeriodicJob("education.advance_rounds", every_s=30, run=advance_rounds)]
