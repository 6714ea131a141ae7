"""A client that hangs up in the middle of its booking (PostgreSQL): no stray error, no half-booking.

Sanic cancels the request's handler when its client disconnects. The test holds the slot's row lock
from its own connection, so the booking is provably inside its transaction (waiting to take the place)
when the client's socket closes; then it either lets the booking through or fills the slot first,
so the work the client left behind succeeds or is refused with nobody left to hear it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import uuid

import asyncpg
import httpx
import pytest

from services.bookings.models import Booking, Slot
from services.common.models import IdempotencyRecord
from services.notifications.models import InboxMessage
from tests.factories import auth_headers, make_user
from tests.reliability.slots import clinic_slot

pytestmark = pytest.mark.server_only

# A backend of the server waiting for a lock the test's connection holds.
_WAITING = (
    "SELECT l.pid FROM pg_locks l WHERE NOT l.granted AND pg_backend_pid() = ANY(pg_blocking_pids(l.pid))"
)


async def _send_and_hang_up(
    admin: asyncpg.Connection, port: int, body: dict, headers: dict[str, str]
) -> None:
    """POST /api/v1/bookings on a raw connection; close it once the server waits on the test's lock."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode()
    head = [
        "POST /api/v1/bookings HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(data)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
    await writer.drain()
    try:
        for _ in range(1000):
            if await admin.fetch(_WAITING):
                break
            assert not reader.at_eof(), "the server answered instead of waiting on the lock"
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the booking never waited on the slot's row lock")
    finally:
        writer.close()
    await writer.wait_closed()
    await asyncio.sleep(0.3)  # the server sees the hang-up and cancels the handler


async def _settled(key: str | None) -> None:
    """Wait until the work the client left behind has finished (its key completed or released)."""
    for _ in range(250):
        if key is None or not await IdempotencyRecord.filter(key=key, status_code__isnull=True).exists():
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the idempotency claim never settled")
    await asyncio.sleep(0.2)
    gc.collect()  # an unretrieved task exception is reported when the task is collected
    await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("with_key", "slot_fills"),
    [(True, False), (True, True), (False, False)],
    ids=["key-booked", "key-slot-filled-meanwhile", "no-key"],
)
async def test_booking__client_hangs_up_mid_transaction(
    client: httpx.AsyncClient,
    settings,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    with_key: bool,
    slot_fills: bool,
) -> None:
    caplog.set_level(logging.INFO)
    user = await make_user()
    slot = await clinic_slot(capacity=2)
    key = uuid.uuid4().hex if with_key else None
    headers = auth_headers(user, settings, **({"Idempotency-Key": key} if key else {}))
    table = Slot._meta.db_table

    admin = await asyncpg.connect(database_url)
    try:
        lock = admin.transaction()
        await lock.start()
        await admin.execute(f'SELECT 1 FROM "{table}" WHERE id = $1 FOR UPDATE', slot.id)
        await _send_and_hang_up(admin, settings.port, {"slot_id": str(slot.id)}, headers)
        if slot_fills:
            # Others took the last places while this booking waited: it is refused, with nobody to tell.
            await admin.execute(f'UPDATE "{table}" SET taken = capacity WHERE id = $1', slot.id)
        await lock.commit()
    finally:
        await admin.close()
    await _settled(key)

    stray = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    assert not stray, [r.getMessage() for r in stray]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]

    # All or nothing: the place, the booking, its notice and the key's record agree.
    bookings = await Booking.filter(slot_id=slot.id).count()
    taken = (await Slot.get(id=slot.id)).taken
    notices = await InboxMessage.filter(user_id=user.id).count()
    if slot_fills:
        assert (bookings, taken, notices) == (0, 2, 0)
    else:
        assert (bookings, taken, notices) in {(0, 0, 0), (1, 1, 1)}
    if key is None:
        return
    assert bookings == (0 if slot_fills else 1)  # shielded: the work outlived the client
    records = await IdempotencyRecord.filter(key=key).values_list("status_code", flat=True)
    assert records == ([] if slot_fills else [201])

    retry = await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    if slot_fills:
        assert retry.status_code == 409, retry.text
        assert retry.json()["error"]["code"] == "booking.slot_full"
        assert "Idempotent-Replayed" not in retry.headers
    else:
        assert retry.status_code == 201, retry.text
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.json()["id"] == str((await Booking.get(slot_id=slot.id)).id)
    assert await Booking.filter(slot_id=slot.id).count() == bookings  # the retry did nothing twice
