"""Enumerated states of care and the explicit transitions between them.

Appointment (our record of a doctor booking, mirrored from the HIS):
    pending ──► booked ──► arrived ──► fulfilled
       │          │  ╲
       │          │   noshow
       ▼          ▼
    failed     cancelled        (pending ──► cancelled too)

Home-care order (the eldercare platform's dispatch lifecycle):
    submitted ──► accepted ──► assigned ──► en_route ──► in_service ──► completed
        │    ╲        │           │            │
        │     refused ▼           ▼            ▼
        └──────────► cancelled ◄──────────────┘
"""

from __future__ import annotations

from enum import StrEnum

from services.care.errors import IllegalCareTransition

__all__ = [
    "ACTIVE_ORDER_STATUSES",
    "EMERGENCY_ALERT_KINDS",
    "AppointmentStatus",
    "CareServiceKind",
    "OrderStatus",
    "advance_appointment",
    "advance_order",
]


class AppointmentStatus(StrEnum):
    PENDING = "pending"  # booked with us, on its way to the HIS through the outbox
    BOOKED = "booked"  # the HIS holds the Appointment
    ARRIVED = "arrived"  # checked in at the hospital
    FULFILLED = "fulfilled"
    NOSHOW = "noshow"
    CANCELLED = "cancelled"
    FAILED = "failed"  # the HIS refused it (its number went elsewhere): the booking is cancelled


class CareServiceKind(StrEnum):
    MEAL = "meal"  # 助餐
    CLEANING = "cleaning"  # 助洁
    BATHING = "bathing"  # 助浴
    MEDICAL_ESCORT = "medical_escort"  # 助医
    MOBILITY = "mobility"  # 助行
    EMERGENCY = "emergency"  # 紧急呼叫


class OrderStatus(StrEnum):
    SUBMITTED = "submitted"  # stored with us; the outbox delivers it to the platform
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    REFUSED = "refused"
    CANCELLED = "cancelled"


# The emergency-call (紧急呼叫) notices that go out as WeChat subscribe messages, not only to the inbox:
# the moments a family must not miss. Each send uses one of the reader's one-time consents, so the
# template is spent on these rather than on every step of the call.
EMERGENCY_ALERT_KINDS = (
    "care.notify.emergency_raised",
    "care.notify.emergency_retrying",
    "care.notify.emergency_accepted",
    "care.notify.emergency_refused",
)

ACTIVE_ORDER_STATUSES = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.ASSIGNED,
        OrderStatus.EN_ROUTE,
        OrderStatus.IN_SERVICE,
    }
)

_APPOINTMENT: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.PENDING: frozenset(
        {AppointmentStatus.BOOKED, AppointmentStatus.FAILED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.BOOKED: frozenset(
        {
            AppointmentStatus.ARRIVED,
            AppointmentStatus.NOSHOW,
            AppointmentStatus.CANCELLED,
            AppointmentStatus.FULFILLED,
        }
    ),
    AppointmentStatus.ARRIVED: frozenset({AppointmentStatus.FULFILLED}),
    AppointmentStatus.FULFILLED: frozenset(),
    AppointmentStatus.NOSHOW: frozenset(),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.FAILED: frozenset(),
}

_ORDER: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.SUBMITTED: frozenset({OrderStatus.ACCEPTED, OrderStatus.REFUSED, OrderStatus.CANCELLED}),
    OrderStatus.ACCEPTED: frozenset({OrderStatus.ASSIGNED, OrderStatus.CANCELLED}),
    OrderStatus.ASSIGNED: frozenset({OrderStatus.EN_ROUTE, OrderStatus.CANCELLED}),
    OrderStatus.EN_ROUTE: frozenset({OrderStatus.IN_SERVICE, OrderStatus.CANCELLED}),
    OrderStatus.IN_SERVICE: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.REFUSED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


def advance_appointment(
    current: AppointmentStatus | str, target: AppointmentStatus | str
) -> AppointmentStatus:
    """`target`, or IllegalCareTransition when the appointment diagram has no such arrow."""
    if AppointmentStatus(target) not in _APPOINTMENT[AppointmentStatus(current)]:
        raise IllegalCareTransition(details={"from": str(current), "to": str(target)})
    return AppointmentStatus(target)


def advance_order(current: OrderStatus | str, target: OrderStatus | str) -> OrderStatus:
    """`target`, or IllegalCareTransition when the order diagram has no such arrow."""
    if OrderStatus(target) not in _ORDER[OrderStatus(current)]:
        raise IllegalCareTransition(details={"from": str(current), "to": str(target)})
    return OrderStatus(target)
