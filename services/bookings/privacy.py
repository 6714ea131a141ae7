"""PIPL export and erasure for the booking engine: bookings, waitlist places and real-name visitors.

Erasure cancels the person's live bookings (held, requested, confirmed) through the engine's release
in the deletion's transaction (places offered to the waitlist, owners' after-release hooks told), wipes every visitor's name and ID number (ciphertext, masks, blind
index), and drops their waitlist places. The booking rows stay, anonymous, for the slot's counts.
"""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from services.bookings.enums import BookingStatus, WaitlistStatus
from services.bookings.models import Booking, BookingVisitor, WaitlistEntry
from services.bookings.policy import BookingPolicies
from services.bookings.waitlist import release
from services.common import clock
from services.common.crypto import PiiCipher

__all__ = ["LIVE", "erase_user_data", "export_user_data"]

# States that hold a place and can still be used at the resource.
LIVE = (BookingStatus.HELD, BookingStatus.REQUESTED, BookingStatus.CONFIRMED)
_VISITOR_NAME_CTX = "booking_visitor.name"
_VISITOR_ID_CTX = "booking_visitor.id_number"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _clear(cipher: PiiCipher, value: str | None, context: str) -> str | None:
    if not value:
        return None
    try:
        return cipher.decrypt(value, context=context)
    except Exception:  # noqa: BLE001 - an unreadable old row is exported as unreadable, not a 500
        return None


async def export_user_data(*, user_id: uuid.UUID, cipher: PiiCipher) -> dict[str, Any]:
    """Bookings made by or for the person, with their visitors in clear, and waitlist places."""
    bookings = await Booking.filter(Q(user_id=user_id) | Q(subject_id=user_id)).order_by("created_at", "id")
    visitors = await BookingVisitor.filter(booking_id__in=[b.id for b in bookings]).order_by("created_at")
    by_booking: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for v in visitors:
        by_booking.setdefault(v.booking_id, []).append(
            {
                "name": _clear(cipher, v.name_enc, _VISITOR_NAME_CTX),
                "id_number": _clear(cipher, v.id_number_enc, _VISITOR_ID_CTX),
            }
        )
    waiting = await WaitlistEntry.filter(Q(user_id=user_id) | Q(subject_id=user_id)).order_by("created_at")
    return {
        "bookings": [
            {
                "id": str(b.id),
                "slot_id": str(b.slot_id),
                "resource_id": str(b.resource_id),
                "booked_by_me": b.user_id == user_id,
                "for_me": b.subject_id == user_id,
                "status": BookingStatus(b.status).value,
                "party_size": b.party_size,
                "purpose": b.purpose,
                "slot_start": _iso(b.slot_start),
                "slot_end": _iso(b.slot_end),
                "created_at": _iso(b.created_at),
                "cancelled_at": _iso(b.cancelled_at),
                "checked_in_at": _iso(b.checked_in_at),
                "visitors": by_booking.get(b.id, []),
            }
            for b in bookings
        ],
        "waitlist": [
            {
                "id": str(w.id),
                "slot_id": str(w.slot_id),
                "status": WaitlistStatus(w.status).value,
                "party_size": w.party_size,
                "created_at": _iso(w.created_at),
            }
            for w in waiting
        ],
    }


async def erase_user_data(
    *, user_id: uuid.UUID, conn: BaseDBAsyncClient, cipher: PiiCipher, policies: BookingPolicies
) -> None:
    """Cancel live bookings through the engine (places offered on, owners told: a ticket voided at the
    gate, an appointment cancelled at the hospital), wipe visitors' identities, drop waitlist places."""
    now = clock.now()
    mine = Q(user_id=user_id) | Q(subject_id=user_id)
    live = await Booking.filter(mine, status__in=LIVE).using_db(conn).select_related("slot", "resource")
    for booking in live:
        await release(
            conn, booking, BookingStatus.CANCELLED, cipher=cipher, policies=policies, cancelled_at=now
        )
    booking_ids = await Booking.filter(mine).using_db(conn).values_list("id", flat=True)
    await (
        BookingVisitor.filter(booking_id__in=list(booking_ids))
        .using_db(conn)
        .update(
            name_enc="",
            id_number_enc="",
            id_index=f"erased:{user_id}",
            name_masked="*",
            id_number_masked="*",
            entry_key=None,
        )
    )
    await WaitlistEntry.filter(mine).using_db(conn).delete()
