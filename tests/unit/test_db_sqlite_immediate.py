"""SQLite transactions take the write lock when they begin (services/common/db_sqlite.py)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from tortoise.transactions import in_transaction

from services.accounts.models import User
from services.common.db import dialect

pytestmark = pytest.mark.usefixtures("db")


async def test_transaction__a_read_then_write_is_not_refused_after_another_process_wrote(settings) -> None:
    # `citizen-api users grant-role` beside a running `make run` failed with "database is locked":
    # its transaction read (deferred BEGIN: a snapshot), the server wrote, then its INSERT was refused.
    if dialect() != "sqlite":
        pytest.skip("SQLite only")
    path = settings.database_url.removeprefix("sqlite://").split("?")[0]
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None, check_same_thread=False)
    try:
        async with in_transaction() as conn:
            assert await User.all().using_db(conn).count() == 0
            # The other process must wait for us now (we hold the write lock), not slip a write in.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await asyncio.to_thread(
                    other.execute, f"UPDATE {User._meta.db_table} SET locale = locale WHERE 1 = 0"
                )
            await User.create(openid="o-immediate", using_db=conn)
        assert await User.filter(openid="o-immediate").count() == 1
    finally:
        other.close()
