"""PostgreSQL entirely down (not one dropped connection): 503 `db.unavailable` fast, then recovery.

The API runs as its own process (`citizen-api serve`) whose DATABASE_URL points at a TCP proxy in
front of the test's PostgreSQL (tests/reliability/pg_proxy.py). The proxy then plays the outage: the
server stopped (connections reset, the port refuses), the host unreachable (connections reset, new
ones never answered), or connections that died unnoticed in the pool; and the database coming back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from services.bookings.models import Booking, Slot
from services.common.db import CONNECT_TIMEOUT_S, DatabaseUnavailable, tortoise_config
from services.common.db_postgres import ResilientAsyncpgClient
from tests.conftest import RUN_ID, free_port
from tests.factories import auth_headers, make_user
from tests.reliability.pg_proxy import PgProxy
from tests.reliability.slots import clinic_slot

pytestmark = [pytest.mark.server_only, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120
# What "answers quickly" means while the database is down: refused at once; unreachable within
# the connect timeout, plus the time a loaded 2-core host needs.
REFUSED_LIMIT_S = 3.0
UNREACHABLE_LIMIT_S = CONNECT_TIMEOUT_S + 3.0
MESSAGES = {"zh_CN": "本次操作未保存", "en": "nothing was saved"}


@dataclass
class Served:
    base: str
    proxy: PgProxy
    log: Path
    process: subprocess.Popen[bytes]


def _through(url: str, port: int) -> str:
    parts = urlsplit(url)
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit((parts.scheme, f"{auth}127.0.0.1:{port}", parts.path, parts.query, ""))


@pytest.fixture(scope="module")
async def served(settings, database_url: str, tmp_path_factory) -> AsyncIterator[Served]:
    """`citizen-api serve` with its database behind the proxy."""
    target = urlsplit(database_url)
    proxy = PgProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    port = free_port()
    log = tmp_path_factory.mktemp("pg-outage") / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CITIZEN_DATABASE_URL=_through(database_url, proxy.port),
        CITIZEN_DB_POOL_MAX="4",
        CITIZEN_PORT=str(port),
        CITIZEN_UPLOAD_DIR=settings.upload_dir,
        CITIZEN_SECRET_KEY=settings.secret_key.get_secret_value(),
        CITIZEN_LOG_JSON="true",
        CITIZEN_RUN_WORKER_IN_PROCESS="false",
        CITIZEN_REDIS_URL=settings.redis_url,
        CITIZEN_REDIS_PREFIX=f"t{RUN_ID}pg:",
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "citizen_api.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        async with httpx.AsyncClient(base_url=base, timeout=2) as http:
            while True:
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, f"server did not start: {log.read_text()[-3000:]}"
                try:
                    if (await http.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.3)
        yield Served(base=base, proxy=proxy, log=log, process=process)
    finally:
        # The proxy runs in this loop: wait without blocking it, or the server's pool cannot close.
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        await proxy.close()


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
        yield client
    await served.proxy.restore()  # whatever a test did, the next one starts with the database up


async def _timed(call) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


def _assert_unavailable(response: httpx.Response, locale: str) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "db.unavailable"
    assert MESSAGES[locale] in error["message"]
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert 1 <= int(response.headers["Retry-After"]) <= 10


async def _the_api_works(http: httpx.AsyncClient, settings, user, slot: Slot) -> str:
    """A read and a write succeed and /ready is ready; returns the booking made."""
    ready = await http.get("/ready")
    assert ready.status_code == 200, ready.text
    headers = auth_headers(user, settings, **{"Idempotency-Key": uuid.uuid4().hex})
    booked = await http.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    assert booked.status_code == 201, booked.text
    read = await http.get("/api/v1/me/bookings", headers=auth_headers(user, settings))
    assert read.status_code == 200, read.text
    assert booked.json()["id"] in [item["id"] for item in read.json()["items"]]
    return booked.json()["id"]


@pytest.mark.parametrize("outage", ["refused", "unreachable"])
async def test_pg_down__reads_and_writes_answer_503_fast_then_recover(
    served: Served, http: httpx.AsyncClient, settings, db: None, outage: str
) -> None:
    user, other = await make_user(), await make_user()
    slot = await clinic_slot()
    first = await _the_api_works(http, settings, user, slot)
    limit = REFUSED_LIMIT_S if outage == "refused" else UNREACHABLE_LIMIT_S

    if outage == "refused":
        await served.proxy.refuse()
    else:
        served.proxy.blackhole()
    for locale in ("zh_CN", "en"):
        language = {"Accept-Language": locale}
        read, took = await _timed(
            http.get(f"/api/v1/bookings/{first}", headers=auth_headers(user, settings, **language))
        )
        _assert_unavailable(read, locale)
        assert took < limit, f"a read took {took:.1f} s"
        key = {"Idempotency-Key": uuid.uuid4().hex}
        write, took = await _timed(
            http.post(
                "/api/v1/bookings",
                json={"slot_id": str(slot.id)},
                headers=auth_headers(other, settings, **language, **key),
            )
        )
        _assert_unavailable(write, locale)
        assert took < limit, f"a write took {took:.1f} s"
    health, took = await _timed(http.get("/health"))
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert took < 1.0
    ready, took = await _timed(http.get("/ready"))
    assert ready.status_code == 503, ready.text
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["checks"]["database"].startswith("down")
    assert ready.json()["checks"]["redis"] == "ok"
    assert took < limit

    await served.proxy.restore()
    # The very next requests work: no restart, no operator action.
    second = await _the_api_works(http, settings, other, slot)
    assert await Booking.filter(slot_id=slot.id).count() == 2  # nothing from the outage was stored
    assert {str(b.id) for b in await Booking.filter(slot_id=slot.id)} == {first, second}
    assert (await Slot.get(id=slot.id)).taken == 2


async def test_pg_dead_pooled_connections__begin_and_reads_start_again_on_fresh_ones(
    served: Served, http: httpx.AsyncClient, settings, db: None
) -> None:
    # Connections that died unnoticed (a firewall or NAT forgot them): the client learns only when it
    # sends. A transaction's BEGIN, or a read, has changed nothing yet, so it is safe to start it again.
    user = await make_user()
    slot = await clinic_slot()
    await _the_api_works(http, settings, user, slot)
    warm = await asyncio.gather(
        *[http.get("/api/v1/me/bookings", headers=auth_headers(user, settings)) for _ in range(4)]
    )
    assert {r.status_code for r in warm} == {200}
    accepted = served.proxy.accepted
    served.proxy.sever_on_next_use()

    other = await make_user()
    headers = auth_headers(other, settings, **{"Idempotency-Key": uuid.uuid4().hex})
    booked = await http.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    assert booked.status_code == 201, booked.text
    reads = [await http.get("/api/v1/me/bookings", headers=auth_headers(user, settings)) for _ in range(4)]
    assert [r.status_code for r in reads] == [200] * 4, [r.text for r in reads]
    assert served.proxy.accepted > accepted  # the dead connections were replaced by new ones
    assert (await Slot.get(id=slot.id)).taken == 2


async def _uncapped_slot_in_use(http: httpx.AsyncClient, settings) -> tuple:
    """A slot without a daily cap (its booking is one statement), booked once through the API, and a
    person who has not booked yet."""
    user, other = await make_user(), await make_user()
    slot = await clinic_slot(daily_cap=False)
    await _the_api_works(http, settings, user, slot)
    return other, slot


@pytest.mark.parametrize("with_key", [False, True], ids=["no-key", "idempotency-key"])
async def test_pg_booking_statement_whose_answer_is_lost__sent_again_and_answered_once(
    served: Served, http: httpx.AsyncClient, settings, db: None, with_key: bool
) -> None:
    # A booking without a daily cap is one statement run on its own (issue 12). Its connection is
    # cut as PostgreSQL answers: the booking committed, the API never heard. Sent again, the statement
    # fails as a whole on the booking's id, which tells the API it is done: one booking, answered once
    # (without a key there is nothing else to fall back on).
    other, slot = await _uncapped_slot_in_use(http, settings)
    marker, lost = f"lost-{uuid.uuid4().hex}", served.proxy.answers_lost
    served.proxy.lose_answer_to(marker.encode())
    # Not the marker as the key: the slot read carries the key; only the booking's statement carries
    # the purpose.
    headers = auth_headers(other, settings, **({"Idempotency-Key": uuid.uuid4().hex} if with_key else {}))
    body = {"slot_id": str(slot.id), "purpose": {"note": marker}}
    booked = await http.post("/api/v1/bookings", json=body, headers=headers)
    assert booked.status_code == 201, booked.text
    assert served.proxy.answers_lost == lost + 1  # the fault did happen, on the booking's statement
    rows = await Booking.filter(slot_id=slot.id, user_id=other.id).values_list("id", flat=True)
    assert [str(i) for i in rows] == [booked.json()["id"]]
    assert (await Slot.get(id=slot.id)).taken == 2
    assert booked.json()["slot"]["remaining"] == 3
    assert "self-contained write; sending it again" in served.log.read_text()
    if with_key:  # the key's stored answer is the one sent: a retry replays it exactly
        again = await http.post("/api/v1/bookings", json=body, headers=headers)
        assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
        assert again.json() == booked.json()


async def test_pg_booking_statement_on_a_dead_pooled_connection__sent_again_on_a_fresh_one(
    served: Served, http: httpx.AsyncClient, settings, db: None
) -> None:
    # The statement itself meets a connection that died unnoticed (its bytes never reach the server):
    # sent again on a fresh connection, it books once. No key: the booking's id alone makes it safe.
    other, slot = await _uncapped_slot_in_use(http, settings)
    marker, severed = f"cut-{uuid.uuid4().hex}", served.proxy.severed
    served.proxy.sever_when(marker.encode())
    body = {"slot_id": str(slot.id), "purpose": {"note": marker}}
    booked = await http.post("/api/v1/bookings", json=body, headers=auth_headers(other, settings))
    assert booked.status_code == 201, booked.text
    assert served.proxy.severed == severed + 1
    assert await Booking.filter(slot_id=slot.id, user_id=other.id).count() == 1
    assert (await Slot.get(id=slot.id)).taken == 2
    assert booked.json()["slot"]["remaining"] == 3


@pytest.fixture
async def proxied_client(database_url: str) -> AsyncIterator[tuple[ResilientAsyncpgClient, PgProxy]]:
    """Our asyncpg client (3 pooled connections) on its own, talking to PostgreSQL through a proxy."""
    target = urlsplit(database_url)
    proxy = PgProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    config = tortoise_config(_through(database_url, proxy.port), apps={}, pool_max=3)
    client = ResilientAsyncpgClient(
        connection_name=f"outage_{uuid.uuid4().hex[:8]}", **config["connections"]["default"]["credentials"]
    )
    await client.create_connection(with_db=True)
    try:
        yield client, proxy
    finally:
        await proxy.restore()
        await client.close()
        await proxy.close()


async def _three_pooled(client: ResilientAsyncpgClient) -> None:
    await asyncio.gather(*[client.execute_query("SELECT pg_sleep(0.05)") for _ in range(3)])


async def test_pg_begin_on_a_dead_pooled_connection__starts_again_on_another(
    proxied_client, caplog: pytest.LogCaptureFixture
) -> None:
    client, proxy = proxied_client
    await _three_pooled(client)
    accepted = proxy.accepted
    proxy.sever_on_next_use()  # all three are dead; each BEGIN sent on one of them is cut
    caplog.set_level(logging.WARNING, logger="services.common.db")

    async with client._in_transaction() as conn:
        _, rows = await conn.execute_query("SELECT txid_current() AS tx, 1 AS one")
    assert rows[0]["one"] == 1
    restarts = [r for r in caplog.records if "starting the transaction again" in r.getMessage()]
    assert len(restarts) == 3  # each dead connection discarded in turn, then a new one
    assert proxy.accepted > accepted  # on a new connection


async def test_pg_statement_in_a_transaction_on_a_dead_connection__is_not_retried(proxied_client) -> None:
    client, proxy = proxied_client
    await _three_pooled(client)
    with pytest.raises(DatabaseUnavailable):
        async with client._in_transaction() as conn:
            await conn.execute_query("SELECT 1")
            proxy.sever_on_next_use()  # after BEGIN: a write could already have been sent
            await conn.execute_query("SELECT 2")


async def test_pg_read_on_dead_pooled_connections__retried_but_not_when_unreachable(proxied_client) -> None:
    client, proxy = proxied_client
    await _three_pooled(client)
    proxy.sever_on_next_use()
    _, rows = await client.execute_query("SELECT 42 AS answer")
    assert rows[0]["answer"] == 42

    await _three_pooled(client)
    await proxy.refuse()
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable):
        await client.execute_query("SELECT 1")
    assert time.monotonic() - started < 1.0
    proxy.blackhole()
    await proxy.restore()
    proxy.blackhole()  # listening again, never answering: one connect timeout, not one per retry
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable):
        await client.execute_query("SELECT 1")
    assert time.monotonic() - started < CONNECT_TIMEOUT_S + 2.0
