"""Values the HIS adapter returns and takes; FHIR resources never leave integrations/his."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

__all__ = [
    "AppointmentRequest",
    "HisAppointment",
    "HisDepartment",
    "HisDoctor",
    "HisHospital",
    "HisNotification",
    "HisSlot",
    "PatientIdentity",
]


@dataclass(frozen=True, slots=True)
class HisHospital:
    """An Organization of type "prov" (healthcare provider)."""

    id: str
    name: str
    alias: tuple[str, ...] = ()
    address: str | None = None
    phone: str | None = None
    kind: str = "hospital"  # hospital | community_health_centre


@dataclass(frozen=True, slots=True)
class HisDepartment:
    """A HealthcareService: one clinic (门诊科室) of a hospital."""

    id: str
    hospital_id: str
    name: str
    category: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class HisDoctor:
    """A PractitionerRole with its Practitioner: who sees patients in which clinic, at which title and fee."""

    id: str  # the PractitionerRole id
    practitioner_id: str
    hospital_id: str
    department_id: str
    name: str
    title_code: str  # chief | associate_chief | attending | resident
    title: str  # 主任医师 ...
    specialty: str | None
    fee_fen: int
    gender: str | None = None


@dataclass(frozen=True, slots=True)
class HisSlot:
    """A Slot of a doctor's Schedule: a period with `capacity` numbers, `booked` of them taken."""

    id: str
    schedule_id: str
    doctor_id: str
    start: dt.datetime
    end: dt.datetime
    status: str  # free | busy | busy-unavailable (clinic stopped)
    capacity: int
    booked: int
    session: str  # am | pm


@dataclass(frozen=True, slots=True)
class PatientIdentity:
    """A real-name patient as the HIS matches them: by ID number (identifier), name for the record."""

    id_number: str
    name: str
    phone: str | None = None

    def __repr__(self) -> str:
        return "PatientIdentity(id_number='***', name='***')"


@dataclass(frozen=True, slots=True)
class AppointmentRequest:
    """Book `slot_id` for the patient; `booking_id` is our identifier, which makes a retry harmless."""

    booking_id: str
    slot_id: str
    doctor_id: str
    department_id: str
    patient: PatientIdentity
    event_id: str
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class HisAppointment:
    id: str
    status: str  # booked | arrived | fulfilled | noshow | cancelled
    booking_id: str | None
    slot_id: str | None
    queue_number: int | None
    cancellation_reason: str | None = None


@dataclass(frozen=True, slots=True)
class HisNotification:
    """A status push from the HIS: appointments that changed and schedules that were stopped (停诊)."""

    event_id: str
    kind: str  # appointment | schedule_stopped
    appointments: tuple[HisAppointment, ...] = ()
    stopped_schedule_id: str | None = None
    stopped_doctor_id: str | None = None
    stopped_slot_ids: tuple[str, ...] = field(default_factory=tuple)
    reason: str | None = None
