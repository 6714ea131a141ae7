"""Idempotency keys (services.common.idempotency) against the real database."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from citizen_api.runtime import build_cipher
from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.bookings.booking import Prepared
from services.bookings.errors import SlotFull
from services.bookings.models import Booking, Slot
from services.bookings.policy import BookingPolicies
from services.common import clock, idempotency
from services.common.idempotency import (
    Claim,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    KeyRecorded,
    Record,
    Replay,
)
from services.common.models import IdempotencyRecord
from services.notifications.models import InboxMessage
from tests.factories import make_user

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


# ------------------------------------------------------- a record written in the booking's transaction


def _record(key: str, *, scope: str = "u1:bookings.create", request_hash: str = "h") -> Record:
    return Record(
        scope=scope,
        key=key,
        request_hash=request_hash,
        status_code=201,
        render=lambda view: {"id": str(view.id), "remaining": view.slot.remaining},
    )


async def _booking_setup(capacity: int = 2):
    from services.bookings import service

    resource = await service.ensure_resource(
        owner_domain="gov",
        owner_ref=f"idem-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "窗口", "en": "Window"},
        staff_role=Role.DEPT_OPERATOR,
        rules={"per_person_per_day": None},
    )
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=1)
    return await service.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(minutes=30), capacity=capacity
    )


def _principal(user) -> Principal:
    return Principal(user_id=user.id, level=VerificationLevel.REAL_NAME)


async def test_record__written_with_the_booking_and_replayed_by_claim(settings) -> None:
    from services.bookings import service

    slot = await _booking_setup()
    user = await make_user()
    record = _record("in-tx")
    view = await service.book(
        actor=_principal(user),
        slot_id=slot.id,
        cipher=build_cipher(settings),
        policies=BookingPolicies(),
        record=record,
    )
    assert record.response == {"id": str(view.id), "remaining": 1}
    # The stored row is what claim() replays (raw INSERT read back through the ORM on both databases).
    assert await idempotency.claim(scope="u1:bookings.create", key="in-tx", request_hash="h") == Replay(
        201, {"id": str(view.id), "remaining": 1}
    )
    stored = await IdempotencyRecord.get(key="in-tx")
    assert stored.created_at <= clock.now() < stored.expires_at
    assert await idempotency.purge_expired() == 0
    assert await idempotency.purge_expired(now=clock.now() + dt.timedelta(hours=25)) == 1


async def test_record__refusal_in_the_transaction_leaves_no_key(settings) -> None:
    from services.bookings import service
    from services.bookings.booking import slot_row

    slot = await _booking_setup(capacity=1)
    first, late = await make_user(), await make_user()
    stale = await slot_row(slot.id)  # read while a place was free, as prepare_booking does
    await service.book(
        actor=_principal(first), slot_id=slot.id, cipher=build_cipher(settings), policies=BookingPolicies()
    )
    with pytest.raises(SlotFull):
        await service.book(
            actor=_principal(late),
            slot_id=slot.id,
            cipher=build_cipher(settings),
            policies=BookingPolicies(),
            prepared=Prepared(stale, None),
            record=_record("refused"),
        )
    assert await IdempotencyRecord.filter(key="refused").count() == 0  # rolled back with the booking
    assert await Booking.filter(slot_id=slot.id).count() == 1


async def test_record__key_taken_rolls_the_second_booking_back(settings) -> None:
    from services.bookings import service

    one, two = await _booking_setup(capacity=5), await _booking_setup(capacity=5)
    user = await make_user()
    cipher, policies = build_cipher(settings), BookingPolicies()
    await service.book(
        actor=_principal(user), slot_id=one.id, cipher=cipher, policies=policies, record=_record("k")
    )
    with pytest.raises(KeyRecorded):
        await service.book(
            actor=_principal(user),
            slot_id=two.id,
            cipher=cipher,
            policies=policies,
            record=_record("k", request_hash="other"),
        )
    assert await Booking.filter(slot_id=two.id).count() == 0
    assert await Slot.filter(id=two.id).values_list("taken", flat=True) == [0]
    assert await InboxMessage.filter(user_id=user.id).count() == 1  # the first booking's notice only


async def test_exists__any_record_of_the_key_in_its_scope() -> None:
    assert await idempotency.exists(scope="u1:r", key="e") is False
    owner = await idempotency.claim(scope="u1:r", key="e", request_hash="h")
    assert await idempotency.exists(scope="u1:r", key="e") is True  # in progress counts
    assert await idempotency.exists(scope="u2:r", key="e") is False
    await idempotency.release(owner.record_id)
    assert await idempotency.exists(scope="u1:r", key="e") is False
    with pytest.raises(InvalidIdempotencyKey):
        await idempotency.exists(scope="u1:r", key="bad\nkey")


@pytest.mark.server_only
@pytest.mark.parametrize(("capacity", "remaining", "status"), [(3, 1, "open"), (2, 0, "full")])
async def test_record__stored_answer_shows_the_places_the_statement_left(
    settings, capacity: int, remaining: int, status: str
) -> None:
    """PostgreSQL's one statement stores an answer rendered before it ran (issue 12): when another
    booking committed after the slot was read, SQL fills in the places left (`BookingOut.live_sql`),
    and the stored answer equals the one sent, field for field."""
    from citizen_api.endpoint import serialise
    from citizen_api.schemas.bookings import BookingOut
    from services.bookings import service
    from services.bookings.booking import slot_row

    slot = await _booking_setup(capacity=capacity)
    first, late = await make_user(), await make_user()
    stale = await slot_row(slot.id)  # read while nobody had booked: the answer is rendered from it
    await service.book(
        actor=_principal(first), slot_id=slot.id, cipher=build_cipher(settings), policies=BookingPolicies()
    )
    record = Record(
        scope=f"{late.id}:bookings.create",
        key="live",
        request_hash="h",
        status_code=201,
        render=lambda view: serialise(BookingOut.from_domain(view, "en")),
        live=BookingOut.live_sql,
    )
    await service.book(
        actor=_principal(late),
        slot_id=slot.id,
        cipher=build_cipher(settings),
        policies=BookingPolicies(),
        prepared=Prepared(stale, None),
        record=record,
    )
    assert (record.response["slot"]["remaining"], record.response["slot"]["status"]) == (remaining, status)
    replay = await idempotency.claim(scope=f"{late.id}:bookings.create", key="live", request_hash="h")
    assert replay == Replay(201, record.response)
