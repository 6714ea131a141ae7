"""The booking engine: one way to book anything bookable in the city (the public face of the package).

Owning domains (gov halls, tourism entry, community events, care) describe their bookable things as
resources and build on these keyword-only functions, split by capability:

  resources.py   ensure_resource, get_resource, find_resource, generate_slots, create_slot, get_slot,
                 list_slots (reads ask the owner's `visible` hook)
  admission.py   admit: the one admission step of booking, joining a waitlist and promotion
  booking.py     book, cancel, confirm_hold, decide, acting_actor, get_booking, list_bookings_for,
                 list_bookings_of_resource
  waitlist.py    join_waitlist, promote_waitlists; a freed place is offered to the first waiting person
                 in the transaction that frees it
  codes.py       check_in_code_for, check_in
  upkeep.py      expire_holds, mark_no_shows, send_reminders, roll_slots (periodic work)
  documents.py   real-name visitors' identity documents (resident ID, passports, permits)

What the owning domains add (guards, post-booking and release steps, visibility) is a
`services.bookings.policy.BookingPolicy` in their Domain, passed to these functions as `policies`.
Errors are in services/bookings/errors.py.
"""

from __future__ import annotations

from services.bookings.booking import (
    acting_actor,
    book,
    cancel,
    confirm_hold,
    decide,
    get_booking,
    list_bookings_for,
    list_bookings_of_resource,
    prepare_booking,
)
from services.bookings.codes import check_in, check_in_code_for
from services.bookings.documents import CleanVisitor, Visitor
from services.bookings.resources import (
    create_slot,
    ensure_resource,
    find_resource,
    generate_slots,
    get_resource,
    get_slot,
    list_slots,
)
from services.bookings.upkeep import expire_holds, mark_no_shows, roll_slots, send_reminders
from services.bookings.waitlist import join_waitlist, promote_waitlists

__all__ = [
    "CleanVisitor",
    "Visitor",
    "acting_actor",
    "book",
    "prepare_booking",
    "cancel",
    "check_in",
    "check_in_code_for",
    "confirm_hold",
    "create_slot",
    "decide",
    "ensure_resource",
    "expire_holds",
    "find_resource",
    "generate_slots",
    "get_booking",
    "get_resource",
    "get_slot",
    "join_waitlist",
    "list_bookings_for",
    "list_bookings_of_resource",
    "list_slots",
    "mark_no_shows",
    "promote_waitlists",
    "roll_slots",
    "send_reminders",
]
