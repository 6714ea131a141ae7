"""Care's background work: deliveries to the HIS and the eldercare platform, and the sweepers."""

from __future__ import annotations

from typing import Any

from services.care import appointments, attendance, catalogue, eldercare, order_cancel, reports
from services.common.contributions import PeriodicJob
from services.common.outbox import OutboxEvent

__all__ = [
    "OUTBOX_HANDLERS",
    "PERIODIC_JOBS",
    "book_appointment",
    "cancel_appointment",
    "cancel_order",
    "dispatch_order",
    "queue_appointments",
    "sync_attendance",
    "sync_cancellations",
    "sync_catalogue",
]


async def book_appointment(event: OutboxEvent, deps: Any) -> None:
    """Outbox topic care.appointment_book: the booking reaches the HIS as a FHIR Appointment."""
    await appointments.deliver_appointment(
        booking_id=event.payload["booking_id"],
        event_id=event.id,
        his=deps.adapters.his,
        cipher=deps.cipher,
        redis=deps.redis,
        keys=deps.keys,
    )


async def cancel_appointment(event: OutboxEvent, deps: Any) -> None:
    """Outbox topic care.appointment_cancel: 退号 at the HIS."""
    await appointments.deliver_cancellation(
        appointment_id=event.payload["appointment_id"],
        his=deps.adapters.his,
        redis=deps.redis,
        keys=deps.keys,
    )


async def dispatch_order(event: OutboxEvent, deps: Any) -> None:
    """Outbox topic care.order_dispatch: a home-care order or emergency call reaches the platform."""
    await eldercare.deliver_order(
        order_id=event.payload["order_id"],
        event_id=event.id,
        platform=deps.adapters.eldercare,
        cipher=deps.cipher,
    )


async def cancel_order(event: OutboxEvent, deps: Any) -> None:
    """Outbox topic care.order_cancel: the provider learns the resident cancelled."""
    await order_cancel.deliver_cancellation(
        order_id=event.payload["order_id"], platform=deps.adapters.eldercare
    )


async def sync_catalogue(deps: Any) -> int:
    """Mirror hospitals, clinics and doctors from the HIS (search, dashboard, hospital staff scopes)."""
    written = await catalogue.sync_catalogue(his=deps.adapters.his)
    if written:
        await reports.index_catalogue()
    return written


async def queue_appointments(deps: Any) -> int:
    """Safety net for care bookings that reached the engine without their appointment record."""
    return await appointments.queue_missing_appointments()


async def sync_attendance(deps: Any) -> int:
    """Check-ins and no-shows the HIS holds but never pushed (a lost callback), read and applied."""
    return await attendance.sync_attendance(his=deps.adapters.his)


async def sync_cancellations(deps: Any) -> int:
    """Cancel at the HIS what patients cancelled (退号) through the booking engine."""
    return await appointments.sync_cancellations()


OUTBOX_HANDLERS: dict[str, Any] = {
    appointments.BOOK_TOPIC: book_appointment,
    appointments.CANCEL_TOPIC: cancel_appointment,
    eldercare.DISPATCH_TOPIC: dispatch_order,
    order_cancel.CANCEL_TOPIC: cancel_order,
}
PERIODIC_JOBS = [
    PeriodicJob("care.sync_catalogue", every_s=600.0, run=sync_catalogue),
    PeriodicJob("care.queue_appointments", every_s=5.0, run=queue_appointments),
    PeriodicJob("care.sync_cancellations", every_s=10.0, run=sync_cancellations),
    PeriodicJob("care.sync_attendance", every_s=300.0, run=sync_attendance),
]
