"""Care's privacy hooks through the API: the person's export holds their medical consent, appointments
(hospital, clinic, doctor) and home-care orders in clear; erasure deletes the medical records and
leaves each order only as an anonymous figure (kind, status, amounts), its address, notes and rating text gone."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.care.models import CareAppointment, CareConsent, CareOrder
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

DOCTOR = "jy-rmyy-ek-02"  # 陈静, 儿科, 济源市人民医院 (demo)
COMMUNITY = "qinyuan-xuanhua"
ADDRESS = "济源市沁园街道宣化街33号"


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def test_export_and_erase__consent_appointments_and_orders(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    elder = await patient(runtime, name="曹桂芝", born=dt.date(1940, 10, 10))
    stranger = await patient(runtime)
    headers = auth_headers(elder, settings)
    await consent(client, settings, elder)
    _, slots = await find_open_day(client, DOCTOR)
    booked = await client.post("/api/v1/bookings", json={"slot_id": slots[0]["id"]}, headers=headers)
    assert booked.status_code == 201, booked.text
    start = clock.to_local(clock.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    placed = await client.post(
        "/api/v1/care/eldercare/orders",
        json={
            "kind": "cleaning",
            "community_code": COMMUNITY,
            "address": ADDRESS,
            "notes": "钥匙在门口地垫下",
            "window_start": start.isoformat(),
            "window_end": (start + dt.timedelta(hours=2)).isoformat(),
        },
        headers=headers,
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["id"]
    await deliver(runtime)

    care = (await client.get("/api/v1/me/export", headers=headers)).json()["domains"]["care"]
    assert [c["version"] for c in care["consents"]] == ["care-medical-2026-12"]
    [appointment] = care["appointments"]
    assert (appointment["booking_id"], appointment["department"], appointment["doctor"]) == (
        booked.json()["id"],
        "jy-rmyy-ek",
        DOCTOR,
    )
    [order] = care["orders"]
    assert (order["address"], order["notes"], order["subsidy_fen"]) == (ADDRESS, "钥匙在门口地垫下", 4500)
    assert care["subsidies"][0]["spent_fen"] == 4500
    other = (await client.get("/api/v1/me/export", headers=auth_headers(stranger, settings))).json()
    assert other["domains"]["care"]["appointments"] == [] and other["domains"]["care"]["orders"] == []

    assert (await client.delete("/api/v1/me", headers=headers)).status_code == 204
    await deliver(runtime)
    assert not await CareConsent.filter(user_id=elder.id).exists()
    assert not await CareAppointment.filter(subject_id=elder.id).exists()
    kept = await CareOrder.get(id=order_id)
    assert (kept.address_enc, kept.address_masked, kept.notes_enc) == (None, None, None)
    assert (kept.kind.value, kept.price_fen) == ("cleaning", 4500)  # the anonymous figure stays
    # Erasure voids what is still to come: the 退号 at the HIS, the home visit at the provider.
    [at_his] = [
        a for a in await his_appointments(client) if a["identifier"][0]["value"] == booked.json()["id"]
    ]
    assert at_his["status"] == "cancelled"
    assert kept.status.value == "cancelled"
    platform = (await client.get("/sandbox/eldercare/api/orders")).json()["orders"]
    assert [o["status"] for o in platform if o["order_id"] == order_id] == ["cancelled"]
