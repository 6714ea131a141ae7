"""Department callbacks while Redis is down: applied once, replays still refused (the database remembers)."""

from __future__ import annotations

import uuid

import pytest

from tests.api.test_gov_callbacks import _delivered_case
from tests.api.test_gov_support import CALLBACK_PATH, platform_control, seed, signed_callback
from tests.factories import auth_headers, make_user
from tests.reliability.test_redis_faults import redis_down


@pytest.fixture
async def platform(settings, runtime):
    async with platform_control(settings, runtime) as control:
        yield control


async def test_callback__redis_down_applies_once_and_refuses_replays(
    client, settings, runtime, platform
) -> None:
    await seed(runtime)
    user = await make_user()
    case = await _delivered_case(client, settings, runtime, user)
    accepted = {"event_id": f"E-{uuid.uuid4().hex}", "case_id": case["id"], "status": "accepted"}
    raw, headers = signed_callback(settings, accepted)
    async with redis_down(runtime):
        first = await client.post(CALLBACK_PATH, content=raw, headers=headers)
        assert first.status_code == 200, first.text
        assert first.json()["outcome"] == "applied"
        again = await client.post(CALLBACK_PATH, content=raw, headers=headers)
        assert again.status_code == 401
        assert again.json()["error"]["code"] == "integration.callback_replayed"
    # Redis is back but never saw that nonce: the database still refuses the captured request.
    after = await client.post(CALLBACK_PATH, content=raw, headers=headers)
    assert after.status_code == 401 and after.json()["error"]["code"] == "integration.callback_replayed"
    # And a nonce first seen with Redis up is refused during an outage too.
    completed = {"event_id": f"E-{uuid.uuid4().hex}", "case_id": case["id"], "status": "accepted"}
    raw, headers = signed_callback(settings, completed)
    assert (await client.post(CALLBACK_PATH, content=raw, headers=headers)).status_code == 200
    async with redis_down(runtime):
        replay = await client.post(CALLBACK_PATH, content=raw, headers=headers)
    assert replay.status_code == 401
    shown = await client.get(f"/api/v1/gov/applications/{case['id']}", headers=auth_headers(user, settings))
    assert shown.json()["status"] == "accepted"
