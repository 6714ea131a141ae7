"""The bureau's review: delivering applications and 补充材料 answers, applying its callbacks.

Delivery runs in outbox handlers (at least once; the bureau deduplicates on our event id). The
bureau answers by HMAC-signed callbacks (verified, with nonce replay protection, by the shared
callback route); each callback event id is applied once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.accounts import service as accounts
from services.common import clock
from services.common.crypto import PiiCipher
from services.common.ids import parse_id
from services.education.enums import ApplicationStatus, DeliveryState
from services.education.errors import ApplicationNotFound, BadCallback
from services.education.models import Application, ApplicationMaterial, BureauCallbackReceipt
from services.education.ports import ApplicationSubmission, BureauMaterial, ChildIdentity, EducationBureau
from services.education.transitions import transition
from services.education.views import ADDRESS_CTX, CHILD_ID_CTX, CHILD_NAME_CTX, PERMIT_CTX

__all__ = [
    "BureauCallbackResult",
    "apply_bureau_callback",
    "deliver_submission",
    "deliver_supplement",
    "deliver_withdrawal",
]


def _material(m: ApplicationMaterial) -> BureauMaterial:
    return BureauMaterial(code=m.material_code, content_type=m.content_type, size=m.size, sha256=m.sha256)


async def deliver_submission(
    *, event_id: str, application_id: str, bureau: EducationBureau, cipher: PiiCipher
) -> str | None:
    """Hand one submitted application to the bureau; returns its reference (None when withdrawn)."""
    app = await Application.get_or_none(id=parse_id(application_id) or uuid.UUID(int=0))
    if app is None or ApplicationStatus(app.status) == ApplicationStatus.WITHDRAWN:
        return None
    if DeliveryState(app.delivery) == DeliveryState.DELIVERED and app.bureau_ref:
        return app.bureau_ref
    await app.fetch_related("round", "school")
    guardian = await accounts.verified_identity(user_id=app.applicant_id, cipher=cipher)
    if guardian is None:
        # The guardian's identity is gone (account deleted): nothing the bureau could review.
        raise RuntimeError("the applicant's verified identity is no longer available")
    identity = ChildIdentity(
        child_name=cipher.decrypt(app.child_name_enc or "", context=CHILD_NAME_CTX),
        child_id_number=cipher.decrypt(app.child_id_number_enc or "", context=CHILD_ID_CTX),
        guardian_name=guardian.name,
        guardian_id_number=guardian.id_number,
        address=cipher.decrypt(app.address_enc or "", context=ADDRESS_CTX),
        residence_permit_number=(
            cipher.decrypt(app.residence_permit_enc, context=PERMIT_CTX) if app.residence_permit_enc else None
        ),
    )
    materials = await ApplicationMaterial.filter(application_id=app.id).order_by("created_at")
    receipt = await bureau.submit_application(
        ApplicationSubmission(
            event_id=event_id,
            application_id=str(app.id),
            ref=app.ref,
            round_code=app.round.code,
            school_code=app.school.code,
            category=str(app.category),
            relation=str(app.relation),
            social_insurance_months=app.social_insurance_months,
            submitted_at=clock.to_local(app.submitted_at or clock.now()).isoformat(),
            materials=[_material(m) for m in materials],
            identity=identity,
        )
    )
    await Application.filter(id=app.id).update(
        bureau_ref=receipt.bureau_ref[:64], delivery=DeliveryState.DELIVERED
    )
    return receipt.bureau_ref


async def _delivered(application_id: Any) -> Application:
    app = await Application.get_or_none(id=parse_id(str(application_id)) or uuid.UUID(int=0))
    if app is None:
        raise ApplicationNotFound()
    if not app.bureau_ref:
        # The submission itself has not reached the bureau yet: try again after it has.
        raise RuntimeError("application not yet delivered to the bureau")
    return app


async def deliver_supplement(*, event_id: str, payload: dict[str, Any], bureau: EducationBureau) -> None:
    """Send the family's 补充材料 answer."""
    app = await _delivered(payload.get("application_id"))
    ids = [parse_id(i) for i in payload.get("material_ids") or []]
    materials = await ApplicationMaterial.filter(application_id=app.id, id__in=[i for i in ids if i])
    await bureau.send_supplement(
        event_id=event_id,
        bureau_ref=app.bureau_ref or "",
        note=str(payload.get("note") or ""),
        materials=[_material(m) for m in materials],
    )


async def deliver_withdrawal(*, event_id: str, payload: dict[str, Any], bureau: EducationBureau) -> None:
    """Tell the bureau the family withdrew."""
    app = await _delivered(payload.get("application_id"))
    await bureau.withdraw_application(event_id=event_id, bureau_ref=app.bureau_ref or "")


@dataclass(frozen=True, slots=True)
class BureauCallbackResult:
    """What the callback route acknowledges: applied | unchanged | duplicate."""

    outcome: str
    case_id: uuid.UUID | None
    status: str | None


_TARGETS = {
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.SUPPLEMENT_REQUESTED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.REJECTED,
}


async def apply_bureau_callback(*, system: str, event: dict[str, Any]) -> BureauCallbackResult:
    """Apply one (already signature-checked) review decision; the same event id twice changes nothing."""
    event_id = str(event.get("event_id") or "")[:64]
    if not event_id:
        raise BadCallback(field="event_id")
    try:
        target = ApplicationStatus(str(event.get("status")))
    except ValueError as error:
        raise BadCallback(field="status") from error
    if target not in _TARGETS:
        raise BadCallback(field="status")
    reason = str(event.get("reason") or "")[:1000]
    if target == ApplicationStatus.REJECTED and not reason:
        raise BadCallback(field="reason")
    materials = [str(m)[:48] for m in event.get("materials") or []][:10]
    if target == ApplicationStatus.SUPPLEMENT_REQUESTED and not materials:
        raise BadCallback(field="materials")
    if await BureauCallbackReceipt.exists(event_id=event_id):
        return BureauCallbackResult(outcome="duplicate", case_id=None, status=None)
    parsed = parse_id(str(event.get("application_id") or ""))
    try:
        async with in_transaction() as conn:
            app = await Application.filter(id=parsed).using_db(conn).first() if parsed else None
            if app is None:
                raise ApplicationNotFound()
            # The receipt first: a concurrent copy of this event blocks on the unique key, then fails.
            await BureauCallbackReceipt.create(event_id=event_id, application_id=app.id, using_db=conn)
            if ApplicationStatus(app.status) == target:
                return BureauCallbackResult(outcome="unchanged", case_id=app.id, status=target.value)
            updates: dict[str, Any] = {"reason": reason}
            now = clock.now()
            if target == ApplicationStatus.SUPPLEMENT_REQUESTED:
                updates["supplement"] = {
                    "message": reason,
                    "materials": materials,
                    "requested_at": clock.to_local(now).isoformat(),
                }
            elif target in (ApplicationStatus.APPROVED, ApplicationStatus.REJECTED):
                updates["decided_at"] = now
                updates["supplement"] = None
            await transition(app, target, actor_label="bureau", conn=conn, note=reason, **updates)
    except IntegrityError:
        return BureauCallbackResult(outcome="duplicate", case_id=None, status=None)
    return BureauCallbackResult(outcome="applied", case_id=app.id, status=target.value)
