"""Cancelling a home-care order: the person served or their `care` proxy, before the service starts;
the provider's platform receives the cancellation through the outbox, the subsidy comes back, and
once the service is in progress the cancel is refused (409, in the caller's language)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.common import clock
from tests.api.care_helpers import deliver, grant, inbox_kinds, patient, reset_outside_systems
from tests.factories import auth_headers

COMMUNITY = "qinyuan-xuanhua"


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


def _body() -> dict:
    start = clock.to_local(clock.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return {
        "kind": "cleaning",
        "community_code": COMMUNITY,
        "address": "济源市沁园街道宣化街21号",
        "window_start": start.isoformat(),
        "window_end": (start + dt.timedelta(hours=2)).isoformat(),
    }


async def _platform(client: httpx.AsyncClient) -> dict[str, dict]:
    """What the eldercare platform holds, by our order id."""
    return {o["order_id"]: o for o in (await client.get("/sandbox/eldercare/api/orders")).json()["orders"]}


async def _advance(client: httpx.AsyncClient, ref: str, status: str) -> None:
    moved = await client.post(f"/sandbox/eldercare/__advance/{ref}", json={"status": status})
    assert moved.status_code == 200 and moved.json()["callback_status"] == 200, moved.text


async def _balance(client, settings, user) -> int:
    return (await client.get("/api/v1/care/subsidy", headers=auth_headers(user, settings))).json()[
        "balance_fen"
    ]


async def test_cancel__by_a_proxy_before_the_service_reaches_the_provider_and_returns_the_subsidy(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    mother = await patient(runtime, name="郑桂香", born=dt.date(1942, 4, 4))  # 80+: 200 yuan a month
    son, outsider, booker_only = await patient(runtime), await patient(runtime), await patient(runtime)
    await grant(son, mother, scopes=("care",))
    await grant(booker_only, mother, scopes=("bookings",))
    as_mother = {"X-Acting-For": str(mother.id)}
    placed = await client.post(
        "/api/v1/care/eldercare/orders", json=_body(), headers=auth_headers(son, settings, **as_mother)
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["subsidy_fen"] == 4500 and await _balance(client, settings, mother) == 20_000 - 4500
    await deliver(runtime)
    ref = (await _platform(client))[order["id"]]["platform_ref"]
    await _advance(client, ref, "accepted")
    await _advance(client, ref, "assigned")

    cancel = f"/api/v1/care/eldercare/orders/{order['id']}/cancel"
    assert (await client.post(cancel, headers=auth_headers(outsider, settings))).status_code == 404
    no_scope = await client.post(cancel, headers=auth_headers(booker_only, settings, **as_mother))
    assert no_scope.status_code == 403
    done = await client.post(cancel, headers=auth_headers(son, settings, **as_mother))
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "cancelled" and done.json()["timeline"][-1]["status"] == "cancelled"
    assert await _balance(client, settings, mother) == 20_000  # the draw is back
    # Not yet at the provider: the cancellation travels through the outbox.
    assert (await _platform(client))[order["id"]]["status"] == "assigned"
    await deliver(runtime)
    assert (await _platform(client))[order["id"]]["status"] == "cancelled"
    for person in (mother, son):
        assert "care.notify.order_cancelled" in await inbox_kinds(client, settings, person)
    # A second tap changes nothing and refunds nothing twice.
    again = await client.post(cancel, headers=auth_headers(mother, settings))
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert await _balance(client, settings, mother) == 20_000


async def test_cancel__before_dispatch_never_reaches_the_provider(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    elder = await patient(runtime, name="冯玉珍", born=dt.date(1939, 9, 9))
    placed = await client.post(
        "/api/v1/care/eldercare/orders", json=_body(), headers=auth_headers(elder, settings)
    )
    order_id = placed.json()["id"]
    done = await client.post(
        f"/api/v1/care/eldercare/orders/{order_id}/cancel", headers=auth_headers(elder, settings)
    )
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    await deliver(runtime)
    assert order_id not in await _platform(client)
    assert await _balance(client, settings, elder) == 20_000


async def test_cancel__once_the_service_started_is_refused_in_the_callers_language(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    elder = await patient(runtime, name="蒋德胜", born=dt.date(1944, 2, 2))
    placed = await client.post(
        "/api/v1/care/eldercare/orders", json=_body(), headers=auth_headers(elder, settings)
    )
    order_id = placed.json()["id"]
    await deliver(runtime)
    ref = (await _platform(client))[order_id]["platform_ref"]
    for step in ("accepted", "assigned", "en_route", "in_service"):
        await _advance(client, ref, step)
    cancel = f"/api/v1/care/eldercare/orders/{order_id}/cancel"
    late = await client.post(cancel, headers=auth_headers(elder, settings, **{"Accept-Language": "en"}))
    assert late.status_code == 409 and late.json()["error"]["code"] == "care.order_cancel_too_late"
    assert "already started" in late.json()["error"]["message"]
    zh = await client.post(cancel, headers=auth_headers(elder, settings))
    assert zh.status_code == 409 and "服务已开始" in zh.json()["error"]["message"]
    await deliver(runtime)
    assert (await _platform(client))[order_id]["status"] == "in_service"  # nothing was sent
    assert await _balance(client, settings, elder) == 20_000 - 4500  # the service is being given
