"""Care's part of PIPL export and erasure: consents, appointments, home-care orders, assessments, subsidies."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.expressions import Q

from services.care import order_cancel
from services.care.enums import OrderStatus
from services.care.models import (
    CareAppointment,
    CareAssessment,
    CareConsent,
    CareOrder,
    CareOrderEvent,
    SubsidyAccount,
)
from services.common import clock
from services.common.crypto import PiiCipher

__all__ = ["TABLES", "erase_user_data", "export_user_data"]

TABLES = ("care_consent", "care_appointment", "care_order", "care_assessment", "care_subsidy_account")


def _clear(cipher: PiiCipher, value: str | None, context: str) -> str | None:
    return cipher.decrypt(value, context=context) if value else None


async def export_user_data(*, user_id: uuid.UUID, cipher: PiiCipher) -> dict[str, Any]:
    """Everything care holds about the person, in clear."""
    mine = Q(user_id=user_id) | Q(subject_id=user_id)
    return {
        "consents": [
            {
                "version": c.version,
                "granted_at": c.granted_at.isoformat(),
                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
            }
            for c in await CareConsent.filter(user_id=user_id)
        ],
        "appointments": [
            {
                "booking_id": str(a.booking_id),
                "for_me": a.subject_id == user_id,
                "hospital": a.hospital_his_id,
                "department": a.department_his_id,
                "doctor": a.doctor_his_id,
                "status": a.status.value,
                "queue_number": a.queue_number,
                "start": a.slot_start.isoformat(),
            }
            for a in await CareAppointment.filter(mine)
        ],
        "orders": [
            {
                "id": str(o.id),
                "for_me": o.subject_id == user_id,
                "kind": o.kind.value,
                "status": o.status.value,
                "address": _clear(cipher, o.address_enc, "care_order.address"),
                "notes": _clear(cipher, o.notes_enc, "care_order.notes"),
                "price_fen": o.price_fen,
                "subsidy_fen": o.subsidy_fen,
                "rating": o.rating,
                "rating_comment": _clear(cipher, o.rating_comment_enc, "care_order.rating_comment"),
                "created_at": o.created_at.isoformat(),
            }
            for o in await CareOrder.filter(mine)
        ],
        "assessment": [
            {"disabled": a.disabled, "assessed_at": a.assessed_at.isoformat()}
            for a in await CareAssessment.filter(subject_id=user_id)
        ],
        "subsidies": [
            {"month": s.month, "budget_fen": s.budget_fen, "spent_fen": s.spent_fen}
            for s in await SubsidyAccount.filter(subject_id=user_id)
        ],
    }


async def erase_user_data(*, user_id: uuid.UUID, conn: Any) -> None:
    """Inside the deletion's transaction: wipe what care holds about the person.

    Medical appointments of the person go whole (the booking engine's erasure cancels them, 退号 at
    the HIS). Home-care orders not yet started are cancelled and the provider told through the outbox:
    nobody calls at the door of an erased account. Orders stay as anonymous figures (kind, status,
    amounts) for the subsidy accounts of the platform; their address, notes and rating text go. An
    order the person placed for a parent is the parent's, and stays as it is.
    """
    await CareConsent.filter(user_id=user_id).using_db(conn).delete()
    await CareAppointment.filter(subject_id=user_id).using_db(conn).delete()
    await CareAssessment.filter(subject_id=user_id).using_db(conn).delete()
    await SubsidyAccount.filter(subject_id=user_id).using_db(conn).delete()
    live = await CareOrder.filter(subject_id=user_id, status__in=list(order_cancel.CANCELLABLE)).using_db(
        conn
    )
    for row in live:
        await (
            CareOrder.filter(id=row.id)
            .using_db(conn)
            .update(status=OrderStatus.CANCELLED, updated_at=clock.now())
        )
        await CareOrderEvent.create(order_id=row.id, status="cancelled", note="account erased", using_db=conn)
        await order_cancel.queue_cancellation(conn, row)
    await (
        CareOrder.filter(subject_id=user_id)
        .using_db(conn)
        .update(address_enc=None, address_masked=None, notes_enc=None, rating_comment_enc=None)
    )
