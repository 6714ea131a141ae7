"""Sandbox of the hospitals' information system (HIS): HL7 FHIR R4 over REST, with real state.

It holds three demo providers (济源市人民医院, 济源市中医院, 沁园街道社区卫生服务中心), their clinics
(HealthcareService), doctors (Practitioner + PractitionerRole with title and 挂号费), and a rolling
week of Schedules (morning and afternoon sessions) cut into Slots that each offer a few numbered
places (extension slot-capacity). Every resource is built and validated with fhir.resources.
Errors are OperationOutcome resources. Status changes are pushed to `options.callback_url` as
HMAC-signed events: check-in (arrived), no-show, and a doctor's stopped clinic (停诊).

Routes (under /sandbox/his when mounted):
  GET  /fhir/metadata                                     CapabilityStatement (summary)
  GET  /fhir/Organization?type=&active=&_id=              hospitals
  GET  /fhir/HealthcareService?organization=&_id=         clinics
  GET  /fhir/PractitionerRole?service=&organization=&_id=&_include=PractitionerRole:practitioner
  GET  /fhir/Slot?schedule.actor=PractitionerRole/<id>&start=ge..&start=lt..&status=
  GET  /fhir/Schedule?actor=PractitionerRole/<id>
  POST /fhir/Patient        (If-None-Exist: identifier=system|value)
  POST /fhir/Appointment    (If-None-Exist: identifier=system|value) -> 201, or 200 with the first one
  GET|PUT /fhir/Appointment/<id>, GET /fhir/Appointment?identifier=
  POST /__arrive/<appointment>, /__noshow/<appointment>   the patient came / did not come: call back
       {"notify": false}                                  ... or only record it (the push is lost)
  POST /__stop/<schedule>  {"reason"}                     停诊: cancel its appointments and call back
  GET  /__state, POST /__reset                            counters for tests; start again
  GET|POST|DELETE /__faults                               fault injection
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from integrations.his import fhir
from integrations.sandbox.callbacks import post_signed_callback
from integrations.sandbox.faults import SandboxOptions, install_faults
from integrations.sandbox.his_data import DEMO_HOSPITALS, SESSIONS, SLOT_MINUTES, TITLES
from integrations.sandbox.his_data import works as _works

__all__ = ["DEMO_HOSPITALS", "create_blueprint"]

log = logging.getLogger(__name__)
_TZ = ZoneInfo("Asia/Shanghai")


class _His:
    """The HIS's state: FHIR resources as fhir.resources models, plus counters for tests."""

    def __init__(self, *, days: int, today: dt.date | None = None):
        self.organizations: dict[str, Any] = {}
        self.services: dict[str, Any] = {}
        self.practitioners: dict[str, Any] = {}
        self.roles: dict[str, Any] = {}
        self.schedules: dict[str, Any] = {}
        self.slots: dict[str, Any] = {}
        self.slot_numbers: dict[str, int] = {}  # schedule id -> numbers handed out
        self.patients: dict[str, Any] = {}
        self.appointments: dict[str, Any] = {}
        self.by_booking: dict[str, str] = {}
        self.events: list[dict[str, Any]] = []
        self.requests: dict[str, int] = {}
        self._days = days
        self._today = today or dt.datetime.now(_TZ).date()
        self._titles: dict[str, tuple[str, str]] = {}  # role id -> (service id, title code)
        self._scheduled: set[str] = set()
        self._build()

    def ensure_schedule(self, role_id: str) -> None:
        """Build a doctor's week of Schedules and Slots the first time anyone asks (keeps resets cheap)."""
        if role_id in self._scheduled or role_id not in self._titles:
            return
        self._scheduled.add(role_id)
        service_id, title = self._titles[role_id]
        for offset in range(self._days + 1):
            self._add_sessions(role_id, service_id, self._today + dt.timedelta(days=offset), title)

    def role_of(self, resource_id: str) -> str:
        """The PractitionerRole id a Schedule or Slot id starts with."""
        return next((r for r in self._titles if resource_id.startswith(r + "-")), "")

    def _build(self) -> None:
        for hospital in DEMO_HOSPITALS:
            org_id = hospital["id"]
            type_code = "community" if hospital["kind"] == "community_health_centre" else "prov"
            self.organizations[org_id] = fhir.models()["Organization"].model_validate(
                {
                    "resourceType": "Organization",
                    "id": org_id,
                    "active": True,
                    "text": {
                        "status": "generated",
                        "div": '<div xmlns="http://www.w3.org/1999/xhtml">演示数据 demo</div>',
                    },
                    "type": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                                    "code": "prov",
                                }
                            ]
                        },
                        {
                            "coding": [
                                {
                                    "system": "https://his.jiyuan.gov.cn/fhir/CodeSystem/org-kind",
                                    "code": type_code,
                                }
                            ]
                        },
                    ],
                    "name": hospital["name"],
                    "alias": hospital["alias"],
                    "telecom": [{"system": "phone", "value": hospital["phone"]}],
                    "address": [{"text": hospital["address"], "city": "济源市", "state": "河南省"}],
                }
            )
            for clinic_code, (clinic_name, doctors) in hospital["clinics"].items():
                service_id = f"{org_id}-{clinic_code}"
                self.services[service_id] = fhir.models()["HealthcareService"].model_validate(
                    {
                        "resourceType": "HealthcareService",
                        "id": service_id,
                        "active": True,
                        "providedBy": {"reference": f"Organization/{org_id}"},
                        "category": [{"text": "门诊"}],
                        "name": clinic_name,
                        "comment": f"{hospital['name']}{clinic_name}门诊",
                    }
                )
                for index, (name, gender, title, specialty) in enumerate(doctors, start=1):
                    role_id = f"{service_id}-{index:02d}"
                    display, fee, _ = TITLES[title]
                    self.practitioners[role_id] = fhir.models()["Practitioner"].model_validate(
                        {
                            "resourceType": "Practitioner",
                            "id": role_id,
                            "active": True,
                            "name": [{"text": name}],
                            "gender": gender,
                        }
                    )
                    self.roles[role_id] = fhir.models()["PractitionerRole"].model_validate(
                        {
                            "resourceType": "PractitionerRole",
                            "id": role_id,
                            "active": True,
                            "practitioner": {"reference": f"Practitioner/{role_id}"},
                            "organization": {"reference": f"Organization/{org_id}"},
                            "healthcareService": [{"reference": f"HealthcareService/{service_id}"}],
                            "code": [
                                {"coding": [{"system": fhir.TITLE_SYSTEM, "code": title, "display": display}]}
                            ],
                            "specialty": [{"text": specialty}],
                            "extension": [
                                {"url": fhir.EXT_FEE, "valueMoney": {"value": fee, "currency": "CNY"}}
                            ],
                        }
                    )
                    self._titles[role_id] = (service_id, title)

    def _add_sessions(self, role_id: str, service_id: str, day: dt.date, title: str) -> None:
        for session, (begin, finish) in SESSIONS.items():
            if not _works(role_id, day, session):
                continue
            schedule_id = f"{role_id}-{day:%Y%m%d}-{session}"
            start = dt.datetime.combine(day, begin, tzinfo=_TZ)
            end = dt.datetime.combine(day, finish, tzinfo=_TZ)
            self.schedules[schedule_id] = fhir.models()["Schedule"].model_validate(
                {
                    "resourceType": "Schedule",
                    "id": schedule_id,
                    "active": True,
                    "actor": [
                        {"reference": f"PractitionerRole/{role_id}"},
                        {"reference": f"HealthcareService/{service_id}"},
                    ],
                    "planningHorizon": {"start": start.isoformat(), "end": end.isoformat()},
                }
            )
            self.slot_numbers[schedule_id] = 0
            moment, position = start, 1
            while moment < end:
                slot_id = f"{schedule_id}-{position:02d}"
                self.slots[slot_id] = fhir.models()["Slot"].model_validate(
                    {
                        "resourceType": "Slot",
                        "id": slot_id,
                        "schedule": {"reference": f"Schedule/{schedule_id}"},
                        "status": "free",
                        "start": moment.isoformat(),
                        "end": (moment + dt.timedelta(minutes=SLOT_MINUTES)).isoformat(),
                        "extension": _slot_extensions(TITLES[title][2], 0, session),
                    }
                )
                moment += dt.timedelta(minutes=SLOT_MINUTES)
                position += 1


def _slot_extensions(capacity: int, booked: int, session: str) -> list[dict[str, Any]]:
    return [
        {"url": fhir.EXT_CAPACITY, "valueInteger": capacity},
        {"url": fhir.EXT_BOOKED, "valueInteger": booked},
        {"url": fhir.EXT_SESSION, "valueCode": session},
    ]


def _ref_id(value: str | None, kind: str) -> str:
    text = value or ""
    return text.split("/", 1)[1] if text.startswith(kind + "/") else text


def _start_filters(values: list[str]) -> list[tuple[str, dt.datetime]]:
    filters = []
    for value in values:
        prefix, rest = (
            (value[:2], value[2:]) if value[:2] in {"ge", "gt", "lt", "le", "eq"} else ("eq", value)
        )
        moment = dt.datetime.fromisoformat(rest.replace(" ", "+"))
        filters.append((prefix, moment if moment.tzinfo else moment.replace(tzinfo=_TZ)))
    return filters


def _matches(moment: dt.datetime, filters: list[tuple[str, dt.datetime]]) -> bool:
    ops = {
        "ge": moment.__ge__,
        "gt": moment.__gt__,
        "lt": moment.__lt__,
        "le": moment.__le__,
        "eq": moment.__eq__,
    }
    return all(ops[prefix](bound) for prefix, bound in filters)


def create_blueprint(options: SandboxOptions) -> Blueprint:
    bp = Blueprint(f"sandbox_his_{uuid.uuid4().hex[:8]}")
    install_faults(bp, options.faults)
    # Built on the first request, not with the blueprint: an API that mounts the sandboxes but is
    # never asked about care does not import fhir.resources (issue 12).
    current: dict[str, _His | None] = {"his": None}
    lock = asyncio.Lock()

    class _Current:
        def __getattr__(self, name: str) -> Any:
            if current["his"] is None:
                current["his"] = _His(days=int(options.extra.get("days", 8)))
            return getattr(current["his"], name)

    his = _Current()

    def fhir_json(data: dict[str, Any], status: int = 200) -> HTTPResponse:
        return json(data, status=status, content_type="application/fhir+json")

    def outcome(status: int, code: str, text: str) -> HTTPResponse:
        return fhir_json(fhir.operation_outcome(code, text), status)

    def count(name: str) -> None:
        his.requests[name] = his.requests.get(name, 0) + 1

    async def call_back(event: dict[str, Any]) -> int:
        """POST one signed event to the citizen API; its HTTP status (0 = unreachable)."""
        his.events.append(event)
        return await post_signed_callback(options, event)

    def set_slot(slot: Any, *, booked: int | None = None, status: str | None = None) -> None:
        session = fhir.extension_value(slot, fhir.EXT_SESSION)
        capacity = int(fhir.extension_value(slot, fhir.EXT_CAPACITY))
        taken = int(fhir.extension_value(slot, fhir.EXT_BOOKED)) if booked is None else booked
        data = fhir.dump(slot) | {"extension": _slot_extensions(capacity, taken, session)}
        if status is not None:
            data["status"] = status
        elif data["status"] != "busy-unavailable":
            data["status"] = "busy" if taken >= capacity else "free"
        his.slots[slot.id] = fhir.models()["Slot"].model_validate(data)

    @bp.get("/fhir/metadata")
    async def metadata(request: Request) -> HTTPResponse:
        return fhir_json(
            {
                "resourceType": "CapabilityStatement",
                "status": "active",
                "fhirVersion": fhir.FHIR_VERSION,
                "format": ["json"],
                "rest": [{"mode": "server", "resource": [{"type": t} for t in sorted(fhir.models())]}],
            }
        )

    @bp.get("/fhir/Organization")
    async def organizations(request: Request) -> HTTPResponse:
        count("Organization")
        wanted = request.args.get("_id")
        found = [o for o in his.organizations.values() if wanted in (None, o.id)]
        return fhir_json(fhir.search_bundle(found))

    @bp.get("/fhir/HealthcareService")
    async def services(request: Request) -> HTTPResponse:
        count("HealthcareService")
        org = _ref_id(request.args.get("organization"), "Organization")
        wanted = request.args.get("_id")
        found = [
            s
            for s in his.services.values()
            if (not org or s.providedBy.reference == f"Organization/{org}") and wanted in (None, s.id)
        ]
        return fhir_json(fhir.search_bundle(found))

    @bp.get("/fhir/PractitionerRole")
    async def roles(request: Request) -> HTTPResponse:
        count("PractitionerRole")
        service = _ref_id(request.args.get("service"), "HealthcareService")
        org = _ref_id(request.args.get("organization"), "Organization")
        wanted = request.args.get("_id")
        found = [
            r
            for r in his.roles.values()
            if (not service or r.healthcareService[0].reference == f"HealthcareService/{service}")
            and (not org or r.organization.reference == f"Organization/{org}")
            and wanted in (None, r.id)
        ]
        included = []
        if "PractitionerRole:practitioner" in request.args.getlist("_include", []):
            included = [his.practitioners[_ref_id(r.practitioner.reference, "Practitioner")] for r in found]
        return fhir_json(fhir.search_bundle(found, included=included))

    @bp.get("/fhir/Schedule")
    async def schedules(request: Request) -> HTTPResponse:
        actor = request.args.get("actor") or ""
        his.ensure_schedule(_ref_id(actor, "PractitionerRole"))
        found = [s for s in his.schedules.values() if any(a.reference == actor for a in s.actor)]
        return fhir_json(fhir.search_bundle(found))

    @bp.get("/fhir/Slot")
    async def slots(request: Request) -> HTTPResponse:
        count("Slot")
        actor = request.args.get("schedule.actor") or ""
        his.ensure_schedule(_ref_id(actor, "PractitionerRole"))
        status = request.args.get("status")
        try:
            filters = _start_filters(request.args.getlist("start", []))
        except ValueError:
            return outcome(400, "invalid", "start must be a FHIR dateTime with an optional prefix")
        schedule_ids = {s.id for s in his.schedules.values() if any(a.reference == actor for a in s.actor)}
        found = [
            s
            for s in his.slots.values()
            if _ref_id(s.schedule.reference, "Schedule") in schedule_ids
            and _matches(s.start, filters)
            and status in (None, s.status)
        ]
        found.sort(key=lambda s: s.start)
        return fhir_json(fhir.search_bundle(found))

    @bp.post("/fhir/Patient")
    async def create_patient(request: Request) -> HTTPResponse:
        count("Patient.create")
        try:
            patient = fhir.parse_resource(request.json, "Patient")
        except (ValueError, TypeError) as error:
            return outcome(400, "structure", str(error))
        condition = request.headers.get("if-none-exist", "")
        number = condition.split("|", 1)[1] if "|" in condition else None
        for existing in his.patients.values():
            if number and any(i.value == number for i in existing.identifier or []):
                return fhir_json(fhir.dump(existing))
        patient.id = "pat-" + uuid.uuid4().hex[:12]
        his.patients[patient.id] = patient
        return fhir_json(fhir.dump(patient), 201)

    @bp.post("/fhir/Appointment")
    async def create_appointment(request: Request) -> HTTPResponse:
        count("Appointment.create")
        try:
            appointment = fhir.parse_resource(request.json, "Appointment")
        except (ValueError, TypeError) as error:
            return outcome(400, "structure", str(error))
        booking = next(
            (i.value for i in appointment.identifier or [] if i.system == fhir.BOOKING_SYSTEM), None
        )
        if not booking:
            return outcome(400, "required", "Appointment.identifier with the booking system is required")
        async with lock:
            if booking in his.by_booking:
                return fhir_json(fhir.dump(his.appointments[his.by_booking[booking]]))
            slot_id = _ref_id(appointment.slot[0].reference if appointment.slot else None, "Slot")
            his.ensure_schedule(his.role_of(slot_id))
            slot = his.slots.get(slot_id)
            if slot is None:
                return outcome(404, "not-found", f"Slot/{slot_id} is unknown")
            if slot.status == "busy-unavailable":
                return outcome(409, "business-rule", "the clinic of this slot is stopped (停诊)")
            booked = int(fhir.extension_value(slot, fhir.EXT_BOOKED))
            if booked >= int(fhir.extension_value(slot, fhir.EXT_CAPACITY)):
                return outcome(409, "conflict", "the slot has no number left")
            patient_ref = next(
                (
                    p.actor.reference
                    for p in appointment.participant
                    if (p.actor.reference or "").startswith("Patient/")
                ),
                "",
            )
            if _ref_id(patient_ref, "Patient") not in his.patients:
                return outcome(422, "processing", "the Patient is unknown")
            schedule_id = _ref_id(slot.schedule.reference, "Schedule")
            his.slot_numbers[schedule_id] += 1
            set_slot(slot, booked=booked + 1)
            data = fhir.dump(appointment) | {
                "id": "appt-" + uuid.uuid4().hex[:12],
                "start": slot.start.isoformat(),
                "end": slot.end.isoformat(),
                "extension": [{"url": fhir.EXT_QUEUE_NUMBER, "valueInteger": his.slot_numbers[schedule_id]}],
            }
            stored = fhir.parse_resource(data, "Appointment")
            his.appointments[stored.id] = stored
            his.by_booking[booking] = stored.id
        return fhir_json(fhir.dump(stored), 201)

    @bp.get("/fhir/Appointment")
    async def search_appointments(request: Request) -> HTTPResponse:
        identifier = request.args.get("identifier") or ""
        value = identifier.split("|", 1)[-1]
        found = [his.appointments[his.by_booking[value]]] if value in his.by_booking else []
        if not identifier:
            found = list(his.appointments.values())
        return fhir_json(fhir.search_bundle(found))

    @bp.get("/fhir/Appointment/<appointment_id>")
    async def read_appointment(request: Request, appointment_id: str) -> HTTPResponse:
        found = his.appointments.get(appointment_id)
        if found is None:
            return outcome(404, "not-found", f"Appointment/{appointment_id} is unknown")
        return fhir_json(fhir.dump(found))

    @bp.put("/fhir/Appointment/<appointment_id>")
    async def update_appointment(request: Request, appointment_id: str) -> HTTPResponse:
        count("Appointment.update")
        current = his.appointments.get(appointment_id)
        if current is None:
            return outcome(404, "not-found", f"Appointment/{appointment_id} is unknown")
        try:
            updated = fhir.parse_resource(request.json, "Appointment")
        except (ValueError, TypeError) as error:
            return outcome(400, "structure", str(error))
        if updated.status != "cancelled":
            return outcome(422, "business-rule", "only cancellation is accepted from the platform")
        async with lock:
            if current.status not in ("booked", "pending", "proposed"):
                if current.status == "cancelled":
                    return fhir_json(fhir.dump(current))
                return outcome(
                    409, "business-rule", f"an appointment that is {current.status} cannot be cancelled"
                )
            release(current)
            his.appointments[appointment_id] = fhir.parse_resource(
                fhir.dump(current) | {"status": "cancelled", "cancelationReason": {"text": "patient"}},
                "Appointment",
            )
        return fhir_json(fhir.dump(his.appointments[appointment_id]))

    def release(appointment: Any) -> None:
        slot = his.slots.get(_ref_id(appointment.slot[0].reference, "Slot")) if appointment.slot else None
        if slot is not None:
            set_slot(slot, booked=max(0, int(fhir.extension_value(slot, fhir.EXT_BOOKED)) - 1))

    async def finish(request: Request, appointment_id: str, status: str) -> HTTPResponse:
        current = his.appointments.get(appointment_id)
        if current is None:
            return outcome(404, "not-found", f"Appointment/{appointment_id} is unknown")
        his.appointments[appointment_id] = fhir.parse_resource(
            fhir.dump(current) | {"status": status}, "Appointment"
        )
        if (request.json or {}).get("notify") is False if request.body else False:
            # The push is lost (our callback never hears of it): only a read of the Appointment tells.
            return json({"event": None, "callback_status": None})
        event = {
            "event_id": "HIS-" + uuid.uuid4().hex,
            "type": "appointment",
            "resources": [fhir.dump(his.appointments[appointment_id])],
        }
        return json({"event": event, "callback_status": await call_back(event)})

    @bp.post("/__arrive/<appointment_id>")
    async def arrive(request: Request, appointment_id: str) -> HTTPResponse:
        return await finish(request, appointment_id, "arrived")

    @bp.post("/__noshow/<appointment_id>")
    async def noshow(request: Request, appointment_id: str) -> HTTPResponse:
        return await finish(request, appointment_id, "noshow")

    @bp.post("/__stop/<schedule_id>")
    async def stop(request: Request, schedule_id: str) -> HTTPResponse:
        his.ensure_schedule(his.role_of(schedule_id))
        schedule = his.schedules.get(schedule_id)
        if schedule is None:
            return outcome(404, "not-found", f"Schedule/{schedule_id} is unknown")
        reason = str((request.json or {}).get("reason") or "医生停诊")
        his.schedules[schedule_id] = fhir.parse_resource(
            fhir.dump(schedule) | {"active": False, "comment": reason}, "Schedule"
        )
        stopped_slots = []
        for slot in list(his.slots.values()):
            if _ref_id(slot.schedule.reference, "Schedule") == schedule_id:
                set_slot(slot, status="busy-unavailable")
                stopped_slots.append(his.slots[slot.id])
        slot_refs = {f"Slot/{s.id}" for s in stopped_slots}
        cancelled = []
        for appointment_id, appointment in list(his.appointments.items()):
            if (
                appointment.status == "booked"
                and appointment.slot
                and appointment.slot[0].reference in slot_refs
            ):
                his.appointments[appointment_id] = fhir.parse_resource(
                    fhir.dump(appointment) | {"status": "cancelled", "cancelationReason": {"text": reason}},
                    "Appointment",
                )
                cancelled.append(his.appointments[appointment_id])
        event = {
            "event_id": "HIS-" + uuid.uuid4().hex,
            "type": "schedule_stopped",
            "reason": reason,
            "resources": [fhir.dump(his.schedules[schedule_id])]
            + [fhir.dump(s) for s in stopped_slots]
            + [fhir.dump(a) for a in cancelled],
        }
        return json({"event": event, "cancelled": len(cancelled), "callback_status": await call_back(event)})

    @bp.post("/__replay")
    async def replay(request: Request) -> HTTPResponse:
        """Send the last event again (fresh signature, same event id), as a HIS retry would."""
        if not his.events:
            return json({"code": "not_found"}, status=404)
        event = his.events.pop()
        return json({"callback_status": await call_back(event)})

    @bp.post("/__reset")
    async def reset(request: Request) -> HTTPResponse:
        """Start again from the demo data (tests)."""
        current["his"] = _His(days=int(options.extra.get("days", 8)))
        return json({"ok": True})

    @bp.get("/__state")
    async def state(request: Request) -> HTTPResponse:
        return json(
            {
                "requests": his.requests,
                "patients": len(his.patients),
                "appointments": [fhir.dump(a) for a in his.appointments.values()],
                "events": len(his.events),
            }
        )

    return bp
