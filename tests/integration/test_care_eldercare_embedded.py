"""Eldercare orders on a server as `make run` (and the mini-program's end-to-end tests) start it: the
embedded profile's own ticker delivers the outbox (nobody calls deliver_outbox_once) and the eldercare
sandbox walks each order through its lifecycle by itself. A cancellation must reach the provider before
the service starts, whichever way the dispatch and the cancel interleave."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from citizen_api.app import create_app
from services.common import clock
from tests.api.care_helpers import patient
from tests.conftest import free_port, start_server, stop_server
from tests.factories import auth_headers

COMMUNITY = "qinyuan-xuanhua"


@pytest.fixture
async def embedded(settings, app) -> AsyncIterator[httpx.AsyncClient]:
    """An embedded-profile server with the in-process ticker and the production backoff (2 s base)."""
    port = free_port()
    served = settings.model_copy(
        update={
            "profile": "embedded",
            "port": port,
            "run_worker_in_process": True,
            "outbox_backoff_base_s": 2.0,
            # As `make run`: no Redis, so the ticker runs the jobs on taskiq's in-memory broker.
            "redis_url": None,
        }
    )
    server = await start_server(create_app(served), port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        await stop_server(server)


def _body() -> dict:
    start = clock.to_local(clock.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return {
        "kind": "cleaning",
        "community_code": COMMUNITY,
        "address": "济源市沁园路88号3单元",
        "window_start": start.isoformat(),
        "window_end": (start + dt.timedelta(hours=2)).isoformat(),
    }


async def _platform_order(client: httpx.AsyncClient, order_id: str, *, within_s: float) -> dict | None:
    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        orders = (await client.get("/sandbox/eldercare/api/orders")).json()["orders"]
        found = next((o for o in orders if o["order_id"] == order_id), None)
        if found is not None:
            return found
        await asyncio.sleep(0.05)
    return None


async def _platform_status(client: httpx.AsyncClient, ref: str, status: str, *, within_s: float) -> str:
    deadline = asyncio.get_running_loop().time() + within_s
    seen = ""
    while asyncio.get_running_loop().time() < deadline:
        seen = (await client.get(f"/sandbox/eldercare/api/orders/{ref}")).json()["status"]
        if seen == status:
            return seen
        await asyncio.sleep(0.1)
    return seen


async def test_cancel__reaches_the_provider_through_the_embedded_ticker_before_the_service_starts(
    embedded: httpx.AsyncClient, runtime, settings
) -> None:
    resident = await patient(runtime, name="王桂兰", born=dt.date(1950, 5, 5))
    headers = auth_headers(resident, settings)
    for _ in range(3):  # the dispatch and the cancel interleave differently each time
        placed = await embedded.post("/api/v1/care/eldercare/orders", json=_body(), headers=headers)
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["id"]
        # As the mini-program test does: cancel the moment the platform shows the order.
        at_platform = await _platform_order(embedded, order_id, within_s=10)
        assert at_platform is not None, "the ticker never dispatched the order"
        cancelled = await embedded.post(f"/api/v1/care/eldercare/orders/{order_id}/cancel", headers=headers)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
        # The sandbox starts the service about 11 s after the order arrived: the cancel must be there first.
        status = await _platform_status(embedded, at_platform["platform_ref"], "cancelled", within_s=9)
        assert status == "cancelled", f"the provider still has the order as {status}"
        shown = await embedded.get(f"/api/v1/care/eldercare/orders/{order_id}", headers=headers)
        assert shown.json()["status"] == "cancelled"
