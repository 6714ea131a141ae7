"""Idempotency-Key on POST /api/v1/bookings: replays, reuse, per-user keys, failures and concurrency."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from services.bookings.models import Booking, Slot
from services.common import clock
from services.common.models import IdempotencyRecord
from tests.api.bookings_helpers import make_resource, make_slot
from tests.factories import auth_headers, make_user

pytestmark = pytest.mark.usefixtures("app")


async def test_idempotency__replay_same_body(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=5)
    user = await make_user()
    headers = auth_headers(user, settings, **{"Idempotency-Key": "k-1"})
    body = {"slot_id": str(slot.id), "party_size": 1}
    first = await client.post("/api/v1/bookings", json=body, headers=headers)
    second = await client.post("/api/v1/bookings", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert await Slot.filter(id=slot.id).values_list("taken", flat=True) == [1]


async def test_idempotency__other_body_is_422(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource(party_size_max=3)
    slot = await make_slot(resource, capacity=5)
    user = await make_user()
    headers = auth_headers(user, settings, **{"Idempotency-Key": "k-2"})
    assert (
        await client.post(
            "/api/v1/bookings", json={"slot_id": str(slot.id), "party_size": 1}, headers=headers
        )
    ).status_code == 201
    other = await client.post(
        "/api/v1/bookings", json={"slot_id": str(slot.id), "party_size": 2}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency.key_reused"


async def test_idempotency__key_is_per_user(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=5)
    a, b = await make_user(), await make_user()
    body = {"slot_id": str(slot.id)}
    ra = await client.post(
        "/api/v1/bookings", json=body, headers=auth_headers(a, settings, **{"Idempotency-Key": "same"})
    )
    rb = await client.post(
        "/api/v1/bookings", json=body, headers=auth_headers(b, settings, **{"Idempotency-Key": "same"})
    )
    assert ra.status_code == rb.status_code == 201
    assert ra.json()["id"] != rb.json()["id"]


async def test_idempotency__failed_request_does_not_bind_the_key(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=1)
    blocker, user = await make_user(), await make_user()
    booked = await client.post(
        "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(blocker, settings)
    )
    headers = auth_headers(user, settings, **{"Idempotency-Key": "retry-me"})
    full = await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    assert full.status_code == 409
    await client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=auth_headers(blocker, settings)
    )
    retried = await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    assert retried.status_code == 201


async def test_idempotency__concurrent_duplicates_make_one_booking(
    client: httpx.AsyncClient, settings
) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=10)
    user = await make_user()
    headers = auth_headers(user, settings, **{"Idempotency-Key": "burst"})
    body = {"slot_id": str(slot.id)}
    responses = await asyncio.gather(
        *[client.post("/api/v1/bookings", json=body, headers=headers) for _ in range(12)]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Slot.filter(id=slot.id).values_list("taken", flat=True) == [1]


async def test_refusal_before_the_key__retry_of_a_success_on_a_now_full_slot_still_replays(
    client: httpx.AsyncClient, settings
) -> None:
    """Refusals are answered before the Idempotency-Key is claimed (issue 12), but never at the cost
    of a retry: the key of an earlier success replays it even though the slot is full by now."""
    resource = await make_resource(per_person_per_day=None)
    slot = await make_slot(resource, capacity=1)
    winner, loser = await make_user(), await make_user()
    body = {"slot_id": str(slot.id)}
    first = await client.post(
        "/api/v1/bookings", json=body, headers=auth_headers(winner, settings, **{"Idempotency-Key": "w-1"})
    )
    assert first.status_code == 201, first.text
    retry = await client.post(
        "/api/v1/bookings", json=body, headers=auth_headers(winner, settings, **{"Idempotency-Key": "w-1"})
    )
    assert retry.status_code == 201 and retry.json()["id"] == first.json()["id"]
    assert retry.headers.get("Idempotent-Replayed") == "true"
    refused = await client.post(
        "/api/v1/bookings", json=body, headers=auth_headers(loser, settings, **{"Idempotency-Key": "l-1"})
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "booking.slot_full"
    assert refused.json()["error"]["details"]["remaining"] == 0
    # The refusal stored nothing and left the key free; the slot holds exactly its one booking.
    assert not await IdempotencyRecord.filter(key="l-1").exists()
    assert await IdempotencyRecord.filter(key="w-1").count() == 1
    assert await Booking.filter(slot_id=slot.id).count() == 1
    assert (await Slot.get(id=slot.id)).taken == 1


async def test_idempotency__key_bound_only_when_the_booking_commits(
    client: httpx.AsyncClient, settings
) -> None:
    # The key is written inside the booking's transaction: a refused booking leaves no row at all,
    # the booking and its key commit together, and an expired record no longer binds the key.
    resource = await make_resource()
    full, free = await make_slot(resource, capacity=1), await make_slot(resource, capacity=5, hours_ahead=26)
    blocker, user = await make_user(), await make_user()
    await client.post(
        "/api/v1/bookings", json={"slot_id": str(full.id)}, headers=auth_headers(blocker, settings)
    )
    headers = auth_headers(user, settings, **{"Idempotency-Key": "bound-late"})
    refused = await client.post("/api/v1/bookings", json={"slot_id": str(full.id)}, headers=headers)
    assert refused.status_code == 409
    assert await IdempotencyRecord.filter(key="bound-late").count() == 0
    booked = await client.post("/api/v1/bookings", json={"slot_id": str(free.id)}, headers=headers)
    assert booked.status_code == 201
    (record,) = await IdempotencyRecord.filter(key="bound-late")
    assert (record.status_code, record.response) == (201, booked.json())
    await IdempotencyRecord.filter(id=record.id).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    cancel = await client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=auth_headers(user, settings)
    )
    assert cancel.status_code == 200
    again = await client.post("/api/v1/bookings", json={"slot_id": str(free.id)}, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") is None
    assert again.json()["id"] != booked.json()["id"]
    assert await IdempotencyRecord.filter(key="bound-late").count() == 1


async def test_idempotency__malformed_key_is_422_before_the_booking(
    client: httpx.AsyncClient, settings
) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=5)
    user = await make_user()
    headers = auth_headers(user, settings, **{"Idempotency-Key": "x" * 129})
    response = await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency.invalid_key"
    assert await Booking.filter(slot_id=slot.id).count() == 0
