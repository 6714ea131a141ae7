"""What the tourism domain needs from outside: the scenic areas' ticketing and gate system."""

from __future__ import annotations

from typing import Protocol

from integrations.ticketing.types import GateOccupancy, IssuedTicket, TicketRequest, TicketVisitor

__all__ = ["GateOccupancy", "IssuedTicket", "TicketRequest", "TicketVisitor", "TicketingSystem"]


class TicketingSystem(Protocol):
    """Gates that count people in and out, and the real-name ticket office behind them."""

    async def occupancy(self, area_codes: list[str]) -> list[GateOccupancy]:
        """People inside each area now. Raises IntegrationUnavailable when the gates cannot be read."""
        ...

    async def issue_ticket(self, request: TicketRequest) -> IssuedTicket:
        """Issue a ticket; the same `event_id` twice returns the same ticket."""
        ...

    async def void_ticket(self, ticket_id: str) -> None:
        """Void an issued ticket; voiding twice is harmless."""
        ...
