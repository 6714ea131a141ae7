"""Tortoise ORM configuration: one Tortoise app per domain, each with its own migrations package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate as migrate_api

__all__ = ["TortoiseApps", "close_db", "dialect", "init_db", "migrate", "ping", "tortoise_config"]

# Tortoise app name -> (models module, migrations package); the composition root supplies it
# (citizen_api.composition.tortoise_apps()). Cross-app foreign keys are resolved by Tortoise.
TortoiseApps = Mapping[str, tuple[str, str]]


def tortoise_config(database_url: str, *, apps: TortoiseApps, pool_max: int = 10) -> dict[str, Any]:
    """The Tortoise config dict for `database_url` (postgres://… or sqlite://path)."""
    url = database_url
    scheme = urlsplit(url).scheme
    if scheme in {"postgres", "postgresql", "asyncpg"}:
        sep = "&" if "?" in url else "?"
        if "maxsize=" not in url:
            url = f"{url}{sep}minsize=1&maxsize={pool_max}"
    elif scheme == "sqlite":
        # WAL + a busy timeout let a second process (a worker) write without failing at once.
        sep = "&" if "?" in url else "?"
        if "busy_timeout" not in url:
            url = f"{url}{sep}busy_timeout=10000"
    config_apps = {
        name: {"models": [models], "default_connection": "default", "migrations": migrations}
        for name, (models, migrations) in apps.items()
    }
    return {"connections": {"default": url}, "apps": config_apps, "use_tz": True, "timezone": "UTC"}


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
