"""录取/派位: each school's draw over its approved applications, the results, the public record.

Every school in a round's plan is drawn the same way (services.education.lottery), whether or not
it is oversubscribed: with fewer eligible applicants than places everyone is admitted, and the
record still shows the seed, the inputs and the order. Results go to the guardians' inbox (and as
WeChat subscribe messages where they consented).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tortoise.transactions import in_transaction

from services.common import clock
from services.common.crypto import PiiCipher
from services.common.i18n import localized
from services.common.ids import parse_id
from services.education.enums import CATEGORY_PRIORITY, ApplicationStatus, Phase
from services.education.errors import LotteryAlreadyDrawn, LotteryNotFound, PhaseClosed
from services.education.lottery import ALGORITHM, Verification, compute_draw, verify_record
from services.education.models import AdmissionPlan, Application, EnrollmentRound, Lottery, School
from services.education.rounds import SEED_CONTEXT, load_round, phase_at
from services.education.transitions import transition

__all__ = ["draw_due", "draw_school", "public_lottery", "verify_lottery"]

_OUTCOME_KIND = {
    ApplicationStatus.ADMITTED: "notify.education.admitted",
    ApplicationStatus.WAITLISTED: "notify.education.waitlisted",
    ApplicationStatus.NOT_ADMITTED: "notify.education.not_admitted",
}


async def _school(school_id: str) -> School:
    parsed = parse_id(school_id)
    school = await (School.get_or_none(id=parsed) if parsed else School.get_or_none(code=str(school_id)[:32]))
    if school is None:
        raise LotteryNotFound()
    return school


async def draw_school(
    *,
    round_id: str | uuid.UUID,
    school_id: str | uuid.UUID,
    cipher: PiiCipher,
    now: dt.datetime | None = None,
) -> Lottery:
    """Draw one school's places in a round (录取/派位 phase only), once."""
    now = now or clock.now()
    round_, windows = await load_round(round_id)
    if phase_at(windows, now) not in (Phase.ADMISSION, Phase.REPORTING, Phase.CLOSED):
        raise PhaseClosed("education.phase_closed.not_open", opens_at="", closes_at="")
    school = await _school(str(school_id))
    lottery = await Lottery.get_or_none(round_id=round_.id, school_id=school.id)
    plan = await AdmissionPlan.get_or_none(round_id=round_.id, school_id=school.id)
    if lottery is None or plan is None:
        raise LotteryNotFound()
    if lottery.drawn_at is not None:
        raise LotteryAlreadyDrawn()
    report_window = next((w for w in windows if w.phase == Phase.REPORTING), None)
    report_on = clock.local_date(report_window.opens_at) if report_window else None
    seed = cipher.decrypt(lottery.sealed_seed, context=SEED_CONTEXT)
    async with in_transaction() as conn:
        eligible = await (
            Application.filter(round_id=round_.id, school_id=school.id, status=ApplicationStatus.APPROVED)
            .using_db(conn)
            .order_by("id")
        )
        categories = [
            {"category": c.value, "ids": sorted(str(a.id) for a in eligible if a.category == c)}
            for c in CATEGORY_PRIORITY
        ]
        categories = [c for c in categories if c["ids"]]
        order = compute_draw(
            seed=seed, categories=categories, places=plan.places, waitlist_places=plan.waitlist_places
        )
        # Freezing the record is the lock: a second draw of the same school matches nothing here.
        frozen = (
            await Lottery.filter(id=lottery.id, drawn_at__isnull=True)
            .using_db(conn)
            .update(
                seed=seed,
                drawn_at=now,
                places=plan.places,
                waitlist_places=plan.waitlist_places,
                inputs={"categories": categories},
                result={"order": [p.to_json() for p in order]},
            )
        )
        if not frozen:
            raise LotteryAlreadyDrawn()
        by_id = {str(a.id): a for a in eligible}
        for place in order:
            outcome = ApplicationStatus(place.outcome)
            await transition(
                by_id[place.id],
                outcome,
                actor_label="system",
                conn=conn,
                notify_kind=_OUTCOME_KIND[outcome],
                notify_params={
                    "school": localized({"zh_CN": school.name_zh, "en": school.name_en}),
                    "report_on": report_on.isoformat() if report_on else "",
                    "rank": place.rank,
                },
                result_school_id=school.id if outcome != ApplicationStatus.NOT_ADMITTED else None,
                report_on=report_on if outcome == ApplicationStatus.ADMITTED else None,
                lottery_rank=place.rank,
            )
    await lottery.refresh_from_db()
    return lottery


async def draw_due(*, cipher: PiiCipher, now: dt.datetime | None = None) -> int:
    """The job's part: draw every school of every round whose 录取/派位 phase is open; returns draws."""
    now = now or clock.now()
    drawn = 0
    for round_ in await EnrollmentRound.filter(current_phase__in=[Phase.ADMISSION, Phase.REPORTING]):
        _, windows = await load_round(round_.id)
        if phase_at(windows, now) not in (Phase.ADMISSION, Phase.REPORTING):
            continue
        for lottery in await Lottery.filter(round_id=round_.id, drawn_at__isnull=True):
            try:
                await draw_school(round_id=round_.id, school_id=lottery.school_id, cipher=cipher, now=now)
            except LotteryAlreadyDrawn:
                continue  # another worker drew it first
            drawn += 1
    return drawn


async def public_lottery(*, round_id: str, school_id: str) -> dict[str, Any]:
    """A draw's public record: commitment, revealed seed, inputs and result (ids only, no child data)."""
    round_, _ = await load_round(round_id)
    school = await _school(school_id)
    lottery = await Lottery.get_or_none(round_id=round_.id, school_id=school.id)
    if lottery is None:
        raise LotteryNotFound()
    drawn = lottery.drawn_at is not None
    return {
        "round_id": round_.id,
        "round_code": round_.code,
        "school_id": school.id,
        "school_code": school.code,
        "algorithm": lottery.algorithm,
        "status": "drawn" if drawn else "committed",
        "commitment": lottery.commitment,
        "committed_at": clock.to_local(lottery.committed_at),
        "seed": lottery.seed if drawn else None,
        "drawn_at": clock.to_local(lottery.drawn_at) if lottery.drawn_at else None,
        "places": lottery.places,
        "waitlist_places": lottery.waitlist_places,
        "inputs": lottery.inputs if drawn else None,
        "result": lottery.result if drawn else None,
        "verify_command": f"citizen-api education verify-lottery {round_.code} {school.code}",
    }


def _as_record(public: dict[str, Any]) -> dict[str, Any]:
    return {**public, "algorithm": public.get("algorithm", ALGORITHM)}


async def verify_lottery(*, round_id: str, school_id: str) -> Verification:
    """Recompute a draw from its public record (what the verify-lottery command runs)."""
    return verify_record(_as_record(await public_lottery(round_id=round_id, school_id=school_id)))
