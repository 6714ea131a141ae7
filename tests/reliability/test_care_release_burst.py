"""放号 at the hospital's hour: before it the last day's numbers cannot be booked; at it a burst of
hundreds of patients for one slot confirms exactly its capacity, refuses the rest cleanly (no 5xx),
and the HIS receives exactly that many Appointments."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from integrations.sandbox.identity import check_character
from services.accounts.enums import VerificationLevel
from services.accounts.models import User
from services.care.appointments import CONSENT_VERSION
from services.care.models import CareConsent, CareHospital
from services.care.rules import HospitalRules
from services.common import clock
from tests.api.care_helpers import deliver, his_appointments, reset_outside_systems
from tests.factories import auth_headers

RESIDENTS = ["jy-rmyy-ek-02", "jy-rmyy-yk-02", "jy-rmyy-kqk-02", "jy-rmyy-pfk-02"]  # 医师: 5 numbers a slot
BURST = 240


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def _patients(runtime, count: int) -> list[User]:
    """Real-name patients who consented, made in bulk (the burst is about booking, not sign-up)."""
    users = [User(openid=f"o-burst-{i:04d}", level=VerificationLevel.REAL_NAME) for i in range(count)]
    await User.bulk_create(users, batch_size=500)
    made = await User.filter(openid__startswith="o-burst-").order_by("openid")
    for position, user in enumerate(made):
        number = f"41900119600101{position:03d}"
        user.name_enc = runtime.cipher.encrypt(f"患者{position}", context="account_user.name")
        user.id_number_enc = runtime.cipher.encrypt(
            number + check_character(number), context="account_user.id_number"
        )
    await User.bulk_update(made, fields=["name_enc", "id_number_enc"], batch_size=500)
    await CareConsent.bulk_create(
        [CareConsent(user_id=u.id, version=CONSENT_VERSION, granted_by_id=u.id) for u in made], batch_size=500
    )
    return made


async def test_release__burst_at_the_release_second_confirms_exactly_capacity(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    now_local = clock.to_local(clock.now())
    release = now_local + dt.timedelta(seconds=6)
    if release.date() != now_local.date():
        pytest.skip("too close to midnight for a same-day release")
    await CareHospital.create(
        his_id="jy-rmyy",
        name={"zh_CN": "济源市人民医院"},
        rules=HospitalRules(
            release_days=7, release_time=release.time().isoformat(timespec="seconds")
        ).as_dict(),
    )
    last_day = (now_local.date() + dt.timedelta(days=7)).isoformat()
    target = None
    for doctor in RESIDENTS:
        items = (await client.get(f"/api/v1/care/doctors/{doctor}/slots", params={"date": last_day})).json()[
            "items"
        ]
        if items:
            target = items[0]
            break
    assert target is not None, "no resident doctor works on the last bookable day"
    assert target["status"] == "not_released" and target["releases_at"].startswith(last_day[:4])
    patients = await _patients(runtime, BURST)
    early = await client.post(
        "/api/v1/bookings", json={"slot_id": target["id"]}, headers=auth_headers(patients[0], settings)
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "care.not_released_yet"
    await asyncio.sleep(max(0.0, (release - clock.to_local(clock.now())).total_seconds()) + 0.05)
    limits = httpx.Limits(max_connections=BURST, max_keepalive_connections=BURST)
    async with httpx.AsyncClient(base_url=settings.base_url, timeout=120, limits=limits) as burst:
        answers = await asyncio.gather(
            *(
                burst.post(
                    "/api/v1/bookings", json={"slot_id": target["id"]}, headers=auth_headers(p, settings)
                )
                for p in patients
            )
        )
    codes = [a.status_code for a in answers]
    assert codes.count(201) == target["capacity"] == 5
    assert all(code == 409 for code in codes if code != 201), sorted(set(codes))
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"booking.slot_full"}
    await deliver(runtime)
    at_his = [a for a in await his_appointments(client) if a["status"] == "booked"]
    assert len(at_his) == 5
    assert sorted(a["extension"][0]["valueInteger"] for a in at_his) == [1, 2, 3, 4, 5]  # numbered 1..5
