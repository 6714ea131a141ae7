"""What reaches the departments: the request id, the acting user and the case id on every call.

A department's log must join ours: a case submitted by HTTP carries the id of the request that
created it to the government platform (through the outbox, delivered later by a worker), with the
case id; a synchronous identity check carries the request id and the signed-in user.
"""

from __future__ import annotations

import pytest

from citizen_api.worker import deliver_outbox_once
from services.accounts.enums import VerificationLevel
from services.common.models import OutboxMessage
from tests.api.test_gov_support import ONLINE_ITEM, seed
from tests.factories import auth_headers, make_user


@pytest.fixture
async def seeded(runtime) -> int:
    return await seed(runtime)


async def _received(client, system: str) -> list[dict]:
    return (await client.get(f"/sandbox/{system}/__trace")).json()["items"]


async def test_outbox__row_keeps_the_request_id_and_the_platform_receives_it(
    client, settings, runtime, seeded
):
    await client.delete("/sandbox/gov_platform/__faults")
    user = await make_user()
    response = await client.post(
        "/api/v1/gov/applications",
        json={"item_code": ONLINE_ITEM, "form": {"purpose": "购房", "copies": 1}},
        headers={**auth_headers(user, settings), "X-Request-Id": "req-trace-000001"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == "req-trace-000001"
    case_id = response.json()["id"]
    row = await OutboxMessage.get(aggregate_id=case_id)
    assert row.request_id == "req-trace-000001"

    await deliver_outbox_once(runtime)
    calls = [c for c in await _received(client, "gov_platform") if c["method"] == "POST"]
    assert calls, "the case reached the platform"
    assert calls[-1]["request_id"] == "req-trace-000001"
    assert calls[-1]["case_id"] == case_id


async def test_adapter__identity_check_carries_request_id_and_acting_user(client, settings):
    await client.delete("/sandbox/identity/__faults")
    user = await make_user(level=VerificationLevel.PHONE)
    response = await client.post(
        "/api/v1/me/identity",
        json={"name": "张三丰", "id_number": "419001199001010011"},
        headers={**auth_headers(user, settings), "X-Request-Id": "req-trace-000002"},
    )
    assert response.status_code < 500, response.text
    calls = await _received(client, "identity")
    mine = [c for c in calls if c["request_id"] == "req-trace-000002"]
    assert mine, calls
    assert mine[-1]["acting_user"] == str(user.id)
