"""Enumerated states of the tourism domain."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CrowdLevel", "TicketStatus"]


class CrowdLevel(StrEnum):
    """How full a scenic area is, against its instantaneous capacity (景区最大承载量)."""

    GREEN = "green"  # below 80%
    YELLOW = "yellow"  # 80% and more
    ORANGE = "orange"  # 90% and more
    RED = "red"  # 100% and more: entry for the current slot stops

    @classmethod
    def for_occupancy(cls, occupancy: int, capacity: int) -> CrowdLevel:
        """The level for `occupancy` people inside an area that holds `capacity` at once."""
        if capacity <= 0:
            return cls.RED
        # Integer arithmetic: 80% of 1000 is exactly 800, with no float rounding at the edges.
        if occupancy * 100 >= capacity * 100:
            return cls.RED
        if occupancy * 100 >= capacity * 90:
            return cls.ORANGE
        if occupancy * 100 >= capacity * 80:
            return cls.YELLOW
        return cls.GREEN


class TicketStatus(StrEnum):
    """A timed-entry ticket on its way to the scenic area's ticketing system."""

    PENDING = "pending"  # written with the outbox message, not yet accepted by the ticketing system
    ISSUED = "issued"  # the ticketing system returned its ticket id
    FAILED = "failed"  # the ticketing system refused it for good
    VOIDED = "voided"  # the booking was cancelled: the ticket no longer opens the gate

    def can_become(self, target: TicketStatus) -> bool:
        return target in _TICKET_MOVES.get(self, ())


_TICKET_MOVES: dict[TicketStatus, tuple[TicketStatus, ...]] = {
    TicketStatus.PENDING: (TicketStatus.ISSUED, TicketStatus.FAILED, TicketStatus.VOIDED),
    TicketStatus.ISSUED: (TicketStatus.VOIDED,),
}
