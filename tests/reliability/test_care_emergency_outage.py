"""紧急呼叫 through a provider outage: the call is kept and retried, the family is told at once,
and when the platform answers the call is dispatched exactly once and the family follows it."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from citizen_api.worker import deliver_outbox_once
from services.care.models import CareOrder
from services.common.models import OutboxMessage
from tests.api.care_helpers import grant, inbox_kinds, patient, reset_outside_systems
from tests.factories import auth_headers

COMMUNITY = "qinyuan-xuanhua"


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def test_emergency__dispatched_at_once_and_the_family_told(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    elder = await patient(runtime, name="周玉兰", born=dt.date(1938, 8, 8))
    daughter = await patient(runtime)
    await grant(daughter, elder, scopes=("care",))
    call = await client.post(
        "/api/v1/care/eldercare/emergency",
        json={"community_code": COMMUNITY, "address": "济源市沁园街道宣化街3号"},
        headers=auth_headers(elder, settings),
    )
    assert call.status_code == 201, call.text
    assert call.json()["urgent"] is True and call.json()["status"] == "accepted"
    on_platform = (await client.get("/sandbox/eldercare/api/orders")).json()["orders"]
    assert len(on_platform) == 1 and on_platform[0]["urgent"] is True
    for person in (elder, daughter):
        kinds = await inbox_kinds(client, settings, person)
        assert "care.notify.emergency_raised" in kinds and "care.notify.emergency_accepted" in kinds
    # A second tap needs no address: it reuses the last one.
    again = await client.post(
        "/api/v1/care/eldercare/emergency", json={}, headers=auth_headers(elder, settings)
    )
    assert again.status_code == 201
    first_ever = await patient(runtime)
    missing = await client.post(
        "/api/v1/care/eldercare/emergency", json={}, headers=auth_headers(first_ever, settings)
    )
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "care.address_required"


async def test_emergency__provider_down_call_kept_retried_family_told(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    elder = await patient(runtime, name="吴长顺", born=dt.date(1940, 1, 15))
    son, daughter = await patient(runtime), await patient(runtime)
    await grant(son, elder)
    await grant(daughter, elder, scopes=("care",))
    await client.post("/sandbox/eldercare/__faults", json={"down": True})
    # The son raises it for his father from his own phone.
    call = await client.post(
        "/api/v1/care/eldercare/emergency",
        json={"community_code": COMMUNITY, "address": "济源市沁园街道宣化街9号"},
        headers=auth_headers(son, settings, **{"X-Acting-For": str(elder.id)}),
    )
    assert call.status_code == 201, call.text
    assert call.json()["status"] == "submitted"
    assert call.json()["timeline"][-1]["status"] == "retrying"
    for person in (elder, son, daughter):
        kinds = await inbox_kinds(client, settings, person)
        assert "care.notify.emergency_raised" in kinds and "care.notify.emergency_retrying" in kinds
    # The worker keeps trying while the platform is down; the call stays queued, never dropped.
    runtime.adapters.eldercare.breaker.record_success()
    await deliver_outbox_once(runtime)
    message = await OutboxMessage.get(aggregate_id=call.json()["id"], topic="care.order_dispatch")
    assert message.status == "pending" and message.attempts >= 1
    assert (await CareOrder.get(id=call.json()["id"])).status == "submitted"
    # The platform is back: the retry dispatches it, exactly once.
    await client.delete("/sandbox/eldercare/__faults")
    runtime.adapters.eldercare.breaker.record_success()
    await OutboxMessage.filter(id=message.id).update(available_at=message.created_at)
    await deliver_outbox_once(runtime)
    on_platform = (await client.get("/sandbox/eldercare/api/orders")).json()["orders"]
    assert len(on_platform) == 1 and on_platform[0]["order_id"] == call.json()["id"]
    order = (
        await client.get(
            f"/api/v1/care/eldercare/orders/{call.json()['id']}", headers=auth_headers(daughter, settings)
        )
    ).json()
    assert order["status"] == "accepted"
    assert "care.notify.emergency_accepted" in await inbox_kinds(client, settings, daughter)
