"""Doctor appointments: consent, the engine's care guards and post-booking step, delivery to the HIS,
cancellations, and the HIS's status pushes (check-in, no-show, 停诊).

Booking itself is the shared engine's (`POST /bookings` on a doctor's slot). Care adds:
  * guards (services/care/domain.py BookingPolicy): medical-data consent, a real-name patient, the
    `care` proxy scope, no booking while the HIS is down, 放号 at the hospital's hour, and the
    per-day caps across the hospital and per clinic;
  * after_booking, inside the booking's transaction: the CareAppointment row and an outbox row that
    delivers it to the HIS as a FHIR Appointment (so a slow or absent HIS never loses or blocks it).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

import redis.asyncio as aioredis
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from integrations.errors import IntegrationProtocolError, IntegrationRejected
from integrations.his.types import AppointmentRequest, HisAppointment, HisNotification, PatientIdentity
from services.accounts import family
from services.accounts import service as accounts
from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.bookings import outcomes
from services.bookings.enums import BookingStatus, OwnerDomain
from services.care import catalogue, names
from services.care.enums import AppointmentStatus, advance_appointment
from services.care.errors import (
    CareConsentRequired,
    ClinicStopped,
    DepartmentCapReached,
    HospitalSystemDown,
    IllegalCareTransition,
    InvalidCareConsent,
    NotReleasedYet,
    RealNameRequired,
)
from services.care.models import (
    CareAppointment,
    CareConsent,
    CareDepartment,
    CareDoctor,
    CareHospital,
    InboundEvent,
)
from services.care.people import CARE_SCOPE
from services.care.ports import HospitalSystem
from services.care.rules import HospitalRules
from services.care.views import AppointmentView, ConsentView
from services.common import clock, outbox
from services.common.cache import Keys
from services.common.crypto import PiiCipher
from services.common.errors import InvalidInput, NotFound, PermissionDenied
from services.common.ids import parse_id
from services.notifications import service as notifications

__all__ = [
    "apply_his_status",
    "BOOK_TOPIC",
    "CANCEL_TOPIC",
    "CONSENT_VERSION",
    "after_booking",
    "after_release",
    "apply_his_notification",
    "consent_status",
    "deliver_appointment",
    "deliver_cancellation",
    "get_appointment",
    "give_consent",
    "guard_booking",
    "handle_his_callback",
    "queue_missing_appointments",
    "sync_cancellations",
]

log = logging.getLogger(__name__)

CONSENT_VERSION = "care-medical-2026-12"
BOOK_TOPIC = "care.appointment_book"
CANCEL_TOPIC = "care.appointment_cancel"
_LIVE = (AppointmentStatus.PENDING, AppointmentStatus.BOOKED)
_ENGINE_RELEASED = (BookingStatus.CANCELLED, BookingStatus.EXPIRED, BookingStatus.DENIED)


# ---------------------------------------------------------------------------------------- consent


async def consent_status(*, actor: Principal) -> ConsentView:
    """Whether the patient (the actor, or whom they act for) consented to the current version."""
    row = await CareConsent.get_or_none(user_id=actor.subject_id, version=CONSENT_VERSION, withdrawn_at=None)
    return ConsentView(
        version=CONSENT_VERSION, granted=row is not None, granted_at=row.granted_at if row else None
    )


async def give_consent(*, actor: Principal, version: str) -> ConsentView:
    """Record the separate consent to medical-data processing for the current version (idempotent)."""
    if version != CONSENT_VERSION:
        raise InvalidCareConsent(details={"current": CONSENT_VERSION}, current=CONSENT_VERSION)
    try:
        await CareConsent.get_or_create(
            user_id=actor.subject_id, version=version, defaults={"granted_by_id": actor.user_id}
        )
    except IntegrityError:
        pass  # a concurrent consent of the same version: one row stands
    await CareConsent.filter(user_id=actor.subject_id, version=version).update(withdrawn_at=None)
    return await consent_status(actor=actor)


# ----------------------------------------------------------------------------------------- guards


async def _doctor_of(resource: Any) -> CareDoctor | None:
    ref = str(resource.owner_ref)
    return await CareDoctor.get_or_none(his_id=ref.removeprefix("his:")) if ref.startswith("his:") else None


async def guard_booking(*, resource: Any, slot: Any, actor: Principal, **_: Any) -> None:
    """The engine's care guard: runs for booking (and any waitlist/promotion) of a doctor's slot."""
    if str(resource.owner_domain) != OwnerDomain.CARE.value:
        return
    doctor = await _doctor_of(resource)
    if doctor is None:
        raise NotFound("care.doctor_not_found")
    if (
        actor.acting_for is not None
        and await family.live_grant(proxy_id=actor.user_id, subject_id=actor.acting_for, scope=CARE_SCOPE)
        is None
    ):
        raise PermissionDenied("care.proxy_scope_required", scope=CARE_SCOPE)
    if actor.acting_for is not None:
        patient = await accounts.find_user(str(actor.acting_for))
        if VerificationLevel(patient.level) is not VerificationLevel.REAL_NAME:
            raise RealNameRequired(details={"who": "patient"})
    if not await CareConsent.exists(user_id=actor.subject_id, version=CONSENT_VERSION, withdrawn_at=None):
        raise CareConsentRequired(details={"version": CONSENT_VERSION, "next": "/api/v1/care/consent"})
    if await catalogue.his_is_down():
        raise HospitalSystemDown()
    if slot.label is None or str(slot.status) != "open":
        raise ClinicStopped()
    rules = await catalogue.hospital_rules(doctor.hospital_his_id)
    if not rules.released(slot.day, now_local=clock.to_local(clock.now())):
        opens = dt.datetime.combine(
            slot.day - dt.timedelta(days=rules.release_days), rules.release_at(), tzinfo=clock.CITY_TZ
        )
        raise NotReleasedYet(details={"releases_at": opens.isoformat()}, at=opens.strftime("%Y-%m-%d %H:%M"))
    # A first, cheap refusal; the exact count runs again inside the booking transaction (_check_caps).
    await _check_caps(None, subject_id=actor.subject_id, doctor=doctor, day=slot.day, rules=rules)


async def _check_caps(
    conn: Any, *, subject_id: uuid.UUID, doctor: CareDoctor, day: dt.date, rules: HospitalRules
) -> None:
    """DepartmentCapReached when the patient already holds the day's cap in the hospital or the clinic.

    With `conn` (the booking transaction) the count is exact: on PostgreSQL a transaction-scoped
    advisory lock on (patient, hospital, day) orders one patient's concurrent bookings, so each counts
    the appointments the others committed (READ COMMITTED would not see an uncommitted sibling); on
    SQLite the booking's first UPDATE already holds the database's write lock.
    """
    if conn is not None and conn.capabilities.dialect.startswith("postgres"):
        key = f"care-caps:{subject_id}:{doctor.hospital_his_id}:{day.isoformat()}"
        await conn.execute_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key])
    query = CareAppointment.filter(
        subject_id=subject_id, hospital_his_id=doctor.hospital_his_id, visit_date=day, status__in=list(_LIVE)
    )
    mine = await (query.using_db(conn) if conn is not None else query).values_list(
        "department_his_id", flat=True
    )
    in_department = sum(1 for d in mine if d == doctor.department_his_id)
    if len(mine) >= rules.max_per_day or in_department >= rules.max_per_department:
        raise DepartmentCapReached(
            details={"per_day": rules.max_per_day, "per_department": rules.max_per_department},
            per_day=rules.max_per_day,
            per_department=rules.max_per_department,
        )


# ------------------------------------------------------------------------------------ post-booking


async def _record(
    conn: Any,
    *,
    booking_id: uuid.UUID,
    user_id: uuid.UUID,
    subject_id: uuid.UUID,
    resource: Any,
    slot: Any,
    enforce_caps: bool = False,
) -> bool:
    doctor = await _doctor_of(resource)
    if doctor is None or not slot.label:
        return False
    if enforce_caps:
        rules = await catalogue.hospital_rules(doctor.hospital_his_id)
        await _check_caps(conn, subject_id=subject_id, doctor=doctor, day=slot.day, rules=rules)
    await CareAppointment.create(
        booking_id=booking_id,
        user_id=user_id,
        subject_id=subject_id,
        hospital_his_id=doctor.hospital_his_id,
        department_his_id=doctor.department_his_id,
        doctor_his_id=doctor.his_id,
        his_slot_id=slot.label,
        visit_date=slot.day,
        slot_start=slot.start,
        using_db=conn,
    )
    await outbox.enqueue(
        topic=BOOK_TOPIC,
        payload={"booking_id": str(booking_id)},
        aggregate_type="care_appointment",
        aggregate_id=str(booking_id),
        using_db=conn,
    )
    return True


async def after_booking(*, booking: Any, resource: Any, slot: Any, conn: Any, **_: Any) -> None:
    """Inside the booking's transaction: the exact cap check, our appointment record and its delivery
    to the HIS. A cap reached here rolls the whole booking back (its place is never taken)."""
    if str(resource.owner_domain) != OwnerDomain.CARE.value:
        return
    await _record(
        conn,
        booking_id=booking.id,
        user_id=booking.user_id,
        subject_id=booking.subject_id,
        resource=resource,
        slot=slot,
        enforce_caps=True,
    )


async def queue_missing_appointments(*, since: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Safety net: a confirmed care booking without an appointment record gets one (and its delivery)."""
    found = await outcomes.bookings_of_domain(
        owner_domain=OwnerDomain.CARE, statuses_in=[BookingStatus.CONFIRMED], since=clock.now() - since
    )
    known = set(
        await CareAppointment.filter(booking_id__in=[b.id for b in found]).values_list(
            "booking_id", flat=True
        )
    )
    queued = 0
    for booking in found:
        if booking.id in known:
            continue
        try:
            async with in_transaction() as conn:
                queued += await _record(
                    conn,
                    booking_id=booking.id,
                    user_id=booking.user_id,
                    subject_id=booking.subject_id,
                    resource=booking.resource,
                    slot=booking.slot,
                )
        except IntegrityError:
            continue  # the booking's own transaction recorded it meanwhile
    return queued


# --------------------------------------------------------------------------------------- delivery


async def _notify(conn: Any, kind: str, row: CareAppointment, **params: Any) -> None:
    """The patient, and (proxy_scope) everyone acting for them in care right now, each in their own
    language ("For your parent: ..."); hospital, clinic and doctor named in zh_CN and en."""
    doctor = await CareDoctor.get_or_none(his_id=row.doctor_his_id).using_db(conn)
    department = await CareDepartment.get_or_none(his_id=row.department_his_id).using_db(conn)
    hospital = await CareHospital.get_or_none(his_id=row.hospital_his_id).using_db(conn)
    values = {
        "hospital": names.hospital_name(hospital.name if hospital else None, row.hospital_his_id),
        "department": names.department_name(department.name if department else row.department_his_id),
        "doctor": names.doctor_name(doctor.name, doctor.title, doctor.title_code)
        if doctor
        else row.doctor_his_id,
        "start": clock.to_local(row.slot_start).strftime("%Y-%m-%d %H:%M"),
        "booking_id": str(row.booking_id),
        **params,
    }
    await notifications.notify(
        user_id=row.subject_id,
        kind=kind,
        params=values,
        link=f"/pages/bookings/detail?id={row.booking_id}",
        proxy_scope=CARE_SCOPE,
        using_db=conn,
    )


async def _move(conn: Any, row: CareAppointment, target: AppointmentStatus, **changes: Any) -> bool:
    advance_appointment(row.status, target)
    updated = (
        await CareAppointment.filter(id=row.id, status=row.status)
        .using_db(conn)
        .update(status=target, **changes)
    )
    return updated == 1


async def deliver_appointment(
    *,
    booking_id: str,
    event_id: str,
    his: HospitalSystem,
    cipher: PiiCipher,
    redis: aioredis.Redis,
    keys: Keys,
) -> None:
    """Outbox handler: create the HIS Appointment of a pending booking (retried while the HIS is down)."""
    row = await CareAppointment.get_or_none(booking_id=booking_id)
    if row is None or row.status is not AppointmentStatus.PENDING:
        return
    identity = await accounts.verified_identity(user_id=row.subject_id, cipher=cipher)
    if identity is None:
        await _fail(row, reason="patient_not_verified")
        return
    request = AppointmentRequest(
        booking_id=str(row.booking_id),
        slot_id=row.his_slot_id,
        doctor_id=row.doctor_his_id,
        department_id=row.department_his_id,
        patient=PatientIdentity(id_number=identity.id_number, name=identity.name, phone=identity.phone),
        event_id=event_id,
    )
    try:
        appointment = await his.book_appointment(request)
    except IntegrationRejected as error:
        log.info("HIS refused an appointment", extra={"booking_id": booking_id, "code": error.remote_code})
        await _fail(row, reason=str(error.remote_code or "rejected"))
        await catalogue.forget_doctor_day(
            redis=redis, keys=keys, doctor_id=row.doctor_his_id, day=row.visit_date
        )
        return
    except Exception as error:
        await catalogue.mark_his(ok=False, error=error)
        raise
    await catalogue.mark_his(ok=True)
    await catalogue.forget_doctor_day(redis=redis, keys=keys, doctor_id=row.doctor_his_id, day=row.visit_date)
    async with in_transaction() as conn:
        moved = await _move(
            conn,
            row,
            AppointmentStatus.BOOKED,
            his_appointment_id=appointment.id,
            queue_number=appointment.queue_number,
        )
        if moved:
            await _notify(conn, "care.notify.appointment_booked", row, number=appointment.queue_number or "")
    if not moved:
        # Cancelled while on its way: give the number back at the HIS too.
        await his.cancel_appointment(appointment.id, reason="cancelled by the patient")


async def _fail(row: CareAppointment, *, reason: str) -> None:
    async with in_transaction() as conn:
        if not await _move(conn, row, AppointmentStatus.FAILED, note=reason[:255]):
            return
        await _notify(conn, "care.notify.appointment_failed", row)
    await outcomes.record_outcome(booking_id=row.booking_id, status=BookingStatus.CANCELLED)


async def after_release(*, booking_id: uuid.UUID, status: Any, conn: Any, **_: Any) -> None:
    """Inside the transaction that cancels (退号) or expires a care booking: cancel our appointment and
    queue its cancellation at the HIS. A stopped clinic or a refused appointment moved it already."""
    row = await CareAppointment.get_or_none(booking_id=booking_id).using_db(conn)
    if row is None or row.status not in _LIVE:
        return
    if not await _move(conn, row, AppointmentStatus.CANCELLED, note="patient"):
        return
    if row.his_appointment_id:
        await outbox.enqueue(
            topic=CANCEL_TOPIC,
            payload={"booking_id": str(row.booking_id), "appointment_id": row.his_appointment_id},
            aggregate_type="care_appointment",
            aggregate_id=str(row.booking_id),
            using_db=conn,
        )


async def sync_cancellations(*, since: dt.timedelta = dt.timedelta(days=30)) -> int:
    """Safety net behind after_release: released bookings whose appointment is still live here."""
    rows = await CareAppointment.filter(status__in=list(_LIVE), created_at__gte=clock.now() - since).limit(
        1000
    )
    states = await outcomes.statuses(booking_ids=[r.booking_id for r in rows])
    moved = 0
    for row in rows:
        if states.get(row.booking_id) not in _ENGINE_RELEASED:
            continue
        async with in_transaction() as conn:
            if not await _move(conn, row, AppointmentStatus.CANCELLED, note="patient"):
                continue
            if row.his_appointment_id:
                await outbox.enqueue(
                    topic=CANCEL_TOPIC,
                    payload={"booking_id": str(row.booking_id), "appointment_id": row.his_appointment_id},
                    aggregate_type="care_appointment",
                    aggregate_id=str(row.booking_id),
                    using_db=conn,
                )
        moved += 1
    return moved


async def deliver_cancellation(
    *, appointment_id: str, his: HospitalSystem, redis: aioredis.Redis, keys: Keys
) -> None:
    """Outbox handler: 退号 at the HIS (harmless when it is cancelled there already)."""
    result: HisAppointment = await his.cancel_appointment(appointment_id, reason="cancelled by the patient")
    row = await CareAppointment.get_or_none(his_appointment_id=result.id)
    if row is not None:
        await catalogue.forget_doctor_day(
            redis=redis, keys=keys, doctor_id=row.doctor_his_id, day=row.visit_date
        )


# ------------------------------------------------------------------------------ HIS status pushes

_FROM_HIS = {
    "arrived": (AppointmentStatus.ARRIVED, BookingStatus.CHECKED_IN),
    "noshow": (AppointmentStatus.NOSHOW, BookingStatus.NO_SHOW),
    "fulfilled": (AppointmentStatus.FULFILLED, None),
    "cancelled": (AppointmentStatus.CANCELLED, BookingStatus.CANCELLED),
}


async def apply_his_notification(
    *, notification: HisNotification, redis: aioredis.Redis, keys: Keys
) -> dict[str, Any]:
    """Apply a pushed HIS event once (replays change nothing); returns what changed."""
    try:
        await InboundEvent.create(system="his", event_id=notification.event_id[:96])
    except IntegrityError:
        return {"outcome": "duplicate", "changed": 0}
    changed = 0
    stopped = notification.kind == "schedule_stopped"
    if stopped:
        changed += await _stop_clinic(notification)
    for appointment in notification.appointments:
        changed += await apply_his_status(appointment, stopped=stopped, reason=notification.reason)
    days = (
        {
            row.visit_date
            for row in await CareAppointment.filter(his_slot_id__in=list(notification.stopped_slot_ids))
        }
        if stopped
        else set()
    )
    if stopped and notification.stopped_doctor_id:
        for day in days or {_day_of_schedule(notification.stopped_schedule_id)}:
            if day is not None:
                await catalogue.forget_doctor_day(
                    redis=redis, keys=keys, doctor_id=notification.stopped_doctor_id, day=day
                )
    return {"outcome": "applied", "changed": changed}


def _day_of_schedule(schedule_id: str | None) -> dt.date | None:
    # Schedule ids of the city's HIS end in -YYYYMMDD-am|pm; other systems may not, and that is fine.
    try:
        return dt.datetime.strptime((schedule_id or "").rsplit("-", 2)[-2], "%Y%m%d").date()
    except (ValueError, IndexError):
        return None


async def _stop_clinic(notification: HisNotification) -> int:
    """Close the engine slots of a stopped clinic, so nobody can book them any more."""
    doctor = await CareDoctor.get_or_none(his_id=notification.stopped_doctor_id or "")
    if doctor is None or doctor.resource_id is None:
        return 0
    day = _day_of_schedule(notification.stopped_schedule_id)
    closed = 0
    if day is not None:
        from services.bookings import service as bookings

        for slot in await bookings.list_slots(resource_id=doctor.resource_id, date=day):
            if slot.label in notification.stopped_slot_ids:
                closed += await outcomes.close_slot(slot_id=slot.id)
    # Appointments still on their way to the HIS in those slots are cancelled here as well.
    pending = await CareAppointment.filter(
        his_slot_id__in=list(notification.stopped_slot_ids), status=AppointmentStatus.PENDING
    )
    for row in pending:
        closed += await _cancel_for_stop(row, reason=notification.reason)
    return closed


async def _cancel_for_stop(row: CareAppointment, *, reason: str | None) -> int:
    async with in_transaction() as conn:
        if not await _move(conn, row, AppointmentStatus.CANCELLED, note=(reason or "clinic stopped")[:255]):
            return 0
        await _notify(conn, "care.notify.clinic_stopped", row, reason=reason or "")
    await outcomes.record_outcome(booking_id=row.booking_id, status=BookingStatus.CANCELLED)
    return 1


async def apply_his_status(appointment: HisAppointment, *, stopped: bool, reason: str | None) -> int:
    row = await CareAppointment.get_or_none(his_appointment_id=appointment.id)
    if row is None and appointment.booking_id:
        row = await CareAppointment.get_or_none(booking_id=parse_id(appointment.booking_id))
    target = _FROM_HIS.get(appointment.status)
    if row is None or target is None or row.status == target[0]:
        return 0
    status, engine_status = target
    if status is AppointmentStatus.CANCELLED:
        return await _cancel_for_stop(row, reason=reason or appointment.cancellation_reason)
    try:
        async with in_transaction() as conn:
            if not await _move(conn, row, status):
                return 0
    except IllegalCareTransition:
        return 0  # e.g. a no-show reported for an appointment we already cancelled
    if engine_status is not None:
        await outcomes.record_outcome(booking_id=row.booking_id, status=engine_status)
    return 1


# ------------------------------------------------------------------------------------------ reads


def _is_hospital_staff(actor: Principal, hospital_id: str) -> bool:
    return actor.has_role(Role.DEPT_OPERATOR, f"hospital:{hospital_id}")


async def get_appointment(*, actor: Principal, booking_id: str) -> AppointmentView:
    """Department and doctor of a booking: only for the patient, their proxies, the booker and that hospital's staff."""
    parsed = parse_id(booking_id)
    row = await CareAppointment.get_or_none(booking_id=parsed) if parsed else None
    if row is None:
        raise NotFound("care.appointment_not_found")
    allowed = actor.user_id in (row.user_id, row.subject_id) or _is_hospital_staff(actor, row.hospital_his_id)
    if not allowed and actor.acting_for == row.subject_id:
        allowed = (
            await family.live_grant(proxy_id=actor.user_id, subject_id=row.subject_id, scope=CARE_SCOPE)
            is not None
        )
    if not allowed:
        raise NotFound("care.appointment_not_found")
    return AppointmentView(
        booking_id=row.booking_id,
        status=row.status.value,
        hospital_id=row.hospital_his_id,
        department_id=row.department_his_id,
        doctor_id=row.doctor_his_id,
        queue_number=row.queue_number,
        visit_date=row.visit_date,
        slot_start=row.slot_start,
        note=row.note,
    )


async def handle_his_callback(
    *, data: Any, his: HospitalSystem, redis: aioredis.Redis, keys: Keys
) -> dict[str, Any]:
    """A signed push from the HIS: validate it as FHIR and apply it once."""
    try:
        notification = his.parse_notification(data)
    except IntegrationProtocolError as error:
        raise InvalidInput("care.bad_callback") from error
    return await apply_his_notification(notification=notification, redis=redis, keys=keys)
