"""A client that hangs up after its write committed still gets the result on retry (same key)."""

from __future__ import annotations

import asyncio
import types
import uuid

import pytest

from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent
from services.accounts.enums import VerificationLevel
from services.accounts.principal import Principal
from services.common import outbox
from services.common.models import IdempotencyRecord, OutboxMessage

pytestmark = pytest.mark.usefixtures("db")


async def test_idempotent__cancelled_after_commit_still_records_and_replays() -> None:
    actor = Principal(user_id=uuid.uuid4(), level=VerificationLevel.REAL_NAME)
    request = types.SimpleNamespace(headers={IDEMPOTENCY_HEADER: "hang-up-1"})
    committed = asyncio.Event()

    async def book() -> dict:
        message = await outbox.enqueue(topic="t.booking", payload={})  # the write commits here
        committed.set()
        await asyncio.sleep(0.3)  # work after the commit (rendering, notifications)
        return {"id": str(message.id)}

    async def call():
        return await idempotent(request, actor=actor, route="t.book", payload={"n": 1}, run=book, status=201)

    first = asyncio.create_task(call())
    await committed.wait()
    first.cancel()  # what Sanic does when the client disconnects
    with pytest.raises(asyncio.CancelledError):
        await first

    async def record_done() -> IdempotencyRecord:
        for _ in range(100):
            record = await IdempotencyRecord.get(scope=f"{actor.user_id}:t.book", key="hang-up-1")
            if record.status_code is not None:
                return record
            await asyncio.sleep(0.02)
        raise AssertionError("the idempotency record was never completed")

    record = await record_done()
    assert record.status_code == 201
    retry = await call()
    assert retry.status == 201 and retry.headers.get("Idempotent-Replayed") == "true"
    assert await OutboxMessage.all().count() == 1  # booked once, answered twice
