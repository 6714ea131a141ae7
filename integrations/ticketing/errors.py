"""Errors of the ticketing/gate system adapter.

IntegrationError (integrations.errors)
 ├── IntegrationUnavailable
 │    └── GateSystemDown        the gate feed could not be read (timeout, 5xx, circuit open)
 ├── IntegrationRejected
 │    └── TicketRejected        the ticketing system refused a ticket (unknown area, bad request)
 └── IntegrationProtocolError   the answer could not be parsed
"""

from __future__ import annotations

from integrations.errors import IntegrationRejected, IntegrationUnavailable

__all__ = ["GateSystemDown", "TicketRejected"]


class GateSystemDown(IntegrationUnavailable):
    """Occupancy could not be read; the caller keeps showing the last known figure."""


class TicketRejected(IntegrationRejected):
    """The ticketing system will not issue this ticket; retrying the same request will not help."""
