"""The government-service platform down, then up: citizens still submit, nothing is lost, and every
case reaches the platform exactly once (at-least-once delivery + the platform's event-id dedup)."""

from __future__ import annotations

import pytest

from citizen_api.worker import deliver_outbox_once
from services.common.models import OutboxMessage, OutboxStatus
from services.gov import cases, delivery
from tests.api.test_gov_support import ONLINE_ITEM, deliver_all, platform_control, seed
from tests.factories import auth_headers, make_user

N = 6


@pytest.fixture
async def seeded(runtime) -> int:
    return await seed(runtime)


@pytest.fixture
async def platform(settings, runtime):
    async with platform_control(settings, runtime) as control:
        yield control


async def _held_by_platform(platform, case_ids: set[str]) -> list[str]:
    listing = await platform.get("/api/cases")
    assert listing.status_code == 200
    return [c["case_id"] for c in listing.json()["cases"] if c["case_id"] in case_ids]


async def test_outage__submissions_accepted_while_down_and_each_delivered_once_after(
    client, settings, runtime, seeded, platform
) -> None:
    assert (await platform.post("/__faults", json={"down": True})).json()["down"] is True
    users = [await make_user() for _ in range(3)]
    case_ids: set[str] = set()
    for i in range(N):
        user = users[i % len(users)]
        response = await client.post(
            "/api/v1/gov/applications", json={"item_code": ONLINE_ITEM}, headers=auth_headers(user, settings)
        )
        assert response.status_code == 201, response.text  # the outage is invisible to the citizen
        case_ids.add(response.json()["id"])

    # The worker tries every case and fails: each is retried later, none is dropped.
    await deliver_outbox_once(runtime)
    rows = await OutboxMessage.filter(topic=cases.TOPIC_SUBMIT, aggregate_id__in=list(case_ids))
    assert len(rows) == N
    assert all(row.status == OutboxStatus.PENDING and row.attempts >= 1 and row.last_error for row in rows)
    for _ in range(3):  # more failed rounds while it stays down (backoff in tests is ~10 ms)
        await deliver_all(runtime, rounds=1)
    rows = await OutboxMessage.filter(topic=cases.TOPIC_SUBMIT, aggregate_id__in=list(case_ids))
    assert all(row.status == OutboxStatus.PENDING for row in rows)

    await platform.delete("/__faults")
    assert await _held_by_platform(platform, case_ids) == []
    # The adapter's circuit breaker opened during the outage; let its cool-down pass.
    breaker = runtime.adapters.gov_platform.breaker
    if breaker.opened_at is not None:
        breaker.opened_at -= breaker.cooldown_s
    await deliver_all(runtime)

    rows = await OutboxMessage.filter(topic=cases.TOPIC_SUBMIT, aggregate_id__in=list(case_ids))
    assert {row.status for row in rows} == {OutboxStatus.DELIVERED}
    held = await _held_by_platform(platform, case_ids)
    assert sorted(held) == sorted(case_ids)  # every case, each exactly once

    # A worker that dies after the platform took a case but before recording it delivers again:
    # the platform recognises the event id, so it still holds the case once.
    row = rows[0]
    platform_refs = set()
    for _ in range(2):
        await delivery.deliver_submission(
            event_id=str(row.id),
            case_id=row.aggregate_id,
            platform=runtime.adapters.gov_platform,
            cipher=runtime.cipher,
        )
    held_again = await _held_by_platform(platform, case_ids)
    assert sorted(held_again) == sorted(case_ids)
    for user in users:
        listing = (await client.get("/api/v1/me/cases", headers=auth_headers(user, settings))).json()["items"]
        for item in listing:
            shown = await client.get(
                f"/api/v1/gov/applications/{item['id']}", headers=auth_headers(user, settings)
            )
            assert shown.json()["delivered"] is True
            platform_refs.add(shown.json()["platform_ref"])
    assert len(platform_refs) == N


async def test_outage__a_failing_answer_is_retried_not_lost(
    client, settings, runtime, seeded, platform
) -> None:
    user = await make_user()
    created = await client.post(
        "/api/v1/gov/applications", json={"item_code": ONLINE_ITEM}, headers=auth_headers(user, settings)
    )
    case_id = created.json()["id"]
    await platform.post("/__faults", json={"fail_next": 2, "fail_status": 502})
    await deliver_all(runtime)
    row = await OutboxMessage.get(topic=cases.TOPIC_SUBMIT, aggregate_id=case_id)
    assert row.status == OutboxStatus.DELIVERED and row.attempts == 3
    assert await _held_by_platform(platform, {case_id}) == [case_id]


async def test_withdrawal__reaches_the_platform_after_the_case_and_never_before(
    client, settings, runtime, seeded, platform
) -> None:
    user = await make_user()
    headers = auth_headers(user, settings)

    async def apply() -> str:
        created = await client.post(
            "/api/v1/gov/applications", json={"item_code": ONLINE_ITEM}, headers=headers
        )
        return created.json()["id"]

    # Withdrawn while the platform was down and before it ever saw the case: it never hears of it.
    await platform.post("/__faults", json={"down": True})
    unsent = await apply()
    await deliver_all(runtime, rounds=1)
    await client.post(f"/api/v1/gov/applications/{unsent}/withdraw", json={}, headers=headers)
    await platform.delete("/__faults")
    breaker = runtime.adapters.gov_platform.breaker
    if breaker.opened_at is not None:
        breaker.opened_at -= breaker.cooldown_s
    await deliver_all(runtime)
    assert await _held_by_platform(platform, {unsent}) == []
    rows = await OutboxMessage.filter(aggregate_id=unsent).values_list("topic", "status")
    assert sorted(rows) == [
        (cases.TOPIC_SUBMIT, OutboxStatus.DELIVERED),
        (cases.TOPIC_WITHDRAW, OutboxStatus.DELIVERED),
    ]

    # Withdrawn after delivery: the platform is told, in that order.
    sent = await apply()
    await deliver_all(runtime)
    await client.post(
        f"/api/v1/gov/applications/{sent}/withdraw", json={"reason": "不需要了"}, headers=headers
    )
    await deliver_all(runtime)
    ref = (await client.get(f"/api/v1/gov/applications/{sent}", headers=headers)).json()["platform_ref"]
    assert (await platform.get(f"/api/cases/{ref}")).json()["status"] == "withdrawn"
