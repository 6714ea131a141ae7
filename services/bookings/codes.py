"""Check-in codes: signed at booking time, shown as a QR code, verified by the resource's staff.

check_in_code_for(*, booking_id, cipher) -> str   'JYB1' + base32(id || HMAC), QR alphanumeric-friendly
check_in(*, actor, code, cipher, booking_id=None) -> BookingView   staff of the resource, around the slot
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import uuid
from typing import Any, Protocol

from tortoise.transactions import in_transaction

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.bookings import enums, ledger
from services.bookings.enums import BookingStatus
from services.bookings.errors import BadCheckInCode, CheckInNotOpen, NotStaff
from services.bookings.models import Booking
from services.bookings.resources import is_staff
from services.bookings.rules import BookingRules
from services.bookings.views import BookingView
from services.common import audit, clock
from services.common.ids import parse_id

__all__ = ["check_in", "check_in_code_for", "parse_code", "verify_code"]

_CODE_PREFIX = "JYB1"
_CODE_MAC_BYTES = 8


class _Signer(Protocol):
    def blind_index(self, value: str, *, purpose: str) -> str: ...


def _code_mac(booking_id: uuid.UUID, cipher: _Signer) -> bytes:
    # The blind-index key is a server-side HMAC key; `purpose` separates this use from lookups.
    digest = cipher.blind_index(str(booking_id), purpose="booking.check_in")
    return bytes.fromhex(digest)[:_CODE_MAC_BYTES]


def check_in_code_for(*, booking_id: uuid.UUID, cipher: _Signer) -> str:
    """The signed check-in code of a booking: 'JYB1' + base32(id || HMAC), QR alphanumeric-friendly."""
    raw = booking_id.bytes + _code_mac(booking_id, cipher)
    return _CODE_PREFIX + base64.b32encode(raw).decode().rstrip("=")


def parse_code(code: str) -> uuid.UUID:
    """The booking id a code names, or BadCheckInCode for anything that is not one of our codes."""
    text = (code or "").strip().upper()
    if not text.startswith(_CODE_PREFIX) or len(text) > 64:
        raise BadCheckInCode()
    body = text[len(_CODE_PREFIX) :]
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError) as error:
        raise BadCheckInCode() from error
    if len(raw) != 16 + _CODE_MAC_BYTES:
        raise BadCheckInCode()
    return uuid.UUID(bytes=raw[:16])


def verify_code(code: str, cipher: _Signer | None) -> uuid.UUID:
    """The booking id of a code whose signature checks (the signature is skipped without a cipher)."""
    booking_id = parse_code(code)
    if cipher is not None:
        expected = check_in_code_for(booking_id=booking_id, cipher=cipher)
        if not hmac.compare_digest(expected, code.strip().upper()):
            raise BadCheckInCode()
    return booking_id


async def check_in(
    *,
    actor: Principal,
    code: str,
    cipher: Any = None,
    booking_id: uuid.UUID | str | None = None,
) -> BookingView:
    """Staff of the resource check a person in by the code shown on their phone (QR)."""
    if set(actor.roles) <= {Role.RESIDENT}:
        # A resident with no other role is nobody's staff: refused before the code is read (403, not 422).
        raise NotStaff()
    coded_id = verify_code(code, cipher)
    if booking_id is not None and parse_id(booking_id) != coded_id:
        raise BadCheckInCode()
    row = await Booking.get_or_none(id=coded_id).select_related("slot", "resource")
    if row is None or not hmac.compare_digest(row.check_in_code, code.strip().upper()):
        raise BadCheckInCode()
    if not is_staff(actor, row.resource):
        raise NotStaff()
    rules = BookingRules.from_value(row.resource.rules)
    now = clock.now()
    opens = row.slot_start - dt.timedelta(minutes=rules.check_in_opens_minutes)
    enums.check_in(row.status)
    if not opens <= now <= row.slot_end:
        raise CheckInNotOpen(details={"opens": opens.isoformat(), "closes": row.slot_end.isoformat()})
    async with in_transaction() as conn:
        await ledger.move(conn, row, BookingStatus.CHECKED_IN, checked_in_at=now)
        await audit.record(
            "booking.checked_in",
            actor_id=actor.user_id,
            subject_id=row.subject_id,
            target_type="booking",
            target_id=row.id,
            using_db=conn,
        )
    return await ledger.view(row.id)
