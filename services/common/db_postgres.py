"""The PostgreSQL client (Tortoise's asyncpg backend) made to survive dropped connections.

PostgreSQL can drop a connection at any time: an operator's `pg_terminate_backend`, a restart,
a failover, a network cut. asyncpg's pool reconnects a connection it already knows is closed, but a
statement in flight when the connection dies raises a raw asyncpg error, and Tortoise then tries to
roll back on the dead connection and raises a second one; the caller saw a bare 500. Here:

- a read (a SELECT outside any transaction) whose connection dies is retried on a fresh connection
  from the pool: reading twice is harmless (once per pooled connection at most: after an unnoticed
  outage every idle connection may be dead, and the pool hands out those it believes alive first);
- no connection can be opened at all (the server is down: refused, or unreachable until the connect
  timeout): `DatabaseUnavailable` at once, without the read's retry, which could only wait as long
  again for the same answer;
- anything else — a write, or any statement inside a transaction — raises `DatabaseUnavailable`.
  PostgreSQL discards an uncommitted transaction with its connection, so nothing half-written
  remains; the API answers 503 with Retry-After and the client may retry;
- a transaction whose very first step (BEGIN) finds its pooled connection dead starts again on
  another one (as many times as the pool has connections, then on a new one): nothing was done yet,
  and a BEGIN whose answer was lost changes nothing on the server, which discards it with the session;
- rolling back on a dead connection is a no-op (the server already rolled back), so the first error
  is what the caller sees, not "the underlying connection is closed".

Tortoise loads this module by name (`"engine": "services.common.db_postgres"`, see db.py) and
takes `client_class` from it.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from asyncpg import exceptions as pg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import (
    NestedTransactionContext,
    PoolConnectionWrapper,
    TransactionContextPooled,
)
from tortoise.connection import get_connections
from tortoise.exceptions import BaseORMException

__all__ = [
    "DatabaseUnavailable",
    "DatabaseUnreachable",
    "ResilientAsyncpgClient",
    "client_class",
    "connection_lost",
    "reconnect_attempts",
]

log = logging.getLogger("services.common.db")


class DatabaseUnavailable(BaseORMException):
    """The database connection was lost and the statement could not be completed (nothing committed).

    Not a DomainError (no service may mistake it for a refusal it handles) and not an OSError (no
    Redis fallback may swallow it): citizen_api/errors.py answers it with 503 and `Retry-After`.
    """

    code: ClassVar[str] = "db.unavailable"
    retry_after: ClassVar[int] = 2


# The server ended the session (57P01 admin shutdown, 57P02 crash, 57P03 starting up / shutting down)
# or the connection failed (class 08). QueryCanceledError (57014, a statement timeout) is not one.
_LOST = (
    pg.PostgresConnectionError,
    pg.AdminShutdownError,
    pg.CrashShutdownError,
    pg.CannotConnectNowError,
    OSError,  # refused, reset, unreachable, connect timeout (TimeoutError is an OSError)
)


def connection_lost(error: BaseException) -> bool:
    """True when `error` means the connection (not the statement) failed."""
    if isinstance(error, _LOST):
        return True
    # asyncpg on a dead connection: "connection is closed", "the underlying connection is closed",
    # or (the pool took the dead connection back) "connection has been released back to the pool".
    text = str(error)
    return isinstance(error, pg.InterfaceError) and ("closed" in text or "released back" in text)


def _is_read(func: Any, args: tuple[Any, ...]) -> bool:
    if getattr(func, "__name__", "") not in {"execute_query", "execute_query_dict"} or not args:
        return False
    return str(args[0]).lstrip()[:6].upper() == "SELECT"


def reconnect_attempts(client: Any) -> int:
    """How often a read or a BEGIN may meet a dead pooled connection before a fresh one is opened.

    The pool hands out connections it believes alive first, so after an outage that went unnoticed
    (a firewall forgot every idle connection) each of them may be dead in turn: each failed attempt
    discards one, and the last opens a new connection (or fails to, which is not retried).
    """
    return int(getattr(client, "pool_maxsize", 10)) + 1


class ResilientAsyncpgClient(AsyncpgDBClient):
    """AsyncpgDBClient that retries reads on a fresh connection and reports lost writes."""

    async def _translate_exceptions(self, func, *args, **kwargs) -> Any:
        attempts = reconnect_attempts(self)
        for attempt in range(1, attempts + 1):
            try:
                return await super()._translate_exceptions(func, *args, **kwargs)
            except Exception as error:
                if not connection_lost(error):
                    raise
                if not _is_read(func, args):
                    log.warning(
                        "database connection lost during a write", extra={"error": type(error).__name__}
                    )
                    raise DatabaseUnavailable() from error
                if attempt == attempts:
                    raise DatabaseUnavailable() from error
                # Outside a transaction: the pool replaces the dead connection; read again.
                log.warning(
                    "database connection lost during a read; retrying",
                    extra={"error": type(error).__name__, "attempt": attempt},
                )
        raise AssertionError("unreachable")  # pragma: no cover

    def _in_transaction(self) -> TransactionContextPooled:
        return _FreshTransactionContext(ResilientTransactionWrapper(self), self._pool_init_lock)

    def acquire_connection(self) -> PoolConnectionWrapper:
        return _ConnectingWrapper(self, self._pool_init_lock)


class DatabaseUnreachable(DatabaseUnavailable):
    """No connection could be opened: not retried (a second attempt would wait as long again)."""


def _unreachable(error: BaseException) -> DatabaseUnreachable:
    log.warning("database unreachable", extra={"error": type(error).__name__})
    return DatabaseUnreachable()


class _ConnectingWrapper(PoolConnectionWrapper):
    """A pooled connection for one statement; failing to open one is `DatabaseUnreachable`."""

    async def __aenter__(self) -> Any:
        try:
            return await super().__aenter__()
        except Exception as error:
            if connection_lost(error):
                raise _unreachable(error) from error
            raise


class ResilientTransactionWrapper(TransactionWrapper):
    """The connection of one transaction: a lost connection is DatabaseUnavailable, never retried."""

    async def _translate_exceptions(self, func, *args, **kwargs) -> Any:
        try:
            return await AsyncpgDBClient._translate_exceptions(self, func, *args, **kwargs)
        except Exception as error:
            if connection_lost(error):
                log.warning(
                    "database connection lost inside a transaction", extra={"error": type(error).__name__}
                )
                raise DatabaseUnavailable() from error
            raise

    def _in_transaction(self) -> NestedTransactionContext:
        return NestedTransactionContext(ResilientTransactionWrapper(self))

    async def commit(self) -> None:
        try:
            await super().commit()
        except Exception as error:
            if connection_lost(error):
                # The outcome of a COMMIT whose answer never came is unknown; PostgreSQL committed it
                # entirely or not at all. The caller is told to retry (idempotency keys replay it).
                log.warning("database connection lost at commit", extra={"error": type(error).__name__})
                raise DatabaseUnavailable() from error
            raise

    async def rollback(self) -> None:
        try:
            await super().rollback()
        except pg.InterfaceError:
            # The connection is gone (closed, or already taken back by the pool) and the server
            # discarded the transaction with it: nothing is left to roll back.
            self._finalized = True
        except Exception as error:
            if not connection_lost(error):
                raise
            self._finalized = True


class _FreshTransactionContext(TransactionContextPooled):
    """Starts the transaction on a fresh connection when the pooled one turns out to be dead."""

    async def __aenter__(self) -> ResilientTransactionWrapper:
        attempts = reconnect_attempts(self.client._parent)
        for attempt in range(1, attempts + 1):
            try:
                await self.ensure_connection()
                pool = self.client._parent._pool
                self.client._connection = await pool.acquire()
            except Exception as error:
                if connection_lost(error):
                    raise _unreachable(error) from error
                raise
            try:
                await self.client.begin()
            except BaseException as error:
                # Tortoise would leak the connection (and the context's token) when BEGIN fails.
                await pool.release(self.client._connection)
                if isinstance(error, DatabaseUnavailable) and attempt < attempts:
                    log.warning("pooled database connection was dead; starting the transaction again")
                    continue
                raise
            break
        self.token = get_connections().set(self.connection_name, self.client)
        return self.client  # type: ignore[return-value]


client_class = ResilientAsyncpgClient
