"""The PostgreSQL client (Tortoise's asyncpg backend) made to survive dropped connections.

PostgreSQL can drop a connection at any time: an operator's `pg_terminate_backend`, a restart,
a failover, a network cut. asyncpg's pool reconnects a connection it already knows is closed, but a
statement in flight when the connection dies raises a raw asyncpg error, and Tortoise then tries to
roll back on the dead connection and raises a second one; the caller saw a bare 500. Here:

- a read (a SELECT outside any transaction) whose connection dies is retried once on a fresh
  connection from the pool: reading twice is harmless;
- anything else — a write, or any statement inside a transaction — raises `DatabaseUnavailable`.
  PostgreSQL discards an uncommitted transaction with its connection, so nothing half-written
  remains; the API answers 503 with Retry-After and the client may retry;
- a transaction whose very first step (BEGIN) finds its pooled connection dead starts again on a
  fresh one: nothing was done yet;
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
from tortoise.backends.base.client import NestedTransactionContext, TransactionContextPooled
from tortoise.connection import get_connections
from tortoise.exceptions import BaseORMException

__all__ = ["DatabaseUnavailable", "ResilientAsyncpgClient", "client_class", "connection_lost"]

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


class ResilientAsyncpgClient(AsyncpgDBClient):
    """AsyncpgDBClient that retries reads once on a fresh connection and reports lost writes."""

    async def _translate_exceptions(self, func, *args, **kwargs) -> Any:
        try:
            return await super()._translate_exceptions(func, *args, **kwargs)
        except Exception as error:
            if not connection_lost(error):
                raise
            if not _is_read(func, args):
                log.warning("database connection lost during a write", extra={"error": type(error).__name__})
                raise DatabaseUnavailable() from error
            first = error
        # Outside a transaction: the pool replaces the dead connection; read again once.
        log.warning("database connection lost during a read; retrying", extra={"error": type(first).__name__})
        try:
            return await super()._translate_exceptions(func, *args, **kwargs)
        except Exception as error:
            if connection_lost(error):
                raise DatabaseUnavailable() from error
            raise

    def _in_transaction(self) -> TransactionContextPooled:
        return _FreshTransactionContext(ResilientTransactionWrapper(self), self._pool_init_lock)


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
        await self.ensure_connection()
        pool = self.client._parent._pool
        for attempt in (1, 2):
            try:
                self.client._connection = await pool.acquire()
            except Exception as error:
                if connection_lost(error):
                    raise DatabaseUnavailable() from error
                raise
            try:
                await self.client.begin()
            except BaseException as error:
                # Tortoise would leak the connection (and the context's token) when BEGIN fails.
                await pool.release(self.client._connection)
                if isinstance(error, DatabaseUnavailable) and attempt == 1:
                    log.warning("pooled database connection was dead; starting the transaction again")
                    continue
                raise
            break
        self.token = get_connections().set(self.connection_name, self.client)
        return self.client  # type: ignore[return-value]


client_class = ResilientAsyncpgClient
