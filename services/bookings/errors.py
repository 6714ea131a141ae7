"""What the booking engine refuses, in the citizen's terms.

    DomainError (services.common.errors)
     ├── InvalidInput
     │    ├── BadPartySize            party size outside 1..max for the resource          booking.bad_party_size
     │    ├── VisitorsInvalid         visitors missing, too many/few, or a bad ID number   booking.visitors_invalid
     │    └── BadCheckInCode          the code is not one we signed                        booking.bad_check_in_code
     ├── PermissionDenied
     │    ├── NotStaff                only the resource's staff may do this               booking.staff_only
     │    └── BookingBanned           too many no-shows: banned until a date               booking.banned
     ├── NotFound
     │    ├── ResourceNotFound                                                             booking.resource_not_found
     │    ├── SlotNotFound                                                                 booking.slot_not_found
     │    └── BookingNotFound         also when the booking is someone else's (no BOLA)    booking.not_found
     └── Conflict
          ├── SlotFull                not enough places left                               booking.slot_full
          ├── SlotClosed              closed, already started or over                      booking.slot_closed
          ├── OutsideBookingWindow    beyond the advance-booking window                    booking.outside_window
          ├── AlreadyBooked           one active booking per person per slot               booking.already_booked
          ├── DailyCapReached         per-person cap per day on this resource              booking.daily_cap_reached
          ├── VisitorAlreadyEntered   a visitor already holds an entry that day            booking.visitor_already_booked
          ├── CancellationTooLate     past the cancellation deadline                       booking.cancel_too_late
          ├── HoldExpired             the hold ran out before it was confirmed             booking.hold_expired
          ├── CheckInNotOpen          too early or too late to check in                    booking.check_in_not_open
          ├── NoWaitlist              this resource keeps no waitlist                      booking.no_waitlist
          ├── SlotHasPlaces           the waitlist is only for full slots                  booking.slot_has_places
          ├── AlreadyWaiting          already on this slot's waitlist                      booking.already_waiting
          ├── SlotExists              a slot with that start already exists                booking.slot_exists
          └── IllegalTransition       the booking's status does not allow that move        booking.illegal_transition
Owning domains' guards raise their own DomainErrors, which pass through unchanged.
"""

from __future__ import annotations

from services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied

__all__ = [
    "AlreadyBooked",
    "AlreadyWaiting",
    "BadCheckInCode",
    "BadPartySize",
    "BookingBanned",
    "BookingNotFound",
    "CancellationTooLate",
    "CheckInNotOpen",
    "DailyCapReached",
    "HoldExpired",
    "IllegalTransition",
    "NoWaitlist",
    "NotStaff",
    "OutsideBookingWindow",
    "ResourceNotFound",
    "SlotClosed",
    "SlotExists",
    "SlotFull",
    "SlotHasPlaces",
    "SlotNotFound",
    "VisitorAlreadyEntered",
    "VisitorsInvalid",
]


class BadPartySize(InvalidInput):
    code = "booking.bad_party_size"


class VisitorsInvalid(InvalidInput):
    code = "booking.visitors_invalid"


class BadCheckInCode(InvalidInput):
    code = "booking.bad_check_in_code"


class NotStaff(PermissionDenied):
    code = "booking.staff_only"


class BookingBanned(PermissionDenied):
    code = "booking.banned"


class ResourceNotFound(NotFound):
    code = "booking.resource_not_found"


class SlotNotFound(NotFound):
    code = "booking.slot_not_found"


class BookingNotFound(NotFound):
    code = "booking.not_found"


class SlotFull(Conflict):
    code = "booking.slot_full"


class SlotClosed(Conflict):
    code = "booking.slot_closed"


class OutsideBookingWindow(Conflict):
    code = "booking.outside_window"


class AlreadyBooked(Conflict):
    code = "booking.already_booked"


class DailyCapReached(Conflict):
    code = "booking.daily_cap_reached"


class VisitorAlreadyEntered(Conflict):
    code = "booking.visitor_already_booked"


class CancellationTooLate(Conflict):
    code = "booking.cancel_too_late"


class HoldExpired(Conflict):
    code = "booking.hold_expired"


class CheckInNotOpen(Conflict):
    code = "booking.check_in_not_open"


class NoWaitlist(Conflict):
    code = "booking.no_waitlist"


class SlotHasPlaces(Conflict):
    code = "booking.slot_has_places"


class AlreadyWaiting(Conflict):
    code = "booking.already_waiting"


class SlotExists(Conflict):
    code = "booking.slot_exists"


class IllegalTransition(Conflict):
    code = "booking.illegal_transition"
