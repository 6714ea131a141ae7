"""The case state machine: every move it does not draw is refused, in the table and in the database."""

from __future__ import annotations

import itertools
import uuid

import pytest
from tortoise.transactions import in_transaction

from services.gov import timeline
from services.gov.enums import CASE_TRANSITIONS, CaseStatus, TransitionActor, can_transition
from services.gov.errors import IllegalTransition
from services.gov.models import Case, CaseEvent
from tests.factories import make_user

ALL_MOVES = list(itertools.product(CaseStatus, CaseStatus, TransitionActor))
OPERATOR, PLATFORM = TransitionActor.OPERATOR, TransitionActor.PLATFORM


def _drawn(a: CaseStatus, b: CaseStatus, who: TransitionActor) -> bool:
    allowed = CASE_TRANSITIONS.get((a, b))
    # A department operator (staff console) makes exactly the platform's moves.
    return allowed is who or (who is OPERATOR and allowed is PLATFORM)


ILLEGAL = [(a, b, who) for a, b, who in ALL_MOVES if not _drawn(a, b, who)]
LEGAL = [(a, b, who) for (a, b), who in CASE_TRANSITIONS.items()]
OPERATOR_MOVES = [(a, b, OPERATOR) for (a, b), who in CASE_TRANSITIONS.items() if who is PLATFORM]


def test_transitions__the_documented_lifecycle() -> None:
    citizen, platform = TransitionActor.CITIZEN, TransitionActor.PLATFORM
    happy = [
        (CaseStatus.DRAFT, CaseStatus.SUBMITTED, citizen),
        (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED, platform),
        (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW, platform),
        (CaseStatus.IN_REVIEW, CaseStatus.SUPPLEMENT_REQUESTED, platform),
        (CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.IN_REVIEW, citizen),
        (CaseStatus.IN_REVIEW, CaseStatus.APPROVED, platform),
        (CaseStatus.APPROVED, CaseStatus.COMPLETED, platform),
    ]
    assert all(can_transition(a, b, who) for a, b, who in happy)
    # Only the citizen withdraws, and only while the case is still running.
    withdrawable = {
        a for (a, b), who in CASE_TRANSITIONS.items() if b is CaseStatus.WITHDRAWN and who is citizen
    }
    assert withdrawable == {
        CaseStatus.DRAFT,
        CaseStatus.SUBMITTED,
        CaseStatus.ACCEPTED,
        CaseStatus.IN_REVIEW,
        CaseStatus.SUPPLEMENT_REQUESTED,
    }
    # Final states go nowhere (completed, withdrawn); a decision only to completion.
    for final in (CaseStatus.COMPLETED, CaseStatus.WITHDRAWN):
        assert not any(a is final for a, _b in CASE_TRANSITIONS)
    assert {b for (a, b) in CASE_TRANSITIONS if a in (CaseStatus.APPROVED,)} == {CaseStatus.COMPLETED}
    # The platform cannot act for the citizen and the citizen cannot decide their own case.
    assert not can_transition(CaseStatus.IN_REVIEW, CaseStatus.APPROVED, citizen)
    assert not can_transition(CaseStatus.DRAFT, CaseStatus.SUBMITTED, platform)
    assert not can_transition(CaseStatus.IN_REVIEW, CaseStatus.WITHDRAWN, platform)


def test_transitions__illegal_moves_outnumber_legal_ones_and_are_refused() -> None:
    assert len(LEGAL) == len(CASE_TRANSITIONS) == 17
    assert len(ILLEGAL) == len(ALL_MOVES) - len(LEGAL) - len(OPERATOR_MOVES)
    assert not any(can_transition(a, b, who) for a, b, who in ILLEGAL)
    assert all(can_transition(a, b, who) for a, b, who in OPERATOR_MOVES)
    # The operator never acts for the citizen: no submitting, withdrawing or answering a 补正.
    assert not can_transition(CaseStatus.DRAFT, CaseStatus.SUBMITTED, OPERATOR)
    assert not can_transition(CaseStatus.IN_REVIEW, CaseStatus.WITHDRAWN, OPERATOR)
    assert not can_transition(CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.IN_REVIEW, OPERATOR)


async def _case(status: CaseStatus, user_id: uuid.UUID | None = None) -> Case:
    return await Case.create(
        ref=f"T-{uuid.uuid4().hex[:12]}",
        user_id=user_id or uuid.uuid4(),
        created_by_id=uuid.uuid4(),
        item_code="t-item",
        department_code="t",
        status=status,
    )


@pytest.mark.parametrize("current", list(CaseStatus), ids=lambda v: v.value)
async def test_transition__every_illegal_move_from_a_status_refused_and_nothing_written(db, current) -> None:
    moves = [(target, who) for a, target, who in ILLEGAL if a is current]
    assert moves
    case = await _case(current)
    for target, who in moves:
        with pytest.raises(IllegalTransition) as refused:
            async with in_transaction() as conn:
                await timeline.transition(case, target, by=who, actor_label=who.value, conn=conn)
        assert refused.value.code == "gov.case.illegal_transition", (current, target, who)
        assert refused.value.details == {"from": current.value, "to": target.value}
        assert (await Case.get(id=case.id)).status == current, (current, target, who)
    assert await CaseEvent.filter(case_id=case.id).count() == 0


async def test_transition__stale_read_loses_the_compare_and_set(db) -> None:
    case = await _case(CaseStatus.SUBMITTED, (await make_user()).id)
    stale = await Case.get(id=case.id)
    async with in_transaction() as conn:
        await timeline.transition(
            case, CaseStatus.ACCEPTED, by=TransitionActor.PLATFORM, actor_label="p", conn=conn
        )
    # `stale` still believes the case is submitted; the withdraw must not overwrite "accepted".
    with pytest.raises(IllegalTransition):
        async with in_transaction() as conn:
            await timeline.transition(
                stale, CaseStatus.WITHDRAWN, by=TransitionActor.CITIZEN, actor_label="c", conn=conn
            )
    assert (await Case.get(id=case.id)).status == CaseStatus.ACCEPTED
