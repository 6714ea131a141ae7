"""紧急呼叫: one tap raises an urgent order, dispatched at once, with the whole family told.

The call is stored first (with its outbox row), so a platform outage never loses it: the immediate
dispatch attempt after commit and the outbox's retries carry the same event id, which the platform
deduplicates. When the first attempt fails the family is told that help is delayed and being
retried; every later step (accepted, assigned, en route, ...) reaches them as it happens.
"""

from __future__ import annotations

import logging

from integrations.errors import IntegrationError
from services.accounts.principal import Principal
from services.care.eldercare import deliver_order, order_view, place_order
from services.care.enums import CareServiceKind
from services.care.errors import AddressRequired
from services.care.models import CareOrder
from services.care.ports import EldercarePlatform
from services.care.views import OrderView
from services.common.crypto import PiiCipher

__all__ = ["raise_emergency"]

log = logging.getLogger(__name__)

_ADDRESS_CTX = "care_order.address"


async def raise_emergency(
    *,
    actor: Principal,
    community_code: str | None,
    address: str | None,
    note: str | None,
    platform: EldercarePlatform,
    cipher: PiiCipher,
) -> OrderView:
    """Raise an emergency call for the actor (or whom they act for) and dispatch it now."""
    last = await CareOrder.filter(subject_id=actor.subject_id).order_by("-created_at").first()
    if not address and last is not None and last.address_enc:
        address = cipher.decrypt(last.address_enc, context=_ADDRESS_CTX)
    community = community_code or (last.community_code if last else None)
    if not address or not community:
        raise AddressRequired()
    row, event_id = await place_order(
        actor=actor,
        kind=CareServiceKind.EMERGENCY,
        community_code=community,
        address=address,
        price_fen=0,
        provider_code=None,
        provider_name=None,
        window_start=None,
        window_end=None,
        notes=note,
        urgent=True,
        cipher=cipher,
    )
    try:
        await deliver_order(order_id=str(row.id), event_id=event_id, platform=platform, cipher=cipher)
    except IntegrationError:
        # Kept and retried by the outbox (same event id); the family was told it is delayed.
        log.warning("emergency dispatch delayed", extra={"order_id": str(row.id)})
    await row.refresh_from_db()
    return await order_view(row)
