"""The SQLite engine of the embedded profile: transactions take the write lock when they begin.

Tortoise begins an SQLite transaction with a deferred `BEGIN`: it reads from a snapshot and asks
for the write lock only at its first write. When another process (`citizen-api users ...` beside
`make run`, a worker) has written since that snapshot, SQLite answers "database is locked" at once —
the busy timeout cannot help a reader that would write over a stale snapshot. `BEGIN IMMEDIATE`
takes the write lock first, so a second writer waits for up to the busy timeout instead of failing.
Inside one process Tortoise already runs one SQLite transaction at a time, so nothing waits longer.
Tortoise's config names this module as the connection's `engine` and takes `client_class` from it.
"""

from __future__ import annotations

import sqlite3

from tortoise.backends.sqlite.client import (
    SqliteClient,
    SqliteTransactionContext,
    SqliteTransactionWrapper,
)
from tortoise.exceptions import TransactionManagementError

__all__ = ["ImmediateSqliteClient", "client_class"]


class _ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class ImmediateSqliteClient(SqliteClient):
    """SqliteClient whose (outermost) transactions begin with BEGIN IMMEDIATE."""

    def _in_transaction(self) -> SqliteTransactionContext:
        return SqliteTransactionContext(_ImmediateTransaction(self), self._lock)


client_class = ImmediateSqliteClient
