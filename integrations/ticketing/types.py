"""Values the ticketing/gate adapter returns; no httpx type leaves the adapter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["GateOccupancy", "IssuedTicket", "TicketRequest", "TicketVisitor"]


@dataclass(frozen=True, slots=True)
class GateOccupancy:
    """People inside an area now: entries minus exits counted at its gates today."""

    area_code: str
    occupancy: int
    entries: int
    exits: int
    measured_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TicketVisitor:
    """A real-name visitor: the gate checks the document of `id_type` (resident_id, passport, ...)."""

    name: str
    id_number: str
    id_type: str = "resident_id"


@dataclass(frozen=True, slots=True)
class TicketRequest:
    """A real-name timed-entry ticket; `event_id` lets the ticketing system deduplicate retries."""

    event_id: str
    booking_id: str
    area_code: str
    entry_start: dt.datetime
    entry_end: dt.datetime
    visitors: tuple[TicketVisitor, ...]
    # The signed code on the visitor's QR; the gate accepts it besides the ID cards.
    check_in_code: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedTicket:
    ticket_id: str
    booking_id: str
