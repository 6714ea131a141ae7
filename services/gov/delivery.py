"""The platform: delivery of cases, 补正 answers and withdrawals (outbox handlers) and its callbacks."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.accounts import service as accounts
from services.accounts.enums import Role
from services.common import clock
from services.common.crypto import PiiCipher
from services.common.i18n import message as label
from services.common.ids import parse_id
from services.gov.enums import (
    CaseEventKind,
    CaseStatus,
    DeliveryState,
    TransitionActor,
)
from services.gov.errors import (
    BadCallback,
    CaseNotFound,
    IllegalTransition,
)
from services.gov.models import (
    CallbackReceipt,
    Case,
    CaseEvent,
    CaseMaterial,
    ServiceItem,
)
from services.gov.ports import Applicant, CaseSubmission, GovPlatform, SubmissionMaterial
from services.gov.timeline import record_event, transition
from services.notifications import service as notifications

log = logging.getLogger(__name__)

__all__ = [
    "CallbackResult",
    "DeliveryNotReady",
    "apply_platform_callback",
    "deliver_decision",
    "deliver_submission",
    "deliver_supplement",
    "deliver_withdrawal",
]


class DeliveryNotReady(Exception):
    """The message depends on one not delivered yet; the outbox retries it later."""


def _submission_material(m: CaseMaterial) -> SubmissionMaterial:
    return SubmissionMaterial(code=m.material_code, content_type=m.content_type, size=m.size, sha256=m.sha256)


async def deliver_submission(*, event_id: str, case_id: str, platform: GovPlatform, cipher: PiiCipher) -> str:
    """Hand a submitted case to the platform; returns "delivered" or "skipped" (withdrawn unsent)."""
    case = await Case.get_or_none(id=parse_id(case_id))
    if case is None or case.delivery == DeliveryState.DELIVERED:
        return "skipped"
    if case.status == CaseStatus.WITHDRAWN:
        # Withdrawn before the platform ever saw it: nothing to tell anyone.
        await Case.filter(id=case.id, delivery=DeliveryState.PENDING).update(delivery=DeliveryState.NOT_SENT)
        return "skipped"
    form_fields = (
        sorted(json.loads(cipher.decrypt(case.form_enc, context="gov_case.form"))) if case.form_enc else []
    )
    materials = await CaseMaterial.filter(case_id=case.id).order_by("created_at")
    # Decrypted only now, for this call: personal data never sits in the outbox payload.
    identity = await accounts.verified_identity(user_id=case.user_id, cipher=cipher)
    receipt = await platform.submit_case(
        CaseSubmission(
            event_id=event_id,
            case_id=str(case.id),
            case_ref=case.ref,
            item_code=case.item_code,
            department_code=case.department_code,
            applicant_id=str(case.user_id),
            submitted_at=(case.submitted_at or case.created_at).isoformat(),
            materials=[_submission_material(m) for m in materials],
            form_fields=form_fields,
            applicant=Applicant(name=identity.name, id_number=identity.id_number, phone=identity.phone)
            if identity
            else None,
        )
    )
    async with in_transaction() as conn:
        updated = await (
            Case.filter(id=case.id)
            .exclude(delivery=DeliveryState.DELIVERED)
            .using_db(conn)
            .update(delivery=DeliveryState.DELIVERED, platform_ref=receipt.platform_ref)
        )
        if updated:
            await record_event(
                case,
                kind=CaseEventKind.DELIVERED,
                actor="system",
                conn=conn,
                data={"platform_ref": receipt.platform_ref},
            )
    return "delivered"


async def _delivered_case(case_id: str) -> Case | None:
    case = await Case.get_or_none(id=parse_id(case_id))
    if case is None or case.delivery == DeliveryState.NOT_SENT:
        return None
    if case.delivery == DeliveryState.PENDING or not case.platform_ref:
        raise DeliveryNotReady(f"case {case.id} not yet delivered")
    return case


async def deliver_supplement(*, event_id: str, payload: dict[str, Any], platform: GovPlatform) -> None:
    """Deliver a 补正 answer (after the case itself reached the platform)."""
    case = await _delivered_case(str(payload.get("case_id")))
    if case is None:
        return
    ids = [parsed for parsed in (parse_id(i) for i in payload.get("material_ids") or []) if parsed]
    materials = await CaseMaterial.filter(case_id=case.id, id__in=ids)
    await platform.send_supplement(
        event_id=event_id,
        platform_ref=case.platform_ref or "",
        note=str(payload.get("note") or ""),
        materials=[_submission_material(m) for m in materials],
    )


async def deliver_withdrawal(*, event_id: str, payload: dict[str, Any], platform: GovPlatform) -> None:
    """Tell the platform about a withdrawal, once it has the case (skipped when it never will)."""
    case = await _delivered_case(str(payload.get("case_id")))
    if case is None:
        return
    await platform.withdraw_case(
        event_id=event_id, platform_ref=case.platform_ref or "", reason=str(payload.get("reason") or "")
    )


async def deliver_decision(*, event_id: str, payload: dict[str, Any], platform: GovPlatform) -> None:
    """Tell the platform what an operator decided in the console, once it has the case."""
    case = await _delivered_case(str(payload.get("case_id")))
    if case is None:
        return
    await platform.record_decision(
        event_id=event_id,
        platform_ref=case.platform_ref or "",
        action=str(payload.get("action") or ""),
        status=str(payload.get("status") or ""),
        message=str(payload.get("message") or ""),
        materials=[str(m) for m in payload.get("materials") or []],
    )


@dataclass(frozen=True, slots=True)
class CallbackResult:
    outcome: str  # applied | unchanged | duplicate
    case_id: uuid.UUID | None
    status: CaseStatus | None


_PLATFORM_TARGETS = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.IN_REVIEW,
        CaseStatus.SUPPLEMENT_REQUESTED,
        CaseStatus.APPROVED,
        CaseStatus.REJECTED,
        CaseStatus.COMPLETED,
    }
)


# A case the citizen never submitted, or withdrew, is not overruled by a reconciling callback.
_NOT_RECONCILABLE = frozenset({CaseStatus.DRAFT, CaseStatus.WITHDRAWN})


async def _refused_last(case_id: uuid.UUID, *, conn: BaseDBAsyncClient) -> bool:
    """Whether our last word on the case's status was a refused callback (so the next one reconciles)."""
    last = (
        await CaseEvent.filter(
            case_id=case_id, kind__in=[CaseEventKind.STATUS, CaseEventKind.CALLBACK_REFUSED]
        )
        .using_db(conn)
        .order_by("-created_at", "-id")
        .first()
    )
    return last is not None and last.kind == CaseEventKind.CALLBACK_REFUSED


def _accepted_fields(item: ServiceItem, now: dt.datetime) -> dict[str, Any]:
    return {
        "accepted_at": now,
        "due_date": clock.add_working_days(clock.local_date(now), item.promised_limit_days),
    }


async def _record_refusal(*, case_id: uuid.UUID | None, event_id: str, target: CaseStatus) -> None:
    """Put a refused callback on the case's timeline (once per event) and alert the department's operators."""
    async with in_transaction() as conn:
        case = await Case.filter(id=case_id).using_db(conn).first() if case_id else None
        if case is None:
            return
        refusals = await CaseEvent.filter(case_id=case.id, kind=CaseEventKind.CALLBACK_REFUSED).using_db(conn)
        if any(e.data.get("event_id") == event_id for e in refusals):
            return  # the platform retried the same event: recorded and alerted already
        await record_event(
            case,
            kind=CaseEventKind.CALLBACK_REFUSED,
            actor="platform",
            conn=conn,
            status_from=CaseStatus(case.status),
            status_to=target,
            data={"event_id": event_id},
        )
        for operator in await accounts.role_holders(role=Role.DEPT_OPERATOR, scope=case.department_code):
            await notifications.notify(
                user_id=operator,
                kind="notify.gov.callback_refused",
                params={
                    "case_ref": case.ref,
                    "ours": label(f"gov.case.status.{case.status.value}"),
                    "theirs": label(f"gov.case.status.{target.value}"),
                },
                case_ref=case.ref,
                using_db=conn,
            )
    log.error(
        "gov platform callback refused",
        extra={"case_id": str(case.id), "event_id": event_id, "from": case.status.value, "to": target.value},
    )


async def apply_platform_callback(*, system: str, event: dict[str, Any]) -> CallbackResult:
    """Apply one (already signature-checked) status event; the same event id twice changes nothing.

    A status our state machine cannot take (e.g. "approved" while we never heard "accepted") is
    refused (409), recorded on the case and sent to the department's operators; the platform's
    next callback for the case is then applied as it stands (reconciled), filling in what we missed.
    """
    event_id = str(event.get("event_id") or "")[:64]
    if not event_id:
        raise BadCallback(field="event_id")
    try:
        target = CaseStatus(str(event.get("status")))
    except ValueError as error:
        raise BadCallback(field="status") from error
    if target not in _PLATFORM_TARGETS:
        raise BadCallback(field="status")
    if await CallbackReceipt.exists(system=system, event_id=event_id):
        return CallbackResult(outcome="duplicate", case_id=None, status=None)
    parsed = parse_id(str(event.get("case_id") or ""))
    message = str(event.get("message") or "")[:2000]
    try:
        async with in_transaction() as conn:
            case = await Case.filter(id=parsed).using_db(conn).first() if parsed else None
            if case is None:
                raise CaseNotFound()
            # The receipt first: a concurrent copy of this event blocks on the unique key, then fails.
            await CallbackReceipt.create(system=system, event_id=event_id, case_id=case.id, using_db=conn)
            if case.platform_ref is None and event.get("platform_ref"):
                await (
                    Case.filter(id=case.id)
                    .using_db(conn)
                    .update(platform_ref=str(event["platform_ref"])[:64])
                )
            if CaseStatus(case.status) == target:
                return CallbackResult(outcome="unchanged", case_id=case.id, status=target)
            reconcile = CaseStatus(case.status) not in _NOT_RECONCILABLE and await _refused_last(
                case.id, conn=conn
            )
            updates: dict[str, Any] = {"note": message}
            now = clock.now()
            item = await ServiceItem.get(code=case.item_code).using_db(conn)
            if target == CaseStatus.ACCEPTED or (reconcile and case.accepted_at is None):
                updates |= _accepted_fields(item, now)
            if target == CaseStatus.SUPPLEMENT_REQUESTED:
                updates["supplement"] = {
                    "message": message,
                    "materials": [str(m)[:48] for m in event.get("materials") or []][:20],
                    "requested_on": clock.local_date(now).isoformat(),
                }
            elif target in (CaseStatus.APPROVED, CaseStatus.REJECTED):
                updates["decided_at"] = now
            elif target == CaseStatus.COMPLETED:
                updates["completed_at"] = now
            await transition(
                case,
                target,
                by=TransitionActor.PLATFORM,
                actor_label="platform",
                conn=conn,
                remark=message,
                data={"event_id": event_id, **({"reconciled": True} if reconcile else {})},
                reconcile=reconcile,
                **updates,
            )
    except IntegrityError:
        return CallbackResult(outcome="duplicate", case_id=None, status=None)
    except IllegalTransition:
        await _record_refusal(case_id=parsed, event_id=event_id, target=target)
        raise
    return CallbackResult(outcome="applied", case_id=case.id, status=target)
