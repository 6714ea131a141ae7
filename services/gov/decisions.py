"""A department operator's decisions on a case, made in the staff console.

Accept, ask for 补正 (naming the missing materials), approve or reject with a reason, and reply to
the applicant. Each is a move the state machine draws for the department (TransitionActor.OPERATOR
makes the platform's moves), written with its timeline entry, the applicant's notification, an
audit entry and an outbox message to the government-service platform, all in one transaction:
the platform stays the record of what the department did (services.gov.delivery.deliver_decision).

Scope: only operators of the case's department see or act on it; any other case is the same 404.
No personal data leaves here: the operator sees references, states, material metadata and the
names (not the answers) of the form's fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import audit, clock, outbox
from services.common.crypto import PiiCipher
from services.common.ids import parse_id
from services.gov.catalogue import DEFAULT_LOCALE, item_name, item_or_404
from services.gov.enums import CaseEventKind, CaseStatus, TransitionActor
from services.gov.errors import CaseNotFound, DecisionReasonRequired, IllegalTransition
from services.gov.models import Case
from services.gov.timeline import case_view, record_event, transition
from services.gov.views import CaseView
from services.notifications import service as notifications

__all__ = [
    "OPERATOR_LABEL",
    "TOPIC_DECISION",
    "accept_case",
    "decide_case",
    "operator_case_view",
    "reply_to_applicant",
    "request_supplement",
]

TOPIC_DECISION = "gov.case_decision"
OPERATOR_LABEL = "operator"
MAX_SUPPLEMENT_MATERIALS = 20


async def _operator_case(actor: Principal, case_id: str, *, conn: BaseDBAsyncClient | None = None) -> Case:
    """The case if it belongs to one of the actor's departments; anything else is the same 404."""
    parsed = parse_id(case_id)
    case = await Case.filter(id=parsed).using_db(conn).first() if parsed else None
    if case is None or not actor.has_role(Role.DEPT_OPERATOR, case.department_code):
        raise CaseNotFound()
    return case


async def operator_case_view(*, actor: Principal, case_id: str, locale: str, cipher: PiiCipher) -> CaseView:
    """A case of the operator's department with its materials (metadata) and timeline."""
    case = await _operator_case(actor, case_id)
    view = await case_view(case, actor=actor, locale=locale, cipher=cipher)
    view.for_member = None  # the applicant's account is not the operator's business
    return view


async def _record(
    case: Case,
    *,
    actor: Principal,
    action: str,
    status_from: CaseStatus,
    message: str,
    materials: Sequence[str] = (),
    conn: BaseDBAsyncClient,
) -> None:
    """Audit the decision and queue it for the platform, inside the decision's transaction."""
    await audit.record(
        f"gov.case.{action}",
        actor_id=actor.user_id,
        subject_id=case.user_id,
        target_type="gov_case",
        target_id=case.id,
        # Codes and states only: the message may name the applicant, it is kept on the case.
        details={
            "ref": case.ref,
            "department": case.department_code,
            "from": status_from.value,
            "to": CaseStatus(case.status).value,
            **({"materials": list(materials)} if materials else {}),
        },
        using_db=conn,
    )
    await outbox.enqueue(
        topic=TOPIC_DECISION,
        payload={
            "case_id": str(case.id),
            "action": action,
            "status": CaseStatus(case.status).value,
            "message": message[:2000],
            "materials": list(materials),
            "operator_id": str(actor.user_id),
            "decided_at": clock.now().isoformat(),
        },
        aggregate_type="gov_case",
        aggregate_id=str(case.id),
        using_db=conn,
    )


async def _move(
    case: Case, target: CaseStatus, *, conn: BaseDBAsyncClient, message: str, **updates: Any
) -> None:
    await transition(
        case,
        target,
        by=TransitionActor.OPERATOR,
        actor_label=OPERATOR_LABEL,
        conn=conn,
        remark=message,
        note=message,
        **updates,
    )


async def accept_case(
    *, actor: Principal, case_id: str, note: str, locale: str, cipher: PiiCipher
) -> CaseView:
    """受理: a submitted case is accepted; its promised time limit starts today."""
    async with in_transaction() as conn:
        case = await _operator_case(actor, case_id, conn=conn)
        before = CaseStatus(case.status)
        item = await item_or_404(case.item_code)
        now = clock.now()
        await _move(
            case,
            CaseStatus.ACCEPTED,
            conn=conn,
            message=note,
            accepted_at=now,
            due_date=clock.add_working_days(clock.local_date(now), item.promised_limit_days),
        )
        await _record(case, actor=actor, action="accept", status_from=before, message=note, conn=conn)
    return await operator_case_view(actor=actor, case_id=case_id, locale=locale, cipher=cipher)


async def request_supplement(
    *, actor: Principal, case_id: str, materials: Sequence[str], message: str, locale: str, cipher: PiiCipher
) -> CaseView:
    """补正: ask the applicant for the named materials; the deadline clock stops until they answer."""
    codes = list(dict.fromkeys(str(m).strip()[:48] for m in materials if str(m).strip()))
    if not codes or not message.strip():
        raise DecisionReasonRequired(details={"materials": codes, "message": bool(message.strip())})
    if len(codes) > MAX_SUPPLEMENT_MATERIALS:
        raise DecisionReasonRequired(details={"max_materials": MAX_SUPPLEMENT_MATERIALS})
    async with in_transaction() as conn:
        case = await _operator_case(actor, case_id, conn=conn)
        before = CaseStatus(case.status)
        await _move(
            case,
            CaseStatus.SUPPLEMENT_REQUESTED,
            conn=conn,
            message=message,
            # The same shape as the platform's 补正 callback: the applicant's screens read it.
            supplement={
                "message": message[:2000],
                "materials": codes,
                "requested_on": clock.local_date().isoformat(),
            },
        )
        await _record(
            case,
            actor=actor,
            action="request_supplement",
            status_from=before,
            message=message,
            materials=codes,
            conn=conn,
        )
    return await operator_case_view(actor=actor, case_id=case_id, locale=locale, cipher=cipher)


async def decide_case(
    *, actor: Principal, case_id: str, outcome: CaseStatus, reason: str, locale: str, cipher: PiiCipher
) -> CaseView:
    """Approve or reject (with the reason the applicant reads); an accepted case goes through review first.

    A submitted case can only be refused outright (不予受理); approval needs it accepted.
    """
    if outcome not in (CaseStatus.APPROVED, CaseStatus.REJECTED):
        raise IllegalTransition(status_from="-", status_to=str(outcome), details={"to": str(outcome)})
    if outcome is CaseStatus.REJECTED and len(reason.strip()) < 2:
        raise DecisionReasonRequired(details={"reason": "required"})
    async with in_transaction() as conn:
        case = await _operator_case(actor, case_id, conn=conn)
        before = CaseStatus(case.status)
        if before is CaseStatus.ACCEPTED:
            # Accepted -> in review -> decided: each step on the timeline, as the platform would report it.
            await _move(case, CaseStatus.IN_REVIEW, conn=conn, message="")
        await _move(case, outcome, conn=conn, message=reason, decided_at=clock.now())
        action = "approve" if outcome is CaseStatus.APPROVED else "reject"
        await _record(case, actor=actor, action=action, status_from=before, message=reason, conn=conn)
    return await operator_case_view(actor=actor, case_id=case_id, locale=locale, cipher=cipher)


async def reply_to_applicant(
    *, actor: Principal, case_id: str, message: str, locale: str, cipher: PiiCipher
) -> CaseView:
    """Answer the applicant on a running or decided case (答复): no status change, on the timeline."""
    text = message.strip()
    if len(text) < 2:
        raise DecisionReasonRequired(details={"message": "required"})
    async with in_transaction() as conn:
        case = await _operator_case(actor, case_id, conn=conn)
        status = CaseStatus(case.status)
        if status in (CaseStatus.DRAFT, CaseStatus.WITHDRAWN):
            raise IllegalTransition(
                status_from=status.value, status_to=status.value, details={"from": status.value}
            )
        await record_event(
            case, kind=CaseEventKind.REPLY, actor=OPERATOR_LABEL, conn=conn, note=text, data={}
        )
        await Case.filter(id=case.id).using_db(conn).update(note=text[:2000], updated_at=clock.now())
        await notifications.notify(
            user_id=case.user_id,
            kind="notify.case.reply",
            params={
                "case_ref": case.ref,
                "item": await item_name(case.item_code, DEFAULT_LOCALE),
                "message": text[:200],
            },
            link=f"/pages/gov/case?id={case.id}",
            case_ref=case.ref,
            using_db=conn,
        )
        await _record(case, actor=actor, action="reply", status_from=status, message=text, conn=conn)
    return await operator_case_view(actor=actor, case_id=case_id, locale=locale, cipher=cipher)
