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
    name: str
    id_number: str


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
