"""Test harness: real PostgreSQL + Redis (or SQLite + fakeredis for the embedded run), a real
server on loopback with the sandboxes mounted, and per-run isolation (own database, own key prefix).

Environment:
  CITIZEN_TEST_PROFILE       server (default) | embedded
  CITIZEN_TEST_DATABASE_URL  admin URL of a PostgreSQL server (server profile)
  CITIZEN_TEST_REDIS_URL     URL of a Redis server (server profile)
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sanic import Sanic
from tortoise import Tortoise, connections

from citizen_api.app import create_app
from citizen_api.composition import tortoise_apps
from citizen_api.settings import Settings
from services.common.db import close_db, dialect, init_db, migrate

PROFILE = os.environ.get("CITIZEN_TEST_PROFILE", "server")
# Several apps (the API, standalone sandboxes) start in one process: test mode lets Sanic redo its
# per-app code touch-ups instead of failing on the second app.
Sanic.test_mode = True
RUN_ID = uuid.uuid4().hex[:10]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PROFILE != "embedded":
        return
    skip = pytest.mark.skip(
        reason="needs real PostgreSQL/Redis servers (embedded run uses SQLite + fakeredis)"
    )
    for item in items:
        if "server_only" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


async def _admin_execute(admin_url: str, sql: str) -> None:
    import asyncpg

    parts = urlsplit(admin_url)
    conn = await asyncpg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        database=(parts.path or "/postgres").lstrip("/") or "postgres",
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    """A database of this run's own, with the schema built from the migrations."""
    if PROFILE == "embedded":
        folder = Path(tempfile.mkdtemp(prefix="citizen-test-"))
        url = f"sqlite://{folder}/test.sqlite3"
        await migrate(url, apps=tortoise_apps())
        await close_db()
        yield url
        return
    admin = os.environ.get("CITIZEN_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"citizen_t_{RUN_ID}"
    await _admin_execute(admin, f'CREATE DATABASE "{name}"')
    url = _with_database(admin, name)
    try:
        await migrate(url, apps=tortoise_apps())
        await close_db()
        yield url
    finally:
        await close_db()
        await _admin_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    if PROFILE == "embedded":
        return None
    return os.environ.get("CITIZEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str | None) -> Settings:
    return Settings(
        profile="test",
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=f"t{RUN_ID}:",
        host="127.0.0.1",
        port=free_port(),
        sandboxes=True,
        run_worker_in_process=False,
        log_json=True,
        log_level="INFO",
        upload_dir=tempfile.mkdtemp(prefix="citizen-uploads-"),
        outbox_backoff_base_s=0.01,
    )


@pytest.fixture(scope="session")
async def db(database_url: str) -> AsyncIterator[None]:
    await init_db(database_url, apps=tortoise_apps())
    yield
    await close_db()


async def start_server(app: Sanic, port: int):
    """Run `app` on 127.0.0.1:`port` inside the test event loop; returns the server to stop later."""
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    return server


async def stop_server(server) -> None:
    await server.before_stop()
    await server.close()
    await server.after_stop()


@pytest.fixture(scope="session")
async def app(settings: Settings, db: None) -> AsyncIterator[Sanic]:
    """The API, served for real on loopback, with the sandboxes mounted under /sandbox."""
    application = create_app(settings)
    server = await start_server(application, settings.port)
    yield application
    await stop_server(server)


@pytest.fixture(scope="session")
def runtime(app: Sanic):
    return app.ctx.runtime


@pytest.fixture
async def client(app: Sanic, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=settings.base_url, timeout=30) as http:
        yield http


async def _truncate_all() -> None:
    conn = connections.get("default")
    tables = [model._meta.db_table for app in Tortoise.apps.values() for model in app.values()]
    if not tables:
        return
    if dialect() == "postgres":
        quoted = ", ".join(f'"{t}"' for t in tables)
        await conn.execute_script(f"TRUNCATE {quoted} CASCADE")
    else:
        await conn.execute_script(
            "PRAGMA foreign_keys=OFF;"
            + "".join(f'DELETE FROM "{t}";' for t in tables)
            + "PRAGMA foreign_keys=ON;"
        )


@pytest.fixture(autouse=True)
async def _isolation(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts with empty tables and an empty key space."""
    uses_db = "db" in request.fixturenames or "app" in request.fixturenames
    runtime = request.getfixturevalue("runtime") if "app" in request.fixturenames else None
    yield
    if not uses_db:
        return
    await _truncate_all()
    if runtime is not None:
        keys = [key async for key in runtime.redis.scan_iter(match=runtime.keys.prefix + "*", count=500)]
        if keys:
            await runtime.redis.delete(*keys)


@pytest.fixture
async def sandbox(settings: Settings):
    """Start standalone sandboxes on loopback: `base_url, options = await sandbox("wechat")`."""
    from integrations.sandbox import SandboxOptions, create_sandbox_app

    servers = []

    async def start(name: str, options: SandboxOptions | None = None) -> tuple[str, SandboxOptions]:
        options = options or SandboxOptions.from_settings(settings, name)
        port = free_port()
        server = await start_server(create_sandbox_app(name, options), port)
        servers.append(server)
        return f"http://127.0.0.1:{port}", options

    yield start
    for server in servers:
        await stop_server(server)


@pytest.fixture
async def openapi_document(settings: Settings, db: None) -> dict:
    """The OpenAPI document of a freshly started app (built from that app's own routes)."""
    port = free_port()
    fresh = create_app(settings.model_copy(update={"port": port}))
    server = await start_server(fresh, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            return (await http.get("/docs/openapi.json")).json()
    finally:
        await stop_server(server)
