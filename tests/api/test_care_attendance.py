"""No-shows of doctor appointments are the hospital's word, not the engine's clock: the generic
no-show job leaves care bookings alone until the HIS has said who came, a patient who checked in at
the hospital is never banned (even when the HIS's push was lost), and a reported no-show counts."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.bookings import upkeep
from services.care import attendance
from services.care.models import CareAppointment
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

DOCTORS = ["jy-rmyy-nk-02", "jy-rmyy-wk-02", "jy-rmyy-gk-02"]  # three clinics: within the day's caps
LATER = "jy-rmyy-ek-02"


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def _status(client, settings, user, booking_id: str) -> str:
    response = await client.get(f"/api/v1/bookings/{booking_id}", headers=auth_headers(user, settings))
    assert response.status_code == 200, response.text
    return response.json()["status"]


async def test_no_show__decided_by_the_his_a_patient_who_checked_in_is_never_banned(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    user = await patient(runtime, name="孙秀梅")
    await consent(client, settings, user)
    booking_ids = []
    for doctor in DOCTORS:
        _, slots = await find_open_day(client, doctor)
        booked = await client.post(
            "/api/v1/bookings", json={"slot_id": slots[0]["id"]}, headers=auth_headers(user, settings)
        )
        assert booked.status_code == 201, booked.text
        booking_ids.append(booked.json()["id"])
    await deliver(runtime)
    at_his = {a["identifier"][0]["value"]: a["id"] for a in await his_appointments(client)}
    came, silent, absent = booking_ids
    # She checked in for the first two at the hospital, but the HIS's pushes never reached us.
    for booking_id in (came, silent):
        lost = await client.post(f"/sandbox/his/__arrive/{at_his[booking_id]}", json={"notify": False})
        assert lost.status_code == 200 and lost.json()["callback_status"] is None
    pushed = await client.post(f"/sandbox/his/__noshow/{at_his[absent]}")
    assert pushed.json()["callback_status"] == 200

    # Days later the engine's no-show job runs: it does not guess for care, only the HIS decides.
    later = clock.now() + dt.timedelta(days=9)
    await upkeep.mark_no_shows(policies=runtime.booking_policies, now=later)
    assert [await _status(client, settings, user, b) for b in booking_ids] == [
        "confirmed",
        "confirmed",
        "no_show",
    ]
    # Not banned: one no-show (the HIS's) is below the hospital's three.
    _, slots = await find_open_day(client, LATER)
    again = await client.post(
        "/api/v1/bookings", json={"slot_id": slots[0]["id"]}, headers=auth_headers(user, settings)
    )
    assert again.status_code == 201, again.text

    # Care asks the HIS about appointments it heard nothing of: both check-ins are found and applied.
    assert await attendance.sync_attendance(his=runtime.adapters.his, now=later) == 2
    assert (await CareAppointment.get(booking_id=came)).status == "arrived"
    await upkeep.mark_no_shows(policies=runtime.booking_policies, now=later)
    assert [await _status(client, settings, user, b) for b in booking_ids] == [
        "checked_in",
        "checked_in",
        "no_show",
    ]
