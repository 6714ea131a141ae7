"""The hospital's caps hold under concurrency: one patient firing bookings at many doctors of one
hospital on one day at the same instant gets at most one per clinic and at most the day's cap in the
whole hospital, on PostgreSQL and SQLite alike (the count runs inside the booking transaction)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import httpx
import pytest

from services.care.models import CareAppointment
from services.common import clock
from tests.api.care_helpers import consent, patient, reset_outside_systems
from tests.factories import auth_headers

HOSPITAL = "jy-rmyy"  # 8 clinics, 2 doctors each; demo rules: 3 a day, 1 per clinic
CLINICS = ("nk", "wk", "ek", "fck", "gk", "yk", "kqk", "pfk")


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def _open_slots(client: httpx.AsyncClient, day: str) -> dict[str, str]:
    """doctor id -> the id of one open slot on `day`, for every doctor of the hospital working then."""
    found = {}
    for clinic in CLINICS:
        for n in ("01", "02"):
            doctor = f"{HOSPITAL}-{clinic}-{n}"
            items = (await client.get(f"/api/v1/care/doctors/{doctor}/slots", params={"date": day})).json()[
                "items"
            ]
            open_ = [s for s in items if s["status"] == "open"]
            if open_:
                found[doctor] = open_[0]["id"]
    return found


async def _busiest_day(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    """The day (1–6 days ahead) with both doctors of some clinic working and the most doctors in all."""
    best: tuple[str, dict[str, str]] | None = None
    for offset in range(1, 7):
        day = (clock.local_date() + dt.timedelta(days=offset)).isoformat()
        slots = await _open_slots(client, day)
        per_clinic = Counter(d.rsplit("-", 1)[0] for d in slots)
        if max(per_clinic.values(), default=0) >= 2 and (best is None or len(slots) > len(best[1])):
            best = (day, slots)
    assert best is not None and len(best[1]) >= 5, "no day with enough doctors at work"
    return best


async def test_caps__concurrent_bookings_of_one_patient_never_pass_the_clinic_or_day_cap(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    day, slots = await _busiest_day(client)
    user = await patient(runtime, name="钱多多")
    await consent(client, settings, user)
    headers = auth_headers(user, settings)
    answers = await asyncio.gather(
        *(client.post("/api/v1/bookings", json={"slot_id": slot}, headers=headers) for slot in slots.values())
    )
    codes = [a.status_code for a in answers]
    assert all(code in (201, 409) for code in codes), [a.text for a in answers]
    refused = {a.json()["error"]["code"] for a in answers if a.status_code == 409}
    assert refused <= {"care.department_cap_reached"}, refused
    booked = [d for d, a in zip(slots, answers, strict=True) if a.status_code == 201]
    per_clinic = Counter(d.rsplit("-", 1)[0] for d in booked)
    # What the engine and our appointment table hold, not only what the answers said.
    live = await CareAppointment.filter(subject_id=user.id, visit_date=dt.date.fromisoformat(day))
    assert len(live) == len(booked) == 3, (codes, booked)  # the day's cap exactly: clinics were enough
    assert max(per_clinic.values()) == 1, per_clinic
    assert len({row.department_his_id for row in live}) == len(live)
    # The same clinic from a second doctor is refused with the reason, in the caller's language.
    clinic = next(c for c, n in Counter(d.rsplit("-", 1)[0] for d in slots).items() if n >= 2)
    other = next(d for d in slots if d.startswith(clinic) and d not in booked)
    again = await client.post(
        "/api/v1/bookings",
        json={"slot_id": slots[other]},
        headers=auth_headers(user, settings, **{"Accept-Language": "en"}),
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "care.department_cap_reached"
    assert "clinic" in again.json()["error"]["message"] or "day" in again.json()["error"]["message"]
