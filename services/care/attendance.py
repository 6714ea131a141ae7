"""Attendance as the hospital reports it: the engine's no-show question, and lost check-in pushes.

The booking engine marks no-shows only with the owner's word (BookingPolicy.attendance): for care that
is the HIS's check-in or no-show, never a guess from the clock.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from integrations.errors import IntegrationProtocolError, IntegrationRejected, IntegrationUnavailable
from services.bookings.enums import BookingStatus
from services.care import appointments, catalogue
from services.care.enums import AppointmentStatus
from services.care.models import CareAppointment
from services.care.ports import HospitalSystem
from services.common import clock

__all__ = ["attendance", "sync_attendance"]


_ATTENDED = (AppointmentStatus.ARRIVED, AppointmentStatus.FULFILLED)


async def attendance(*, booking_ids: list[uuid.UUID], **_: Any) -> dict[uuid.UUID, str | None]:
    """The engine's no-show question, answered from what the HIS reported: its check-in (arrived,
    fulfilled) or no-show; None while the HIS has said nothing (the engine then waits, never guesses)."""
    rows = await CareAppointment.filter(booking_id__in=list(booking_ids)).values_list("booking_id", "status")
    said: dict[uuid.UUID, str | None] = {}
    for booking_id, status in rows:
        if AppointmentStatus(status) in _ATTENDED:
            said[booking_id] = BookingStatus.CHECKED_IN.value
        elif AppointmentStatus(status) is AppointmentStatus.NOSHOW:
            said[booking_id] = BookingStatus.NO_SHOW.value
        else:
            said[booking_id] = None
    return said


async def sync_attendance(
    *, his: HospitalSystem, now: dt.datetime | None = None, after: dt.timedelta = dt.timedelta(hours=1)
) -> int:
    """Ask the HIS about booked appointments whose slot started over `after` ago and of which no
    check-in or no-show push arrived (a lost push), and apply what it holds; how many changed."""
    now = now or clock.now()
    rows = (
        await CareAppointment.filter(
            status=AppointmentStatus.BOOKED,
            his_appointment_id__isnull=False,
            slot_start__lte=now - after,
            slot_start__gte=now - dt.timedelta(days=30),
        )
        .order_by("slot_start")
        .limit(200)
    )
    changed = 0
    for row in rows:
        try:
            found = await his.appointment(str(row.his_appointment_id))
        except IntegrationRejected:
            continue
        except (IntegrationUnavailable, IntegrationProtocolError) as error:
            await catalogue.mark_his(ok=False, error=error)
            break  # the HIS is down: the next run asks again
        if found is not None and found.status in ("arrived", "fulfilled", "noshow"):
            changed += await appointments.apply_his_status(found, stopped=False, reason=None)
    return changed
