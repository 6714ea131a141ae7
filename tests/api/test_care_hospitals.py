"""Hospital reads from the HIS through HTTP: hospitals, clinics, doctors, slots; the cache and its
invalidation; an HIS outage showing the last schedule marked stale and refusing new bookings."""

from __future__ import annotations

import httpx
import pytest

from services.care.models import SystemHealth
from tests.api.care_helpers import consent, find_open_day, patient, reset_outside_systems
from tests.factories import auth_headers

DOCTOR = "jy-rmyy-nk-01"  # 王建国, 主任医师, 内科, 济源市人民医院 (demo)


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def test_hospitals__listed_from_the_his_with_their_clinics_and_doctors(
    client: httpx.AsyncClient, runtime
) -> None:
    hospitals = (await client.get("/api/v1/care/hospitals")).json()
    assert {h["name"] for h in hospitals["items"]} == {
        "济源市人民医院",
        "济源市中医院",
        "沁园街道社区卫生服务中心",
    }
    assert hospitals["stale"] is False
    kinds = {h["id"]: h["kind"] for h in hospitals["items"]}
    assert kinds["jy-qysq"] == "community_health_centre"
    departments = (await client.get("/api/v1/care/hospitals/jy-zyy/departments")).json()["items"]
    assert {"中医科", "针灸推拿科"} <= {d["name"] for d in departments}
    doctors = (await client.get("/api/v1/care/departments/jy-rmyy-nk/doctors")).json()["items"]
    chief = next(d for d in doctors if d["id"] == DOCTOR)
    assert (chief["name"], chief["title"], chief["fee_fen"]) == ("王建国", "主任医师", 3000)
    unknown = await client.get("/api/v1/care/hospitals/nope/departments")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "care.hospital_not_found"
    # The catalogue was read from the HIS, once per list: the second read comes from the cache.
    before = (await client.get("/sandbox/his/__state")).json()["requests"]
    await client.get("/api/v1/care/hospitals")
    await client.get("/api/v1/care/departments/jy-rmyy-nk/doctors")
    after = (await client.get("/sandbox/his/__state")).json()["requests"]
    assert after == before


async def test_slots__mirrored_from_his_slots_with_capacity_session_and_fee(
    client: httpx.AsyncClient,
) -> None:
    day, slots = await find_open_day(client, DOCTOR)
    first = slots[0]
    assert first["start"].startswith(day) and first["start"].endswith("+08:00")
    assert (first["capacity"], first["remaining"], first["fee_fen"]) == (2, 2, 3000)
    assert first["session"] in {"am", "pm"}
    # Asking again mirrors nothing twice: the same engine slot ids.
    again = (await client.get(f"/api/v1/care/doctors/{DOCTOR}/slots", params={"date": day})).json()["items"]
    assert [s["id"] for s in again if s["status"] == "open"] == [s["id"] for s in slots]
    bad = await client.get(f"/api/v1/care/doctors/{DOCTOR}/slots", params={"date": "2026-13-01"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "care.bad_date"
    missing = await client.get("/api/v1/care/doctors/nobody/slots")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "care.doctor_not_found"


async def test_outage__cached_schedule_marked_stale_and_booking_refused(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    day, slots = await find_open_day(client, DOCTOR)
    user = await patient(runtime)
    await consent(client, settings, user)
    # The slot cache is short-lived; once it expires the HIS is asked again, and it is down.
    await runtime.redis.delete(runtime.keys("care", "his", "slots", f"{DOCTOR}:{day}"))
    await client.post("/sandbox/his/__faults", json={"down": True})
    stale = await client.get(f"/api/v1/care/doctors/{DOCTOR}/slots", params={"date": day})
    assert stale.status_code == 200
    assert stale.json()["stale"] is True
    assert [s["id"] for s in stale.json()["items"] if s["status"] == "open"] == [s["id"] for s in slots]
    assert (await SystemHealth.get(system="his")).down_since is not None
    refused = await client.post(
        "/api/v1/bookings",
        json={"slot_id": slots[0]["id"]},
        headers=auth_headers(user, settings, **{"Accept-Language": "en"}),
    )
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "care.his_unavailable"
    assert "hospital system" in refused.json()["error"]["message"]
    # A day never seen before cannot be invented: a clear 503, not an empty schedule.
    unseen = await client.get(f"/api/v1/care/doctors/{DOCTOR}/slots", params={"date": "2026-12-31"})
    assert unseen.status_code == 503 and unseen.json()["error"]["code"] == "care.his_unavailable"
    # The HIS comes back: the next read clears the outage and booking works again.
    await client.delete("/sandbox/his/__faults")
    runtime.adapters.his.breaker.record_success()
    await runtime.redis.delete(runtime.keys("care", "his", "slots", f"{DOCTOR}:{day}"))
    fresh = await client.get(f"/api/v1/care/doctors/{DOCTOR}/slots", params={"date": day})
    assert fresh.json()["stale"] is False
    booked = await client.post(
        "/api/v1/bookings", json={"slot_id": slots[0]["id"]}, headers=auth_headers(user, settings)
    )
    assert booked.status_code == 201, booked.text
