"""Tortoise ORM configuration: one Tortoise app per domain, each with its own migrations package."""

from __future__ import annotations

import enum
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate as migrate_api

from services.common.db_postgres import DatabaseUnavailable, DatabaseUnreachable, reconnect_attempts

__all__ = [
    "DatabaseUnavailable",
    "TortoiseApps",
    "close_db",
    "dialect",
    "init_db",
    "migrate",
    "ping",
    "raw_execute",
    "raw_rows",
    "raw_statement_retried",
    "tortoise_config",
]

log = logging.getLogger("services.common.db")

# A new connection to a PostgreSQL that does not answer gives up after this long (asyncpg's default
# is 60 s): during an outage requests answer 503 quickly instead of hanging.
CONNECT_TIMEOUT_S = 5.0

# Tortoise app name -> (models module, migrations package); the composition root supplies it
# (citizen_api.composition.tortoise_apps()). Cross-app foreign keys are resolved by Tortoise.
TortoiseApps = Mapping[str, tuple[str, str]]


class _PooledConnection(asyncpg.connection.Connection):
    """A pooled asyncpg connection returned to the pool without the reset query.

    asyncpg resets every connection it takes back (`SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL`): one more round trip per statement run outside a transaction, about a third
    of the statements of a booking (issue 12). Nothing here leaves session state behind: advisory locks
    are transaction-scoped (pg_advisory_xact_lock), there are no LISTENs, cursors or session SETs. An
    open transaction is still rolled back on release (asyncpg does that before it asks for this query).
    """

    def get_reset_query(self) -> str:
        return ""


def tortoise_config(database_url: str, *, apps: TortoiseApps, pool_max: int = 10) -> dict[str, Any]:
    """The Tortoise config dict for `database_url` (postgres://… or sqlite://path)."""
    url = database_url
    scheme = urlsplit(url).scheme
    connection: str | dict[str, Any] = url
    if scheme in {"postgres", "postgresql", "asyncpg"}:
        sep = "&" if "?" in url else "?"
        if "maxsize=" not in url:
            # Every connection opened when the pool is (asyncpg's own default): a burst (the 200-person
            # race) found a pool grown only to the usual load and paid for the rest as it came (issue 12).
            url = f"{url}{sep}minsize={pool_max}&maxsize={pool_max}"
        connection = expand_db_url(url)
        connection["credentials"]["connection_class"] = _PooledConnection
        # Our asyncpg client: a read cut off by a dropped connection is retried once, a write is
        # DatabaseUnavailable (503), and the pool replaces dead connections (services/common/db_postgres.py).
        connection["engine"] = "services.common.db_postgres"
        connection["credentials"].setdefault("timeout", CONNECT_TIMEOUT_S)
    elif scheme == "sqlite":
        # WAL + a busy timeout let a second process (a worker) write without failing at once.
        sep = "&" if "?" in url else "?"
        if "busy_timeout" not in url:
            url = f"{url}{sep}busy_timeout=10000"
        connection = expand_db_url(url)
        # Transactions take the write lock when they begin (services/common/db_sqlite.py).
        connection["engine"] = "services.common.db_sqlite"
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


# --------------------------------------------------------------------------- raw SQL on hot paths
# For the few measured hot paths (issue 12) that skip the ORM's query building. Write the SQL once
# with PostgreSQL placeholders ($1, $2, ...); on SQLite they become ?1, ?2 (same numbering) and UUID
# or enum parameters become the text the ORM stores. Only plain values (text, numbers, UUIDs, enums,
# booleans): dates and datetimes are stored differently by the two backends, so compare them in SQL.


def _sql_and_values(client: Any, query: str, values: list[Any]) -> tuple[str, list[Any]]:
    values = [v.value if isinstance(v, enum.Enum) else v for v in values]
    if client.capabilities.dialect.startswith("postgres"):
        return query, values
    return _PLACEHOLDER.sub(r"?\1", query), [str(v) if isinstance(v, uuid.UUID) else v for v in values]


_PLACEHOLDER = re.compile(r"\$(\d+)")


async def raw_rows(query: str, values: list[Any], *, conn: Any = None) -> list[dict[str, Any]]:
    """The rows of one SELECT (or ... RETURNING), as dicts; in `conn`'s transaction when given."""
    client = conn if conn is not None else connections.get("default")
    sql, params = _sql_and_values(client, query, values)
    return [dict(row) for row in await client.execute_query_dict(sql, params)]


async def raw_execute(query: str, values: list[Any], *, conn: Any = None) -> int:
    """Run one INSERT/UPDATE/DELETE; the number of rows it changed."""
    client = conn if conn is not None else connections.get("default")
    sql, params = _sql_and_values(client, query, values)
    changed, _ = await client.execute_query(sql, params)
    return changed


async def raw_statement_retried(
    query: str, values: list[Any], *, committed: Callable[[], Awaitable[bool]]
) -> list[dict[str, Any]] | None:
    """The rows of one self-contained write run on its own (no transaction), sent again on a fresh
    connection when its connection is lost, as a transaction's BEGIN is (services/common/db_postgres.py).

    That is safe only for a statement that fails as a whole once it has committed: it inserts a row
    with a primary key chosen before it was sent (the booking's one statement). A lost attempt may have
    committed with its answer lost, so an IntegrityError after one is asked about: `committed()` says
    whether the earlier attempt wrote (then None is returned), or the error is the statement's own.
    """
    client = connections.get("default")
    attempts = reconnect_attempts(client)
    lost = False
    for attempt in range(1, attempts + 1):
        try:
            return await raw_rows(query, values)
        except DatabaseUnreachable:
            raise
        except DatabaseUnavailable:
            if attempt == attempts:
                raise
            lost = True
            log.warning(
                "connection lost during a self-contained write; sending it again", extra={"attempt": attempt}
            )
        except IntegrityError:
            if lost and await committed():
                return None
            raise
    raise AssertionError("unreachable")  # pragma: no cover
