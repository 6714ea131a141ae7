"""Cancelling a home-care order: the person served or their `care` proxy, before the service starts;
the provider's platform receives the cancellation through the outbox, the subsidy comes back, and
once the service is in progress the cancel is refused (409, in the caller's language)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from integrations.eldercare.types import DispatchRequest
from services.common import clock
from services.common.models import OutboxMessage
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


async def _inbox(client, settings, user) -> list[str]:
    response = await client.get("/api/v1/me/inbox", headers=auth_headers(user, settings))
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


async def test_cancel__refused_by_a_provider_that_had_started_goes_ahead_and_draws_the_subsidy_again(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    mother = await patient(runtime, name="韩秀梅", born=dt.date(1941, 1, 1))  # 80+: 200 yuan a month
    son = await patient(runtime)
    son.locale = "en"
    await son.save()
    await grant(son, mother, scopes=("care",))
    as_mother = {"X-Acting-For": str(mother.id)}
    placed = await client.post(
        "/api/v1/care/eldercare/orders", json=_body(), headers=auth_headers(son, settings, **as_mother)
    )
    order = placed.json()
    assert order["subsidy_fen"] == 4500 and order["pay_fen"] == 0
    await deliver(runtime)
    ref = (await _platform(client))[order["id"]]["platform_ref"]
    for step in ("accepted", "assigned", "en_route"):
        await _advance(client, ref, step)
    cancel = f"/api/v1/care/eldercare/orders/{order['id']}/cancel"
    done = await client.post(cancel, headers=auth_headers(son, settings, **as_mother))
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert await _balance(client, settings, mother) == 20_000
    # Meanwhile the refund was spent: two baths (80 yuan each) leave 40 yuan of the month's budget.
    for _ in range(2):
        bath = await client.post(
            "/api/v1/care/eldercare/orders",
            json={**_body(), "kind": "bathing"},
            headers=auth_headers(mother, settings),
        )
        assert bath.status_code == 201 and bath.json()["subsidy_fen"] == 8000, bath.text
    assert await _balance(client, settings, mother) == 4000
    # The worker had already started before the cancellation reached the provider (our copy ignores the
    # push: the order is cancelled here), and the provider refuses it.
    await _advance(client, ref, "in_service")
    assert (
        await client.get(
            f"/api/v1/care/eldercare/orders/{order['id']}", headers=auth_headers(mother, settings)
        )
    ).json()["status"] == "cancelled"
    await deliver(runtime)

    trace = (await client.get("/sandbox/eldercare/__trace")).json()["items"]
    assert [t["method"] for t in trace if t["path"].endswith(f"/api/orders/{ref}/cancel")] == ["POST"]
    assert (await _platform(client))[order["id"]]["status"] == "in_service"  # the service goes on there
    shown = (
        await client.get(
            f"/api/v1/care/eldercare/orders/{order['id']}", headers=auth_headers(mother, settings)
        )
    ).json()
    assert shown["status"] == "in_service"
    assert (shown["subsidy_fen"], shown["pay_fen"]) == (4000, 500)  # what the budget still allowed
    assert [e["status"] for e in shown["timeline"]][-2:] == ["cancel_refused", "in_service"]
    assert await _balance(client, settings, mother) == 0  # never below zero
    zh = [t for t in await _inbox(client, settings, mother) if "未能取消" in t]
    assert len(zh) == 1 and "服务照常进行" in zh[0] and "需自付 5.00 元" in zh[0], zh
    en = [t for t in await _inbox(client, settings, son) if "could not cancel" in t]
    assert len(en) == 1 and "home cleaning" in en[0] and "amount to pay ¥5.00" in en[0], en
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en[0])
    # The service ends as any other: completed, and the person served may rate it.
    await _advance(client, ref, "completed")
    rated = await client.post(
        f"/api/v1/care/eldercare/orders/{order['id']}/rating",
        json={"stars": 4},
        headers=auth_headers(mother, settings),
    )
    assert rated.status_code in (200, 201), rated.text


async def test_cancel__after_a_lost_dispatch_answer_still_reaches_the_provider(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    elder = await patient(runtime, name="石玉珍", born=dt.date(1943, 3, 3))
    headers = auth_headers(elder, settings)
    placed = await client.post("/api/v1/care/eldercare/orders", json=_body(), headers=headers)
    order_id = placed.json()["id"]
    # The platform took the order but its answer never came back (a timeout): it has the order, we have
    # no reference, and the outbox row waits for a retry.
    message = await OutboxMessage.get(topic="care.order_dispatch", aggregate_id=order_id)
    body = _body()
    await runtime.adapters.eldercare.dispatch(
        DispatchRequest(
            event_id=str(message.id),
            order_id=order_id,
            kind="cleaning",
            urgent=False,
            community_code=COMMUNITY,
            provider_code=None,
            address=body["address"],
            contact_name="石玉珍",
            contact_phone=None,
            window_start=dt.datetime.fromisoformat(body["window_start"]),
            window_end=dt.datetime.fromisoformat(body["window_end"]),
            notes=None,
        )
    )
    assert (await client.post(f"/api/v1/care/eldercare/orders/{order_id}/cancel", headers=headers)).json()[
        "status"
    ] == "cancelled"
    await deliver(runtime)  # the retried dispatch skips a cancelled order; the cancel finds no reference
    ref = (await _platform(client))[order_id]["platform_ref"]
    assert (await _platform(client))[order_id]["status"] == "received"
    # The provider's first push names the reference: the cancellation goes out now.
    await _advance(client, ref, "accepted")
    await deliver(runtime)
    assert (await _platform(client))[order_id]["status"] == "cancelled"
    shown = (await client.get(f"/api/v1/care/eldercare/orders/{order_id}", headers=headers)).json()
    assert shown["status"] == "cancelled" and await _balance(client, settings, elder) == 20_000
