"""PIPL export and erasure for tourism: the person's timed-entry tickets.

Erasure voids every ticket of the person: a pending one is voided before it is sent (and its sealed
visitor list is wiped from the outbox), an issued one is voided at the ticketing system through the
outbox (topic tourism.ticket_void), so no gate honours the identities of a deleted account.
"""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.common import outbox
from services.common.models import OutboxMessage, OutboxStatus
from services.common.outbox import OutboxEvent
from services.tourism.enums import TicketStatus
from services.tourism.models import TicketIssue

__all__ = ["OUTBOX_HANDLERS", "VOID_TOPIC", "erase_user_data", "export_user_data", "void_ticket"]

VOID_TOPIC = "tourism.ticket_void"
_ISSUE_TOPIC = "tourism.ticket_issue"


async def export_user_data(*, user_id: uuid.UUID) -> dict[str, Any]:
    """The person's tickets (their visitors are exported with the bookings)."""
    tickets = await TicketIssue.filter(user_id=user_id).order_by("created_at")
    return {
        "tickets": [
            {
                "id": str(t.id),
                "booking_id": str(t.booking_id),
                "area_id": str(t.area_id),
                "status": TicketStatus(t.status).value,
                "ticket_id": t.ticket_id,
                "created_at": t.created_at.isoformat(),
                "issued_at": t.issued_at.isoformat() if t.issued_at else None,
            }
            for t in tickets
        ]
    }


async def erase_user_data(*, user_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    """Void the person's tickets here and at the gate; wipe the visitor lists still in the outbox."""
    tickets = await TicketIssue.filter(user_id=user_id).using_db(conn)
    for ticket in tickets:
        status = TicketStatus(ticket.status)
        if status in (TicketStatus.PENDING, TicketStatus.ISSUED):
            await TicketIssue.filter(id=ticket.id).using_db(conn).update(status=TicketStatus.VOIDED)
        if status is TicketStatus.ISSUED and ticket.ticket_id:
            await outbox.enqueue(
                topic=VOID_TOPIC,
                payload={"ticket_id": ticket.ticket_id},
                aggregate_type="tourism_ticket",
                aggregate_id=str(ticket.id),
                using_db=conn,
            )
    ticket_ids = [str(t.id) for t in tickets]
    if ticket_ids:
        # The issue messages carry the sealed visitor list: a message not yet delivered is dropped,
        # and every one loses the identities it carried.
        pending = await OutboxMessage.filter(
            topic=_ISSUE_TOPIC, aggregate_id__in=ticket_ids, status=OutboxStatus.PENDING
        ).using_db(conn)
        for message in pending:
            await (
                OutboxMessage.filter(id=message.id)
                .using_db(conn)
                .update(status=OutboxStatus.DELIVERED, payload={"erased": True})
            )
        others = await OutboxMessage.filter(topic=_ISSUE_TOPIC, aggregate_id__in=ticket_ids).using_db(conn)
        for message in others:
            if "visitors_sealed" in (message.payload or {}):
                await OutboxMessage.filter(id=message.id).using_db(conn).update(payload={"erased": True})


async def void_ticket(event: OutboxEvent, deps: Any) -> None:
    """Outbox delivery: void one issued ticket at the ticketing system (voiding twice is harmless)."""
    await deps.adapters.ticketing.void_ticket(event.payload["ticket_id"])


OUTBOX_HANDLERS = {VOID_TOPIC: void_ticket}
