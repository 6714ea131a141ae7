"""Tortoise ORM configuration: one Tortoise app per domain, each with its own migrations package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.migrations.api import migrate as migrate_api

from services.common.db_postgres import DatabaseUnavailable

__all__ = [
    "DatabaseUnavailable",
    "TortoiseApps",
    "close_db",
    "dialect",
    "init_db",
    "migrate",
    "ping",
    "tortoise_config",
]

# A new connection to a PostgreSQL that does not answer gives up after this long (asyncpg's default
# is 60 s): during an outage requests answer 503 quickly instead of hanging.
CONNECT_TIMEOUT_S = 5.0

# Tortoise app name -> (models module, migrations package); the composition root supplies it
# (citizen_api.composition.tortoise_apps()). Cross-app foreign keys are resolved by Tortoise.
TortoiseApps = Mapping[str, tuple[str, str]]


def tortoise_config(database_url: str, *, apps: TortoiseApps, pool_max: int = 10) -> dict[str, Any]:
    """The Tortoise config dict for `database_url` (postgres://… or sqlite://path)."""
    url = database_url
    connection: str | dict[str, Any] = url
    scheme = urlsplit(url).scheme
    if scheme in {"postgres", "postgresql", "asyncpg"}:
        sep = "&" if "?" in url else "?"
        if "maxsize=" not in url:
            url = f"{url}{sep}minsize=1&maxsize={pool_max}"
        # Our asyncpg client: a read cut off by a dropped connection is retried once, a write is
        # DatabaseUnavailable (503), and the pool replaces dead connections (services/common/db_postgres.py).
        connection = expand_db_url(url)
        connection["engine"] = "services.common.db_postgres"
        connection["credentials"].setdefault("timeout", CONNECT_TIMEOUT_S)
    elif scheme == "sqlite":
        # WAL + a busy timeout let a second process (a worker) write without failing at once.
        sep = "&" if "?" in url else "?"
        if "busy_timeout" not in url:
            url = f"{url}{sep}busy_timeout=10000"
        connection = url
    config_apps = {
        name: {"models": [models], "default_connection": "default", "migrations": migrations}
        for name, (models, migrations) in apps.items()
    }
    return {"connections": {"default": connection}, "apps": config_apps, "use_tz": True, "timezone": "UTC"}


async def init_db(database_url: str, *, apps: TortoiseApps, pool_max: int = 10) -> None:
    """Open the connection pool and register every domain's models."""
    # Global fallback: Sanic opens the pool in a listener whose context the request tasks do not inherit.
    await Tortoise.init(
        config=tortoise_config(database_url, apps=apps, pool_max=pool_max), _enable_global_fallback=True
    )


async def migrate(database_url: str, *, apps: TortoiseApps, progress: Any = None) -> None:
    """Apply every pending migration of every domain (idempotent)."""
    await migrate_api(config=tortoise_config(database_url, apps=apps), progress=progress)


async def close_db() -> None:
    await Tortoise.close_connections()


def dialect() -> str:
    """'postgres' or 'sqlite': for the few places where SQL must differ."""
    name = connections.get("default").capabilities.dialect
    return "postgres" if name.startswith("postgres") else name


async def ping() -> None:
    """Raise if the database does not answer a trivial query."""
    await connections.get("default").execute_query("SELECT 1")
