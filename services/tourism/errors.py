"""What the tourism domain refuses, in a visitor's terms.

DomainError (services.common.errors)
 ├── InvalidInput
 │    ├── BadNear               `near` is not "lat,lng" with valid coordinates        tourism.bad_near
 │    └── BadVisitDate          the date is not YYYY-MM-DD                            tourism.bad_date
 ├── NotFound
 │    ├── ScenicAreaNotFound                                                          tourism.area_not_found
 │    └── TicketNotFound        no ticket for that booking, or not the caller's       tourism.ticket_not_found
 └── Conflict
      ├── AreaFull              the area is at its instantaneous capacity (red);
      │                         entry for the current slot is stopped                 tourism.area_full
      └── EntryNotBookable      the area has no timed entry set up                    tourism.entry_not_bookable
"""

from __future__ import annotations

from services.common.errors import Conflict, InvalidInput, NotFound

__all__ = [
    "AreaFull",
    "BadNear",
    "BadVisitDate",
    "EntryNotBookable",
    "ScenicAreaNotFound",
    "TicketNotFound",
    "TicketStateConflict",
]


class BadNear(InvalidInput):
    code = "tourism.bad_near"


class BadVisitDate(InvalidInput):
    code = "tourism.bad_date"


class ScenicAreaNotFound(NotFound):
    code = "tourism.area_not_found"


class TicketNotFound(NotFound):
    code = "tourism.ticket_not_found"


class AreaFull(Conflict):
    code = "tourism.area_full"


class EntryNotBookable(Conflict):
    code = "tourism.entry_not_bookable"


class TicketStateConflict(Conflict):
    code = "tourism.ticket_state"
