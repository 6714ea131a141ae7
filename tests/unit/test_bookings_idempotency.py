"""Idempotency keys (services.common.idempotency) against the real database."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from services.common import idempotency
from services.common.idempotency import (
    Claim,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    Replay,
)
from services.common.models import IdempotencyRecord

pytestmark = pytest.mark.usefixtures("db")


async def test_claim__first_claims_then_replays() -> None:
    first = await idempotency.claim(scope="u1:bookings.create", key="k", request_hash="h1")
    assert isinstance(first, Claim)
    await idempotency.complete(first.record_id, status_code=201, response={"id": "b-1"})
    again = await idempotency.claim(scope="u1:bookings.create", key="k", request_hash="h1")
    assert again == Replay(201, {"id": "b-1"})
    with pytest.raises(IdempotencyKeyReused):
        await idempotency.claim(scope="u1:bookings.create", key="k", request_hash="h2")
    other_scope = await idempotency.claim(scope="u2:bookings.create", key="k", request_hash="h2")
    assert isinstance(other_scope, Claim)


async def test_claim__concurrent_duplicates_one_owner_others_replay() -> None:
    async def attempt():
        return await idempotency.claim(scope="u1:r", key="burst", request_hash="h", wait_s=5, poll_s=0.01)

    async def owner_finishes_later(outcomes):
        await asyncio.sleep(0.2)
        (owner,) = [o for o in outcomes if isinstance(o, Claim)]
        await idempotency.complete(owner.record_id, status_code=201, response={"ok": 1})

    first_round = await asyncio.gather(*[attempt() for _ in range(1)])
    waiting = asyncio.gather(*[attempt() for _ in range(10)])
    await owner_finishes_later(first_round)
    replays = await waiting
    assert all(r == Replay(201, {"ok": 1}) for r in replays)
    assert await IdempotencyRecord.filter(key="burst").count() == 1


async def test_claim__in_progress_too_long_is_409_then_stale_claim_taken_over() -> None:
    owner = await idempotency.claim(scope="u1:r", key="slow", request_hash="h")
    assert isinstance(owner, Claim)
    with pytest.raises(IdempotencyInProgress):
        await idempotency.claim(scope="u1:r", key="slow", request_hash="h", wait_s=0.1, poll_s=0.02)
    # The owner's process died mid-request: after `stale_after` the key can be used again.
    await IdempotencyRecord.filter(id=owner.record_id).update(
        created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    )
    taken_over = await idempotency.claim(scope="u1:r", key="slow", request_hash="h")
    assert isinstance(taken_over, Claim) and taken_over.record_id != owner.record_id


async def test_claim__released_key_can_be_claimed_again() -> None:
    owner = await idempotency.claim(scope="u1:r", key="fail", request_hash="h")
    await idempotency.release(owner.record_id)
    assert isinstance(await idempotency.claim(scope="u1:r", key="fail", request_hash="h"), Claim)


async def test_records__expire_after_24_hours_and_are_purged() -> None:
    owner = await idempotency.claim(scope="u1:r", key="old", request_hash="h")
    await idempotency.complete(owner.record_id, status_code=201, response={})
    assert await idempotency.purge_expired() == 0
    assert await idempotency.purge_expired(now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=25)) == 1
    await IdempotencyRecord.create(
        scope="u1:r",
        key="expired",
        request_hash="h",
        status_code=201,
        response={},
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1),
    )
    # An expired record no longer binds the key, even with another request.
    assert isinstance(await idempotency.claim(scope="u1:r", key="expired", request_hash="other"), Claim)


@pytest.mark.parametrize("key", ["", "x" * 129, "ключ", "bad\nkey"])
async def test_claim__malformed_keys_refused(key: str) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        await idempotency.claim(scope="u1:r", key=key, request_hash="h")
