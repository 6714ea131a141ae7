"""Operators see undelivered submissions and retry dead-lettered ones; nobody else can."""

from __future__ import annotations

import httpx

from services.accounts.enums import Role
from services.common import outbox
from services.common.models import OutboxMessage, OutboxStatus
from tests.factories import auth_headers, make_user


async def test_ops_outbox__admin_lists_and_retries_dead_messages(client: httpx.AsyncClient, settings) -> None:
    admin = await make_user(roles={Role.ADMIN: [""]})
    dead = await outbox.enqueue(
        topic="gov.case_submit", payload={"case": "x"}, aggregate_type="case", aggregate_id="c1"
    )
    await OutboxMessage.filter(id=dead.id).update(
        status=OutboxStatus.DEAD, attempts=12, last_error="HTTP 503"
    )
    delivered = await outbox.enqueue(topic="gov.case_submit", payload={})
    await OutboxMessage.filter(id=delivered.id).update(status=OutboxStatus.DELIVERED)
    headers = auth_headers(admin, settings)

    listing = await client.get("/api/v1/ops/outbox", params={"status": "dead"}, headers=headers)
    assert listing.status_code == 200
    items = listing.json()["items"]
    assert [i["id"] for i in items] == [str(dead.id)]
    assert items[0]["last_error"] == "HTTP 503" and "payload" not in items[0]

    retried = await client.post(f"/api/v1/ops/outbox/{dead.id}/retry", headers=headers)
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    again = await client.post(f"/api/v1/ops/outbox/{delivered.id}/retry", headers=headers)
    assert again.status_code == 409
    missing = await client.post("/api/v1/ops/outbox/not-an-id/retry", headers=headers)
    assert missing.status_code == 404


async def test_ops_outbox__pages_with_a_cursor(client: httpx.AsyncClient, settings) -> None:
    admin = await make_user(roles={Role.ADMIN: [""]})
    ids = [str((await outbox.enqueue(topic="t.x", payload={})).id) for _ in range(5)]
    headers = auth_headers(admin, settings)
    first = (await client.get("/api/v1/ops/outbox", params={"limit": 3}, headers=headers)).json()
    second = (
        await client.get(
            "/api/v1/ops/outbox", params={"limit": 3, "cursor": first["next_cursor"]}, headers=headers
        )
    ).json()
    assert [i["id"] for i in first["items"] + second["items"]] == ids and second["next_cursor"] is None
    bad = await client.get("/api/v1/ops/outbox", params={"cursor": "garbage!!"}, headers=headers)
    assert bad.status_code == 422


async def test_ops_outbox__refused_to_residents_and_anonymous(client: httpx.AsyncClient, settings) -> None:
    resident = await make_user()
    assert (await client.get("/api/v1/ops/outbox")).status_code == 401
    response = await client.get("/api/v1/ops/outbox", headers=auth_headers(resident, settings))
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.role_required"
