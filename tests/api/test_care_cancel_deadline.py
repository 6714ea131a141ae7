"""退号 only until the hospital's deadline: the doctor's resource carries the hospital's
cancel_deadline_minutes, a later cancel is refused (409, in the caller's language) and nothing
reaches the HIS; the appointment stays booked there."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from citizen_api.worker import deliver_outbox_once
from services.bookings.models import Resource
from services.care.models import CareHospital
from services.care.rules import HospitalRules
from services.common import clock
from tests.api.care_helpers import (
    consent,
    deliver,
    find_open_day,
    his_appointments,
    patient,
    reset_outside_systems,
)
from tests.factories import auth_headers

DOCTOR = "jy-rmyy-ek-02"


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def test_cancel__after_the_hospitals_deadline_is_refused_and_the_his_keeps_the_number(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    _, slots = await find_open_day(client, DOCTOR)
    # The hospital allows 退号 only until 8 days before the visit: every slot of the week is past it.
    # (The slots read mirrored the hospital already: its rules are changed, as an operator would.)
    await CareHospital.filter(his_id="jy-rmyy").update(
        rules=HospitalRules(cancel_deadline_minutes=8 * 24 * 60).as_dict()
    )
    rules = HospitalRules(cancel_deadline_minutes=8 * 24 * 60).booking_rules()
    await Resource.filter(owner_ref=f"his:{DOCTOR}").update(rules=rules.as_dict())
    user = await patient(runtime)
    await consent(client, settings, user)
    booked = await client.post(
        "/api/v1/bookings", json={"slot_id": slots[0]["id"]}, headers=auth_headers(user, settings)
    )
    assert booked.status_code == 201, booked.text
    await deliver(runtime)
    late = await client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel",
        headers=auth_headers(user, settings, **{"Accept-Language": "en"}),
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "booking.cancel_too_late", late.text
    deadline = dt.datetime.fromisoformat(late.json()["error"]["details"]["deadline"])
    assert deadline < clock.now() < dt.datetime.fromisoformat(slots[0]["start"])
    while await deliver_outbox_once(runtime):
        pass
    stored = next(
        a for a in await his_appointments(client) if a["identifier"][0]["value"] == booked.json()["id"]
    )
    assert stored["status"] == "booked"
