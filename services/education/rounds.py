"""Enrollment rounds and their phases in the city's time; the job that opens and closes them.

A phase is the half-open window [opens_at, closes_at). Requests decide by the clock (`phase_at`),
so a submission one second after closing is refused even if the job has not run yet; the periodic
job records each change, publishes the lottery commitments before any draw, and starts the draws
when 录取/派位 opens.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from services.common import clock
from services.common.crypto import PiiCipher
from services.common.ids import parse_id
from services.education.enums import PHASE_ORDER, Phase, SchoolLevel
from services.education.errors import PhaseClosed, RoundNotFound
from services.education.lottery import commitment_of, new_seed
from services.education.models import AdmissionPlan, EnrollmentRound, Lottery, RoundPhase, School

__all__ = [
    "PhaseWindow",
    "RoundView",
    "advance_rounds",
    "ensure_commitments",
    "get_round",
    "list_rounds",
    "load_round",
    "phase_at",
    "require_phase",
    "upsert_round",
]

SEED_CONTEXT = "education_lottery.seed"


@dataclass(frozen=True, slots=True)
class PhaseWindow:
    phase: Phase
    opens_at: dt.datetime
    closes_at: dt.datetime


@dataclass(frozen=True, slots=True)
class RoundView:
    id: uuid.UUID
    code: str
    year: int
    level: SchoolLevel
    name_zh: str
    name_en: str
    min_social_insurance_months: int
    current_phase: Phase
    phases: list[PhaseWindow]
    demo: bool


def phase_at(windows: list[PhaseWindow], moment: dt.datetime) -> Phase:
    """The phase in force at `moment`: UPCOMING before the first, CLOSED after the last."""
    ordered = sorted(windows, key=lambda w: w.opens_at)
    if not ordered or moment < ordered[0].opens_at:
        return Phase.UPCOMING
    for window in ordered:
        if window.opens_at <= moment < window.closes_at:
            return window.phase
    if moment >= ordered[-1].closes_at:
        return Phase.CLOSED
    # Between two phases (e.g. after 录取 and before 报到): still the last phase that opened.
    return [w for w in ordered if w.opens_at <= moment][-1].phase


def _validate(phases: Mapping[Phase, tuple[dt.datetime, dt.datetime]]) -> list[PhaseWindow]:
    if set(phases) != set(PHASE_ORDER):
        raise ValueError("a round publishes all six phases")
    windows = [PhaseWindow(p, *phases[p]) for p in PHASE_ORDER]
    for window in windows:
        if window.opens_at.tzinfo is None or window.closes_at.tzinfo is None:
            raise ValueError("phase times must be timezone-aware")
        if window.closes_at <= window.opens_at:
            raise ValueError(f"{window.phase} closes before it opens")
    for before, after in zip(windows, windows[1:], strict=False):
        if after.opens_at < before.closes_at:
            raise ValueError(f"{after.phase} opens before {before.phase} closes")
    return windows


async def upsert_round(
    *,
    code: str,
    year: int,
    level: SchoolLevel,
    name_zh: str,
    name_en: str,
    phases: Mapping[Phase, tuple[dt.datetime, dt.datetime]],
    plans: Mapping[str, tuple[int, int]],
    cipher: PiiCipher,
    min_social_insurance_months: int = 12,
    demo: bool = True,
) -> EnrollmentRound:
    """Create or replace a round (by code) with its phases and its admission plans (school code ->
    (places, waitlist places)); lottery commitments are published at once."""
    windows = _validate(phases)
    schools = {s.code: s for s in await School.filter(code__in=list(plans))}
    if missing := sorted(set(plans) - set(schools)):
        raise ValueError(f"unknown schools: {', '.join(missing)}")
    if wrong := sorted(c for c, s in schools.items() if s.level != level):
        raise ValueError(f"schools of another level: {', '.join(wrong)}")
    async with in_transaction() as conn:
        round_, _ = await EnrollmentRound.update_or_create(
            defaults={
                "year": year,
                "level": level,
                "name_zh": name_zh,
                "name_en": name_en,
                "min_social_insurance_months": min_social_insurance_months,
                "demo": demo,
            },
            code=code,
            using_db=conn,
        )
        for window in windows:
            await RoundPhase.update_or_create(
                defaults={"opens_at": window.opens_at, "closes_at": window.closes_at},
                round_id=round_.id,
                phase=window.phase,
                using_db=conn,
            )
        for school_code, (places, waitlist) in plans.items():
            await AdmissionPlan.update_or_create(
                defaults={"places": places, "waitlist_places": waitlist},
                round_id=round_.id,
                school_id=schools[school_code].id,
                using_db=conn,
            )
    await ensure_commitments(round_id=round_.id, cipher=cipher)
    return round_


async def ensure_commitments(*, round_id: uuid.UUID, cipher: PiiCipher) -> int:
    """Publish a seed commitment for every school of the round that has none yet; returns how many."""
    created = 0
    have = set(await Lottery.filter(round_id=round_id).values_list("school_id", flat=True))
    for plan in await AdmissionPlan.filter(round_id=round_id):
        if plan.school_id in have:
            continue
        seed = new_seed()
        await Lottery.get_or_create(
            defaults={
                "commitment": commitment_of(seed),
                "sealed_seed": cipher.encrypt(seed, context=SEED_CONTEXT),
                "committed_at": clock.now(),
            },
            round_id=round_id,
            school_id=plan.school_id,
        )
        created += 1
    return created


def _windows(phases: list[RoundPhase]) -> list[PhaseWindow]:
    return sorted(
        (PhaseWindow(Phase(p.phase), p.opens_at, p.closes_at) for p in phases), key=lambda w: w.opens_at
    )


def _view(round_: EnrollmentRound, phases: list[RoundPhase], now: dt.datetime) -> RoundView:
    windows = _windows(phases)
    return RoundView(
        id=round_.id,
        code=round_.code,
        year=round_.year,
        level=SchoolLevel(round_.level),
        name_zh=round_.name_zh,
        name_en=round_.name_en,
        min_social_insurance_months=round_.min_social_insurance_months,
        current_phase=phase_at(windows, now),
        phases=windows,
        demo=round_.demo,
    )


async def load_round(round_id: str | uuid.UUID) -> tuple[EnrollmentRound, list[PhaseWindow]]:
    """A round (by id or code) and its phase windows, or RoundNotFound."""
    parsed = parse_id(round_id)
    round_ = await (
        EnrollmentRound.get_or_none(id=parsed)
        if parsed
        else EnrollmentRound.get_or_none(code=str(round_id)[:32])
    )
    if round_ is None:
        raise RoundNotFound()
    return round_, _windows(await RoundPhase.filter(round_id=round_.id))


async def list_rounds(*, level: SchoolLevel | None = None, now: dt.datetime | None = None) -> list[RoundView]:
    """Every round, newest first, with its phase at `now`."""
    now = now or clock.now()
    query = EnrollmentRound.all().order_by("-year", "code")
    if level is not None:
        query = query.filter(level=level)
    rounds = await query
    phases = await RoundPhase.filter(round_id__in=[r.id for r in rounds])
    return [_view(r, [p for p in phases if p.round_id == r.id], now) for r in rounds]


async def get_round(*, round_id: str, now: dt.datetime | None = None) -> RoundView:
    round_, _ = await load_round(round_id)
    return _view(round_, await RoundPhase.filter(round_id=round_.id), now or clock.now())


def require_phase(
    windows: list[PhaseWindow], allowed: set[Phase], *, action: str, now: dt.datetime | None = None
) -> Phase:
    """The current phase when it is in `allowed`, else PhaseClosed saying when the action was open."""
    now = now or clock.now()
    current = phase_at(windows, now)
    if current in allowed:
        return current
    open_windows = [w for w in windows if w.phase in allowed]
    details: dict[str, Any] = {"phase": current.value, "action": action}
    if open_windows:
        details["opens_at"] = clock.to_local(open_windows[0].opens_at).isoformat()
        details["closes_at"] = clock.to_local(open_windows[-1].closes_at).isoformat()
    late = bool(open_windows) and now >= open_windows[-1].closes_at
    raise PhaseClosed(
        "education.phase_closed.late" if late else "education.phase_closed.not_open",
        closes_at=details.get("closes_at", ""),
        opens_at=details.get("opens_at", ""),
        details=details,
    )


async def advance_rounds(*, cipher: PiiCipher, now: dt.datetime | None = None) -> list[tuple[str, Phase]]:
    """Record each round's phase change; returns (round code, new phase) for every change made.

    Idempotent and safe on several workers: the update is conditional on the phase last recorded.
    """
    now = now or clock.now()
    changes: list[tuple[str, Phase]] = []
    for round_ in await EnrollmentRound.exclude(current_phase=Phase.CLOSED):
        windows = _windows(await RoundPhase.filter(round_id=round_.id))
        target = phase_at(windows, now)
        if target in (Phase.UPCOMING, Phase.REGISTRATION, Phase.REVIEW, Phase.SUPPLEMENT, Phase.PUBLICITY):
            # The commitments must be public before any draw: make sure none is missing.
            await ensure_commitments(round_id=round_.id, cipher=cipher)
        if target == Phase(round_.current_phase):
            continue
        updated = await EnrollmentRound.filter(id=round_.id, current_phase=round_.current_phase).update(
            current_phase=target, phase_changed_at=now
        )
        if updated:
            changes.append((round_.code, target))
    return changes
