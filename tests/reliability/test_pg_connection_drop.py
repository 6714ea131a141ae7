"""PostgreSQL drops the server's connections: reads are retried, uncommitted writes answer 503.

The drop is real: an operator's `pg_terminate_backend(pid)` on the backend serving the request, while
that request is in flight. The test holds a table lock from its own connection so the request is
provably inside its query (or inside its transaction, after earlier writes) when it is cut off.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from services.bookings.models import Booking, Slot
from services.common.models import IdempotencyRecord, OutboxMessage
from services.notifications.models import InboxMessage
from tests.factories import auth_headers, make_user
from tests.reliability.slots import clinic_slot as _slot

pytestmark = pytest.mark.server_only

# A backend of the server waiting for a lock the test holds, and the lock (mode, table) it waits for.
# (pg_stat_activity.query may still show the previous statement while a cached one binds.)
_WAITING = """
    SELECT l.pid, l.mode, c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
    WHERE NOT l.granted AND pg_backend_pid() = ANY(pg_blocking_pids(l.pid))
"""


async def _waiting(
    admin: asyncpg.Connection,
    request: asyncio.Task[httpx.Response],
    *,
    besides: set[int] = frozenset(),
    timeout: float = 20.0,
):
    """(pid, lock mode, table) of the server's backend blocked on the test's lock (not one of `besides`)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if request.done():
            response = request.result()
            raise AssertionError(f"answered {response.status_code} instead of waiting: {response.text}")
        for row in await admin.fetch(_WAITING):
            if row["pid"] not in besides:
                return row["pid"], row["mode"], row["relname"]
        await asyncio.sleep(0.02)
    raise AssertionError("no server query ever waited on the lock")


async def _terminate(admin: asyncpg.Connection, pid: int) -> None:
    assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)


async def test_pg_drop__read_in_flight_is_retried_on_a_fresh_connection(
    client: httpx.AsyncClient, settings, database_url: str
) -> None:
    user = await make_user()
    slot = await _slot()
    booked = await client.post(
        "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(user, settings)
    )
    assert booked.status_code == 201, booked.text
    booking_id = booked.json()["id"]

    admin = await asyncpg.connect(database_url)
    try:
        lock = admin.transaction()
        await lock.start()
        await admin.execute(f'LOCK TABLE "{Booking._meta.db_table}" IN ACCESS EXCLUSIVE MODE')
        read = asyncio.create_task(
            client.get(f"/api/v1/bookings/{booking_id}", headers=auth_headers(user, settings))
        )
        killed, mode, table = await _waiting(admin, read)
        assert (mode, table) == ("AccessShareLock", Booking._meta.db_table)  # a read, in flight
        await _terminate(admin, killed)
        # The read comes back on a new connection (a new backend), waiting on the same lock.
        retried, _, _ = await _waiting(admin, read, besides={killed})
        assert retried != killed
        await lock.rollback()
        response = await asyncio.wait_for(read, timeout=30)
    finally:
        await admin.close()
    assert response.status_code == 200, response.text
    assert response.json()["id"] == booking_id


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "本次操作未保存"), ({"Accept-Language": "en"}, "nothing was saved")],
    ids=["zh_CN", "en"],
)
async def test_pg_drop__uncommitted_write_answers_503_and_leaves_nothing(
    client: httpx.AsyncClient, settings, database_url: str, headers: dict[str, str], message: str
) -> None:
    user = await make_user()
    slot = await _slot()
    key = uuid.uuid4().hex
    request_headers = auth_headers(user, settings, **{"Idempotency-Key": key, **headers})

    admin = await asyncpg.connect(database_url)
    try:
        lock = admin.transaction()
        await lock.start()
        # SHARE mode lets every read through and stops inserts: the booking transaction reserves the
        # place and inserts the booking, then waits to write the citizen's inbox notice.
        await admin.execute(f'LOCK TABLE "{InboxMessage._meta.db_table}" IN SHARE MODE')
        write = asyncio.create_task(
            client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=request_headers)
        )
        killed, mode, table = await _waiting(admin, write)
        assert (mode, table) == ("RowExclusiveLock", InboxMessage._meta.db_table)  # the last insert
        await _terminate(admin, killed)
        response = await asyncio.wait_for(write, timeout=30)
        await lock.rollback()
    finally:
        await admin.close()

    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "db.unavailable"
    assert message in error["message"]
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert 1 <= int(response.headers["Retry-After"]) <= 10
    # Nothing half-written: the reserved place, the booking row and the notice all went with the transaction.
    assert (await Slot.get(id=slot.id)).taken == 0
    assert await Booking.filter(slot_id=slot.id).count() == 0
    assert await InboxMessage.filter(user_id=user.id).count() == 0
    assert await OutboxMessage.all().count() == 0
    # The idempotency claim was released, so the client's retry (same key) really books.
    assert await IdempotencyRecord.filter(key=key).count() == 0

    retry = await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=request_headers)
    assert retry.status_code == 201, retry.text
    assert "Idempotent-Replayed" not in retry.headers
    assert (await Slot.get(id=slot.id)).taken == 1
    assert await Booking.filter(slot_id=slot.id).count() == 1


async def test_pg_drop__every_pooled_connection_killed_the_next_requests_succeed(
    client: httpx.AsyncClient, settings, database_url: str
) -> None:
    user = await make_user()
    slot = await _slot()
    headers = auth_headers(user, settings)
    # Several connections in the pool, all idle.
    warm = await asyncio.gather(*[client.get("/health") for _ in range(6)])
    assert {r.status_code for r in warm} == {200}

    admin = await asyncpg.connect(database_url)
    try:
        killed = await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        assert killed and all(row[0] for row in killed)
    finally:
        await admin.close()

    # No warm-up and no operator action: the very next requests, reads and writes, succeed.
    reads = await asyncio.gather(*[client.get("/api/v1/me/bookings", headers=headers) for _ in range(6)])
    assert [r.status_code for r in reads] == [200] * 6, [r.text for r in reads]
    booked = await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    assert booked.status_code == 201, booked.text
    assert (await Slot.get(id=slot.id)).taken == 1
    health = await client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
