"""Helpers shared by the care tests: verified patients, family grants, sandbox resets, a free slot."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

import httpx

from integrations.sandbox.identity import make_id_number
from services.accounts.enums import FamilyGrantStatus, Role, VerificationLevel
from services.accounts.models import FamilyGrant, User
from services.care.appointments import CONSENT_VERSION
from services.common import clock
from tests.factories import auth_headers, make_user

__all__ = [
    "consent",
    "deliver",
    "his_appointments",
    "inbox_kinds",
    "find_open_day",
    "grant",
    "patient",
    "reset_outside_systems",
]

_serials = itertools.count(100)


async def patient(
    runtime: Any,
    *,
    name: str = "张秀兰",
    born: dt.date = dt.date(1960, 5, 1),
    level: VerificationLevel = VerificationLevel.REAL_NAME,
    roles: dict[Role, list[str]] | None = None,
) -> User:
    """A user whose verified identity (name, ID number) is stored as the accounts service stores it."""
    user = await make_user(level=level, roles=roles)
    if level is VerificationLevel.REAL_NAME:
        number = make_id_number(birth=born, serial=f"{next(_serials) % 1000:03d}")
        user.name_enc = runtime.cipher.encrypt(name, context="account_user.name")
        user.id_number_enc = runtime.cipher.encrypt(number, context="account_user.id_number")
        user.id_number_index = runtime.cipher.blind_index(number, purpose="id_number")
        await user.save()
    return user


async def grant(proxy: User, subject: User, scopes: tuple[str, ...] = ("care", "bookings")) -> FamilyGrant:
    now = clock.now()
    return await FamilyGrant.create(
        proxy=proxy,
        subject=subject,
        scopes=list(scopes),
        status=FamilyGrantStatus.ACTIVE,
        invite_code_hash=uuid.uuid4().hex,
        invite_expires_at=now,
        expires_at=now + dt.timedelta(days=30),
        accepted_at=now,
    )


async def consent(client: httpx.AsyncClient, settings: Any, user: User, **headers: str) -> None:
    response = await client.post(
        "/api/v1/care/consent",
        json={"version": CONSENT_VERSION},
        headers=auth_headers(user, settings, **headers),
    )
    assert response.status_code == 201, response.text


async def reset_outside_systems(client: httpx.AsyncClient, runtime: Any) -> None:
    """Fresh HIS and eldercare sandboxes, no faults, closed circuit breakers."""
    for system in ("his", "eldercare"):
        assert (await client.post(f"/sandbox/{system}/__reset")).status_code == 200
        assert (await client.delete(f"/sandbox/{system}/__faults")).status_code == 200
        getattr(runtime.adapters, system).breaker.record_success()


async def find_open_day(
    client: httpx.AsyncClient, doctor_id: str, *, start: int = 1
) -> tuple[str, list[dict]]:
    """The first day from `start` days ahead on which the doctor has open slots, and those slots."""
    for offset in range(start, 7):
        day = (clock.local_date() + dt.timedelta(days=offset)).isoformat()
        response = await client.get(f"/api/v1/care/doctors/{doctor_id}/slots", params={"date": day})
        assert response.status_code == 200, response.text
        slots = [s for s in response.json()["items"] if s["status"] == "open"]
        if slots:
            return day, slots
    raise AssertionError(f"{doctor_id} has no open slot in the next week")


async def deliver(runtime: Any) -> None:
    """What the workers would do next: record missed appointments, then deliver the outbox."""
    from citizen_api.worker import deliver_outbox_once
    from services.care import appointments

    await appointments.queue_missing_appointments()
    await appointments.sync_cancellations()
    while await deliver_outbox_once(runtime):
        pass


async def inbox_kinds(client: httpx.AsyncClient, settings: Any, user: User) -> list[str]:
    response = await client.get("/api/v1/me/inbox", headers=auth_headers(user, settings))
    assert response.status_code == 200, response.text
    return [item["kind"] for item in response.json()["items"]]


async def his_appointments(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    """What the HIS sandbox holds, as FHIR Appointment resources."""
    return (await client.get("/sandbox/his/__state")).json()["appointments"]
