"""Home care through HTTP: services by community, an order for a parent under a `care` proxy, the
platform's signed callbacks reaching the whole family, replay protection, and rating."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from integrations.signing import sign_request
from services.common import clock
from tests.api.care_helpers import deliver, grant, inbox_kinds, patient, reset_outside_systems
from tests.factories import auth_headers

COMMUNITY = "qinyuan-xuanhua"


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


def _window(hours: int = 24) -> dict[str, str]:
    start = clock.to_local(clock.now() + dt.timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    return {"window_start": start.isoformat(), "window_end": (start + dt.timedelta(hours=2)).isoformat()}


async def _advance(client: httpx.AsyncClient, ref: str, status: str, **extra: str) -> None:
    response = await client.post(f"/sandbox/eldercare/__advance/{ref}", json={"status": status, **extra})
    assert response.status_code == 200, response.text
    assert response.json()["callback_status"] == 200, response.text


async def test_services__by_community_with_providers_and_prices(client: httpx.AsyncClient) -> None:
    found = await client.get("/api/v1/care/eldercare/services", params={"community": COMMUNITY})
    assert found.status_code == 200
    kinds = {s["kind"] for s in found.json()["items"]}
    assert kinds == {"meal", "cleaning", "bathing", "medical_escort", "mobility", "emergency"}
    meal = next(s for s in found.json()["items"] if s["kind"] == "meal")
    assert meal["price_fen"] == 1500 and "颐养" in meal["provider_name"]
    elsewhere = await client.get("/api/v1/care/eldercare/services", params={"community": "wangwu-wangwu"})
    assert elsewhere.json()["items"] == []
    assert (await client.get("/api/v1/care/eldercare/services")).status_code == 422


async def test_order__for_a_parent_reaches_the_platform_and_every_step_the_family(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    parent = await patient(runtime, name="刘桂英", born=dt.date(1950, 2, 2))
    son, daughter, stranger = await patient(runtime), await patient(runtime), await patient(runtime)
    await grant(son, parent)
    await grant(daughter, parent, scopes=("care",))
    as_parent = {"X-Acting-For": str(parent.id)}
    body = {
        "kind": "cleaning",
        "community_code": COMMUNITY,
        "address": "济源市沁园街道宣化街12号院3号楼2单元501",
        "notes": "家里有猫",
        **_window(),
    }
    refused = await client.post(
        "/api/v1/care/eldercare/orders", json=body, headers=auth_headers(stranger, settings, **as_parent)
    )
    assert refused.status_code == 403
    placed = await client.post(
        "/api/v1/care/eldercare/orders",
        json=body,
        headers=auth_headers(son, settings, **as_parent, **{"Idempotency-Key": "k1"}),
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["for_member"] == str(parent.id) and order["status"] == "submitted"
    assert order["price_fen"] == 4500  # the cheaper of the two providers of 助洁 in that community
    assert "501" not in order["address_masked"] and order["address_masked"].startswith("济源市")
    again = await client.post(
        "/api/v1/care/eldercare/orders",
        json=body,
        headers=auth_headers(son, settings, **as_parent, **{"Idempotency-Key": "k1"}),
    )
    assert again.json()["id"] == order["id"]
    await deliver(runtime)
    on_platform = (await client.get("/sandbox/eldercare/api/orders")).json()["orders"]
    assert len(on_platform) == 1
    assert on_platform[0]["address"] == body["address"] and on_platform[0]["order_id"] == order["id"]
    ref = on_platform[0]["platform_ref"]
    await _advance(client, ref, "accepted")
    await _advance(client, ref, "assigned", worker_name="李桂兰")
    detail = (
        await client.get(
            f"/api/v1/care/eldercare/orders/{order['id']}", headers=auth_headers(parent, settings)
        )
    ).json()
    assert detail["status"] == "assigned" and detail["worker"] == "李**"
    # The platform retrying the same callback (same event id, fresh signature) changes nothing.
    assert (await client.post(f"/sandbox/eldercare/__replay/{ref}")).json()["callback_status"] == 200
    for step in ("en_route", "in_service", "completed"):
        await _advance(client, ref, step)
    detail = (
        await client.get(
            f"/api/v1/care/eldercare/orders/{order['id']}", headers=auth_headers(daughter, settings)
        )
    ).json()
    assert [e["status"] for e in detail["timeline"]] == [
        "submitted",
        "accepted",
        "assigned",
        "en_route",
        "in_service",
        "completed",
    ]
    for person in (parent, son, daughter):
        assert "care.notify.order_completed" in await inbox_kinds(client, settings, person)
    assert "care.notify.order_assigned" not in await inbox_kinds(client, settings, stranger)
    assert (
        await client.get(
            f"/api/v1/care/eldercare/orders/{order['id']}", headers=auth_headers(stranger, settings)
        )
    ).status_code == 404
    listed = (
        await client.get("/api/v1/care/eldercare/orders", headers=auth_headers(daughter, settings))
    ).json()["items"]
    assert [o["id"] for o in listed] == [order["id"]]
    rated = await client.post(
        f"/api/v1/care/eldercare/orders/{order['id']}/rating",
        json={"stars": 5, "comment": "很细心"},
        headers=auth_headers(parent, settings),
    )
    assert rated.status_code == 200 and rated.json()["rating"] == 5
    twice = await client.post(
        f"/api/v1/care/eldercare/orders/{order['id']}/rating",
        json={"stars": 1},
        headers=auth_headers(son, settings, **as_parent),
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "care.rating_not_allowed"


async def test_order__bad_window_unknown_service_and_unsigned_callbacks_are_refused(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    user = await patient(runtime)
    headers = auth_headers(user, settings, **{"Accept-Language": "en"})
    past = {"kind": "meal", "community_code": COMMUNITY, "address": "济源市沁园路1号", **_window(hours=-30)}
    response = await client.post("/api/v1/care/eldercare/orders", json=past, headers=headers)
    assert response.status_code == 422 and response.json()["error"]["code"] == "care.bad_time_window"
    assert "window" in response.json()["error"]["message"]
    unknown = {"kind": "bathing", "community_code": "beihai-x", "address": "济源市北海街道1号", **_window()}
    response = await client.post("/api/v1/care/eldercare/orders", json=unknown, headers=headers)
    assert response.status_code == 422 and response.json()["error"]["code"] == "care.unknown_service"
    event = {
        "event_id": "forged",
        "platform_ref": "x",
        "order_id": "x",
        "status": "completed",
        "occurred_at": clock.now().isoformat(),
    }
    forged = await client.post("/api/v1/integrations/eldercare/callback", json=event)
    assert forged.status_code == 401
    raw = json.dumps(event).encode()
    signed = sign_request(
        app_key="someone-else",
        secret="guess",
        method="POST",
        path="/api/v1/integrations/eldercare/callback",
        body=raw,
    )
    forged = await client.post(
        "/api/v1/integrations/eldercare/callback",
        content=raw,
        headers=signed | {"Content-Type": "application/json"},
    )
    assert forged.status_code == 401
