"""HTTP adapter to the hospital information system (HIS): HL7 FHIR R4 over REST.

GET  /fhir/Organization?type=prov                                  hospitals
GET  /fhir/HealthcareService?organization=<id>                     departments (clinics)
GET  /fhir/PractitionerRole?service=<id>&_include=PractitionerRole:practitioner   doctors
GET  /fhir/PractitionerRole/<id>?_include=...                      one doctor (as a Bundle)
GET  /fhir/Slot?schedule.actor=PractitionerRole/<id>&start=ge..&start=lt..       a day's slots
POST /fhir/Patient           If-None-Exist: identifier=<id system>|<number>       match or create
POST /fhir/Appointment       If-None-Exist: identifier=<booking system>|<id>      book (retry-safe)
PUT  /fhir/Appointment/<id>  status=cancelled                                     cancel (退号)

Every answer is validated with fhir.resources; an OperationOutcome becomes HisRejected.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from integrations.errors import IntegrationProtocolError, IntegrationRejected, IntegrationUnavailable
from integrations.his import fhir
from integrations.his.errors import HisProtocolError, HisRejected, HisUnavailable
from integrations.his.types import (
    AppointmentRequest,
    HisAppointment,
    HisDepartment,
    HisDoctor,
    HisHospital,
    HisNotification,
    HisSlot,
    PatientIdentity,
)
from integrations.http import HttpAdapter

__all__ = ["HisClient", "parse_notification"]

_FHIR_JSON = "application/fhir+json"


class HisClient(HttpAdapter):
    """Satisfies services.care.ports.HospitalSystem."""

    system = "his"

    async def _fhir(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Accept": _FHIR_JSON, **kwargs.pop("headers", {})}
        try:
            response = await self.request(method, "/fhir" + path, headers=headers, **kwargs)
        except IntegrationUnavailable as error:
            raise HisUnavailable(self.system, str(error), status=error.status) from error
        try:
            data = response.json()
        except ValueError as error:
            raise HisProtocolError(self.system, "answer is not JSON", status=response.status_code) from error
        if response.status_code >= 400:
            issue = _first_issue(data)
            raise HisRejected(
                self.system,
                issue.get("diagnostics") or f"HTTP {response.status_code}",
                remote_code=issue.get("code"),
                status=response.status_code,
            )
        return data

    async def _search(self, path: str, params: dict[str, Any]) -> tuple[list[Any], list[Any]]:
        data = await self._fhir("GET", path, params=params)
        try:
            bundle = fhir.parse_resource(data, "Bundle")
        except ValueError as error:
            raise HisProtocolError(self.system, str(error)) from error
        matches, included = [], []
        for entry in bundle.entry or []:
            mode = entry.search.mode if entry.search else "match"
            (included if mode == "include" else matches).append(entry.resource)
        return matches, included

    async def hospitals(self) -> list[HisHospital]:
        """Every healthcare provider the HIS serves."""
        found, _ = await self._search("/Organization", {"type": "prov", "active": "true"})
        return [_hospital(org) for org in found]

    async def departments(self, hospital_id: str) -> list[HisDepartment]:
        """The clinics of one hospital."""
        found, _ = await self._search("/HealthcareService", {"organization": hospital_id, "active": "true"})
        return [_department(service) for service in found]

    async def doctors(self, department_id: str) -> list[HisDoctor]:
        """The doctors who see patients in one clinic."""
        roles, included = await self._search(
            "/PractitionerRole",
            {"service": department_id, "active": "true", "_include": "PractitionerRole:practitioner"},
        )
        people = {p.id: p for p in included if p.get_resource_type() == "Practitioner"}
        return [_doctor(role, people) for role in roles]

    async def doctor(self, doctor_id: str) -> HisDoctor | None:
        """One doctor (PractitionerRole id), or None when the HIS does not know it."""
        roles, included = await self._search(
            "/PractitionerRole", {"_id": doctor_id, "_include": "PractitionerRole:practitioner"}
        )
        people = {p.id: p for p in included if p.get_resource_type() == "Practitioner"}
        return _doctor(roles[0], people) if roles else None

    async def slots(self, doctor_id: str, day: dt.date, *, tz: dt.tzinfo) -> list[HisSlot]:
        """The doctor's slots starting on local `day`, every status (stopped ones included)."""
        start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        params = [
            ("schedule.actor", f"PractitionerRole/{doctor_id}"),
            ("start", "ge" + start.isoformat()),
            ("start", "lt" + (start + dt.timedelta(days=1)).isoformat()),
            ("_sort", "start"),
            ("_count", "200"),
        ]
        found, _ = await self._search("/Slot", params)  # type: ignore[arg-type]
        return [_slot(slot, doctor_id) for slot in found]

    async def ensure_patient(self, patient: PatientIdentity) -> str:
        """The HIS Patient id of this person, created when the HIS has no record (conditional create)."""
        resource = fhir.models()["Patient"].model_validate(
            {
                "resourceType": "Patient",
                "identifier": [{"system": fhir.ID_NUMBER_SYSTEM, "value": patient.id_number}],
                "name": [{"text": patient.name}],
                "telecom": [{"system": "phone", "value": patient.phone}] if patient.phone else [],
                "active": True,
            }
        )
        data = await self._fhir(
            "POST",
            "/Patient",
            json_body=fhir.dump(resource),
            headers={"If-None-Exist": f"identifier={fhir.ID_NUMBER_SYSTEM}|{patient.id_number}"},
            idempotent=True,  # conditional create: a repeat finds the first record
        )
        try:
            return str(fhir.parse_resource(data, "Patient").id)
        except ValueError as error:
            raise HisProtocolError(self.system, str(error)) from error

    async def book_appointment(self, request: AppointmentRequest) -> HisAppointment:
        """Create the Appointment; the same booking id returns the first one (If-None-Exist)."""
        patient_id = await self.ensure_patient(request.patient)
        resource = fhir.models()["Appointment"].model_validate(
            {
                "resourceType": "Appointment",
                "identifier": [{"system": fhir.BOOKING_SYSTEM, "value": request.booking_id}],
                "status": "booked",
                "slot": [{"reference": f"Slot/{request.slot_id}"}],
                "serviceType": [{"text": request.department_id}],
                "comment": request.comment,
                "participant": [
                    {"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"},
                    {"actor": {"reference": f"PractitionerRole/{request.doctor_id}"}, "status": "accepted"},
                    {
                        "actor": {"reference": f"HealthcareService/{request.department_id}"},
                        "status": "accepted",
                    },
                ],
            }
        )
        data = await self._fhir(
            "POST",
            "/Appointment",
            json_body=fhir.dump(resource),
            headers={
                "If-None-Exist": f"identifier={fhir.BOOKING_SYSTEM}|{request.booking_id}",
                "X-Event-Id": request.event_id,
            },
            idempotent=True,
        )
        return _appointment_of(self.system, data)

    async def appointment(self, appointment_id: str) -> HisAppointment | None:
        """The Appointment as the HIS holds it now (its status: booked, arrived, fulfilled, noshow, ...)."""
        try:
            data = await self._fhir("GET", f"/Appointment/{appointment_id}", idempotent=True)
        except IntegrationRejected as error:
            if error.status == 404:
                return None
            raise
        return _appointment_of(self.system, data)

    async def cancel_appointment(self, appointment_id: str, *, reason: str) -> HisAppointment:
        """退号: set the Appointment cancelled; cancelling twice is harmless, an unknown one is gone already."""
        current = await self._fhir("GET", f"/Appointment/{appointment_id}")
        try:
            resource = fhir.parse_resource(current, "Appointment")
        except ValueError as error:
            raise HisProtocolError(self.system, str(error)) from error
        if resource.status == "cancelled":
            return _appointment(resource)
        data = fhir.dump(resource) | {"status": "cancelled", "cancelationReason": {"text": reason}}
        try:
            updated = await self._fhir("PUT", f"/Appointment/{appointment_id}", json_body=data)
        except IntegrationRejected as error:
            raise HisRejected(
                self.system, str(error), remote_code=error.remote_code, status=error.status
            ) from error
        return _appointment_of(self.system, updated)

    def parse_notification(self, data: Any) -> HisNotification:
        """A pushed status event (already signature-checked by the caller), validated as FHIR."""
        return parse_notification(data)


def parse_notification(data: Any) -> HisNotification:
    """{"event_id", "type": "appointment"|"schedule_stopped", "resources": [FHIR ...], "reason"?}."""
    if not isinstance(data, dict) or not data.get("event_id") or not isinstance(data.get("resources"), list):
        raise HisProtocolError("his", "notification needs event_id and resources")
    kind = str(data.get("type") or "")
    try:
        resources = [fhir.parse_resource(item) for item in data["resources"]]
    except ValueError as error:
        raise HisProtocolError("his", str(error)) from error
    appointments = tuple(_appointment(r) for r in resources if r.get_resource_type() == "Appointment")
    if kind == "appointment":
        return HisNotification(event_id=str(data["event_id"]), kind=kind, appointments=appointments)
    if kind == "schedule_stopped":
        schedules = [r for r in resources if r.get_resource_type() == "Schedule"]
        if not schedules:
            raise HisProtocolError("his", "schedule_stopped without a Schedule")
        schedule = schedules[0]
        doctor = next(
            (
                a.reference.split("/", 1)[1]
                for a in schedule.actor
                if (a.reference or "").startswith("PractitionerRole/")
            ),
            None,
        )
        slot_ids = tuple(r.id for r in resources if r.get_resource_type() == "Slot")
        return HisNotification(
            event_id=str(data["event_id"]),
            kind=kind,
            appointments=appointments,
            stopped_schedule_id=schedule.id,
            stopped_doctor_id=doctor,
            stopped_slot_ids=slot_ids,
            reason=str(data.get("reason") or "") or None,
        )
    raise HisProtocolError("his", f"unknown notification type {kind!r}")


# ------------------------------------------------------------------------------------------ parsing


def _first_issue(data: Any) -> dict[str, Any]:
    try:
        outcome = fhir.parse_resource(data, "OperationOutcome")
    except ValueError:
        return {}
    issue = outcome.issue[0]
    return {"code": issue.code, "diagnostics": issue.diagnostics}


def _hospital(org: Any) -> HisHospital:
    kind = "hospital"
    for concept in org.type or []:
        for coding in concept.coding or []:
            if coding.code == "community":
                kind = "community_health_centre"
    address = org.address[0].text if org.address else None
    phone = next((t.value for t in org.telecom or [] if t.system == "phone"), None) if org.telecom else None
    return HisHospital(
        id=org.id, name=org.name, alias=tuple(org.alias or ()), address=address, phone=phone, kind=kind
    )


def _department(service: Any) -> HisDepartment:
    category = service.category[0].text if service.category else None
    return HisDepartment(
        id=service.id,
        hospital_id=service.providedBy.reference.split("/", 1)[1],
        name=service.name,
        category=category,
        comment=service.comment,
    )


def _doctor(role: Any, people: dict[str, Any]) -> HisDoctor:
    practitioner_id = role.practitioner.reference.split("/", 1)[1]
    person = people.get(practitioner_id)
    if person is None:
        raise HisProtocolError("his", f"PractitionerRole/{role.id} without its Practitioner")
    title = role.code[0].coding[0] if role.code and role.code[0].coding else None
    fee = fhir.extension_value(role, fhir.EXT_FEE)
    fee_fen = int(round(float(fee.value) * 100)) if fee is not None else 0
    return HisDoctor(
        id=role.id,
        practitioner_id=practitioner_id,
        hospital_id=role.organization.reference.split("/", 1)[1],
        department_id=role.healthcareService[0].reference.split("/", 1)[1],
        name=person.name[0].text,
        title_code=title.code if title else "resident",
        title=title.display if title else "",
        specialty=role.specialty[0].text if role.specialty else None,
        fee_fen=fee_fen,
        gender=person.gender,
    )


def _slot(slot: Any, doctor_id: str) -> HisSlot:
    capacity = fhir.extension_value(slot, fhir.EXT_CAPACITY)
    booked = fhir.extension_value(slot, fhir.EXT_BOOKED)
    session = fhir.extension_value(slot, fhir.EXT_SESSION)
    try:
        return HisSlot(
            id=slot.id,
            schedule_id=slot.schedule.reference.split("/", 1)[1],
            doctor_id=doctor_id,
            start=slot.start,
            end=slot.end,
            status=slot.status,
            capacity=int(capacity if capacity is not None else 1),
            booked=int(booked or 0),
            session=str(session or ("am" if slot.start.hour < 12 else "pm")),
        )
    except (TypeError, ValueError) as error:
        raise HisProtocolError("his", f"malformed Slot/{slot.id}") from error


def _appointment(resource: Any) -> HisAppointment:
    booking_id = next((i.value for i in resource.identifier or [] if i.system == fhir.BOOKING_SYSTEM), None)
    slot_id = resource.slot[0].reference.split("/", 1)[1] if resource.slot else None
    number = fhir.extension_value(resource, fhir.EXT_QUEUE_NUMBER)
    reason = resource.cancelationReason.text if resource.cancelationReason else None
    return HisAppointment(
        id=resource.id,
        status=resource.status,
        booking_id=booking_id,
        slot_id=slot_id,
        queue_number=int(number) if number is not None else None,
        cancellation_reason=reason,
    )


def _appointment_of(system: str, data: Any) -> HisAppointment:
    try:
        return _appointment(fhir.parse_resource(data, "Appointment"))
    except ValueError as error:
        raise IntegrationProtocolError(system, str(error)) from error
