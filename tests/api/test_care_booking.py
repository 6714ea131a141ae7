"""Booking a doctor through the shared engine: consent, the patient and the `care` proxy, delivery
to the HIS as a FHIR Appointment, visibility of the clinic, 退号, no-show ban and a stopped clinic."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from citizen_api.worker import deliver_outbox_once
from integrations.his import fhir
from services.accounts.enums import Role, VerificationLevel
from services.care import appointments, catalogue
from services.care.models import CareAppointment, CareConsent
from tests.api.care_helpers import (
    consent,
    deliver,
    find_open_day,
    grant,
    his_appointments,
    inbox_kinds,
    patient,
    reset_outside_systems,
)
from tests.factories import auth_headers, make_user

DOCTOR = "jy-rmyy-ek-02"  # 陈静, 医师 (5 numbers a slot), 儿科, 济源市人民医院 (demo)


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def _book(client, settings, user, slot_id: str, **headers: str) -> httpx.Response:
    return await client.post(
        "/api/v1/bookings", json={"slot_id": slot_id}, headers=auth_headers(user, settings, **headers)
    )


async def test_booking__needs_consent_then_reaches_the_his_as_a_valid_fhir_appointment(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    _, slots = await find_open_day(client, DOCTOR)
    user = await patient(runtime, name="李建华")
    refused = await _book(client, settings, user, slots[0]["id"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "care.consent_required"
    assert (await client.get("/api/v1/care/consent", headers=auth_headers(user, settings))).json()[
        "granted"
    ] is False
    await consent(client, settings, user)
    booked = await _book(client, settings, user, slots[0]["id"])
    assert booked.status_code == 201, booked.text
    booking_id = booked.json()["id"]
    await deliver(runtime)
    stored = [a for a in await his_appointments(client) if a["identifier"][0]["value"] == booking_id]
    assert len(stored) == 1
    appointment = fhir.parse_resource(stored[0], "Appointment")  # valid FHIR on the HIS side too
    assert appointment.status == "booked"
    assert any(p.actor.reference == f"PractitionerRole/{DOCTOR}" for p in appointment.participant)
    detail = await client.get(f"/api/v1/care/appointments/{booking_id}", headers=auth_headers(user, settings))
    assert detail.status_code == 200
    assert detail.json()["status"] == "booked" and detail.json()["queue_number"] == 1
    assert detail.json()["department_id"] == "jy-rmyy-ek"
    assert "care.notify.appointment_booked" in await inbox_kinds(client, settings, user)
    # Delivering again (an at-least-once retry after a lost answer) creates nothing new at the HIS.
    await CareAppointment.filter(booking_id=booking_id).update(status="pending")
    await appointments.deliver_appointment(
        booking_id=booking_id,
        event_id="again",
        his=runtime.adapters.his,
        cipher=runtime.cipher,
        redis=runtime.redis,
        keys=runtime.keys,
    )
    assert len([a for a in await his_appointments(client) if a["identifier"][0]["value"] == booking_id]) == 1


async def test_booking__for_a_parent_needs_the_care_scope_and_a_verified_parent(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    _, slots = await find_open_day(client, DOCTOR)
    parent = await patient(runtime, name="王桂芝", born=dt.date(1948, 3, 9))
    child, stranger = await patient(runtime, name="王小明"), await patient(runtime, name="赵四")
    as_parent = {"X-Acting-For": str(parent.id)}
    no_grant = await _book(client, settings, stranger, slots[0]["id"], **as_parent)
    assert no_grant.status_code == 403
    await grant(child, parent, scopes=("bookings",))
    await consent(client, settings, parent)
    wrong_scope = await _book(client, settings, child, slots[0]["id"], **as_parent)
    assert (
        wrong_scope.status_code == 403 and wrong_scope.json()["error"]["code"] == "care.proxy_scope_required"
    )
    await grant(child, parent, scopes=("bookings", "care"))
    booked = await _book(client, settings, child, slots[0]["id"], **as_parent)
    assert booked.status_code == 201, booked.text
    assert booked.json()["for_member"] == str(parent.id)
    await deliver(runtime)
    # The HIS matched the PARENT as the patient (by ID number), not the child who booked.
    patients = (await client.get("/sandbox/his/__state")).json()["patients"]
    assert patients == 1
    booking_id = booked.json()["id"]
    for who, headers in ((parent, {}), (child, as_parent), (child, {})):
        seen = await client.get(
            f"/api/v1/care/appointments/{booking_id}", headers=auth_headers(who, settings, **headers)
        )
        assert seen.status_code == 200, (who, headers)
    assert (
        await client.get(f"/api/v1/care/appointments/{booking_id}", headers=auth_headers(stranger, settings))
    ).status_code == 404
    other_staff = await make_user(roles={Role.DEPT_OPERATOR: ["hospital:jy-zyy"]})
    own_staff = await make_user(roles={Role.DEPT_OPERATOR: ["hospital:jy-rmyy"]})
    assert (
        await client.get(
            f"/api/v1/care/appointments/{booking_id}", headers=auth_headers(other_staff, settings)
        )
    ).status_code == 404
    assert (
        await client.get(f"/api/v1/care/appointments/{booking_id}", headers=auth_headers(own_staff, settings))
    ).status_code == 200
    # An unverified parent cannot be booked for, even by a proxy with the care scope.
    unverified = await patient(runtime, level=VerificationLevel.PHONE)
    await grant(child, unverified)
    refused = await _book(client, settings, child, slots[1]["id"], **{"X-Acting-For": str(unverified.id)})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] in {"auth.verification_required", "care.real_name_required"}


async def test_cancellation__tui_hao_reaches_the_his_and_frees_the_number(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    day, slots = await find_open_day(client, DOCTOR)
    user = await patient(runtime)
    await consent(client, settings, user)
    slot_key = runtime.keys("care", "his", "slots", f"{DOCTOR}:{day}")
    assert 0 < await runtime.redis.ttl(slot_key) <= catalogue.TTL_S["slots"]  # cached, briefly
    booked = await _book(client, settings, user, slots[0]["id"])
    await deliver(runtime)
    # The number taken at the HIS drops the cached schedule of that doctor and day; the list counts it.
    assert not await runtime.redis.exists(slot_key)
    taken = (await client.get(f"/api/v1/care/doctors/{DOCTOR}/slots", params={"date": day})).json()["items"]
    assert next(s for s in taken if s["id"] == slots[0]["id"])["remaining"] == slots[0]["capacity"] - 1
    cancelled = await client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=auth_headers(user, settings)
    )
    assert cancelled.status_code == 200, cancelled.text
    # The cancellation queued the HIS's 退号 in its own transaction: the outbox alone delivers it.
    while await deliver_outbox_once(runtime):
        pass
    stored = next(
        a for a in await his_appointments(client) if a["identifier"][0]["value"] == booked.json()["id"]
    )
    assert stored["status"] == "cancelled"
    after = (await client.get(f"/api/v1/care/doctors/{DOCTOR}/slots", params={"date": day})).json()["items"]
    assert next(s for s in after if s["id"] == slots[0]["id"])["remaining"] == slots[0]["capacity"]


async def test_no_show__three_reported_by_the_his_ban_booking_for_90_days(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    user = await patient(runtime)
    await consent(client, settings, user)
    doctors = ["jy-rmyy-nk-02", "jy-rmyy-wk-02", "jy-rmyy-gk-02"]  # three clinics: within the day's caps
    booking_ids = []
    for doctor in doctors:
        _, slots = await find_open_day(client, doctor)
        booked = await _book(client, settings, user, slots[0]["id"])
        assert booked.status_code == 201, booked.text
        booking_ids.append(booked.json()["id"])
    await deliver(runtime)
    stored = {a["identifier"][0]["value"]: a["id"] for a in await his_appointments(client)}
    for booking_id in booking_ids:
        pushed = await client.post(f"/sandbox/his/__noshow/{stored[booking_id]}")
        assert pushed.json()["callback_status"] == 200, pushed.text
    for booking_id in booking_ids:
        assert (await CareAppointment.get(booking_id=booking_id)).status == "noshow"
    # A replayed push (same event id, fresh signature) changes nothing.
    assert (await client.post("/sandbox/his/__replay")).json()["callback_status"] == 200
    _, slots = await find_open_day(client, DOCTOR)
    banned = await _book(client, settings, user, slots[0]["id"])
    assert banned.status_code in (403, 409), banned.text
    assert banned.json()["error"]["code"] == "booking.banned"


async def test_stopped_clinic__cancels_every_booking_tells_each_patient_and_closes_the_slots(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    day, slots = await find_open_day(client, DOCTOR)
    first, second, late = await patient(runtime), await patient(runtime), await patient(runtime)
    for user in (first, second, late):
        await consent(client, settings, user)
    one = await _book(client, settings, first, slots[0]["id"])
    two = await _book(client, settings, second, slots[-1]["id"])
    assert one.status_code == two.status_code == 201
    await deliver(runtime)
    schedule_id = "-".join(slots[0]["id"] and [DOCTOR, day.replace("-", ""), slots[0]["session"]])
    stopped = await client.post(f"/sandbox/his/__stop/{schedule_id}", json={"reason": "医生外出会诊"})
    assert stopped.json()["callback_status"] == 200, stopped.text
    same_session = [b for b, s in ((one, slots[0]), (two, slots[-1])) if s["session"] == slots[0]["session"]]
    for booking in same_session:
        detail = await client.get(
            f"/api/v1/bookings/{booking.json()['id']}",
            headers=auth_headers(first if booking is one else second, settings),
        )
        assert detail.json()["status"] == "cancelled"
    assert "care.notify.clinic_stopped" in await inbox_kinds(client, settings, first)
    shown = (await client.get(f"/api/v1/care/doctors/{DOCTOR}/slots", params={"date": day})).json()["items"]
    assert next(s for s in shown if s["id"] == slots[0]["id"])["status"] == "stopped"
    refused = await _book(client, settings, late, slots[0]["id"])
    assert refused.status_code == 409, refused.text


async def test_consent__stored_per_version_an_older_one_does_not_count(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    _, slots = await find_open_day(client, DOCTOR)
    father, daughter = await patient(runtime, name="许德明", born=dt.date(1945, 3, 3)), await patient(runtime)
    await grant(daughter, father)  # care and bookings
    as_father = {"X-Acting-For": str(father.id)}
    # He agreed to last year's text; the current version asks again.
    await CareConsent.create(user_id=father.id, version="care-medical-2025-01", granted_by_id=father.id)
    refused = await _book(client, settings, daughter, slots[0]["id"], **as_father)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "care.consent_required"
    assert refused.json()["error"]["details"]["version"] == appointments.CONSENT_VERSION
    stale = await client.post(
        "/api/v1/care/consent",
        json={"version": "care-medical-2025-01"},
        headers=auth_headers(daughter, settings, **as_father),
    )
    assert stale.status_code == 422 and stale.json()["error"]["code"] == "care.consent_version"
    await consent(client, settings, daughter, **as_father)  # the proxy consents for him, recorded as hers
    rows = await CareConsent.filter(user_id=father.id).order_by("granted_at")
    assert [(r.version, r.granted_by_id) for r in rows] == [
        ("care-medical-2025-01", father.id),
        (appointments.CONSENT_VERSION, daughter.id),
    ]
    assert (await client.get("/api/v1/care/consent", headers=auth_headers(daughter, settings))).json()[
        "granted"
    ] is False  # her own consent is separate from her father's
    booked = await _book(client, settings, daughter, slots[0]["id"], **as_father)
    assert booked.status_code == 201, booked.text
    # The appointment is a booking like any other: in /me/bookings of the patient and of the proxy.
    for who in (daughter, father):
        mine = (await client.get("/api/v1/me/bookings", headers=auth_headers(who, settings))).json()["items"]
        assert [(b["id"], b["resource"]["owner_domain"]) for b in mine] == [(booked.json()["id"], "care")]
        assert mine[0]["resource"]["name"] == "济源市人民医院 陈静（医师）"  # before any catalogue mirror ran
