"""The hash-chained audit log: appends, verification, tampering of every kind, concurrent writers."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from tortoise import connections

from services.common import audit
from services.common.models import AuditEntry

ROOT = Path(__file__).resolve().parents[2]


async def _append(n: int) -> list[AuditEntry]:
    return [
        await audit.record("test.event", actor_id=uuid.uuid4(), details={"n": i, "note": "没有个人信息"})
        for i in range(n)
    ]


async def _sql(statement: str) -> None:
    await connections.get("default").execute_script(statement)


async def test_audit__chain_of_appends_verifies(db) -> None:
    entries = await _append(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    report = await audit.verify_chain()
    assert report.ok and report.checked == 3
    assert report.describe().startswith("OK")


async def test_audit__empty_log_verifies(db) -> None:
    assert (await audit.verify_chain()).ok


async def test_audit__request_origin_is_recorded(db) -> None:
    token = audit.request_origin.set(audit.RequestOrigin(ip="10.1.2.3", request_id="req-12345678"))
    try:
        entry = await audit.record("test.origin")
    finally:
        audit.request_origin.reset(token)
    stored = await AuditEntry.get(id=entry.id)
    assert (stored.ip, stored.request_id) == ("10.1.2.3", "req-12345678")
    assert audit.entry_hash(stored) == stored.hash


async def test_audit__altered_row_is_found(db) -> None:
    await _append(4)
    await _sql("UPDATE audit_entry SET details = '{\"n\":99}' WHERE seq = 2")
    report = await audit.verify_chain()
    assert not report.ok
    assert report.broken_seq == 2 and "altered" in report.reason
    assert "BROKEN at seq 2" in report.describe()


async def test_audit__altered_actor_is_found(db) -> None:
    await _append(3)
    await _sql("UPDATE audit_entry SET actor_id = 'someone-else' WHERE seq = 3")
    assert (await audit.verify_chain()).broken_seq == 3


async def test_audit__rehashed_row_breaks_the_next_link(db) -> None:
    # A forger who recomputes the altered row's own hash still breaks the link from the row after it.
    await _append(3)
    row = await AuditEntry.get(seq=2)
    row.details = {"n": 42}
    forged = audit.entry_hash(row)
    await _sql(f"UPDATE audit_entry SET details = '{{\"n\":42}}', hash = '{forged}' WHERE seq = 2")
    report = await audit.verify_chain()
    assert report.broken_seq == 3 and "prev_hash" in report.reason


async def test_audit__removed_row_is_found(db) -> None:
    await _append(4)
    await _sql("DELETE FROM audit_entry WHERE seq = 2")
    report = await audit.verify_chain()
    assert report.broken_seq == 3 and "missing" in report.reason


async def test_audit__removed_tail_is_found(db) -> None:
    await _append(3)
    await _sql("DELETE FROM audit_entry WHERE seq = 3")
    report = await audit.verify_chain()
    assert not report.ok and "removed" in report.reason


async def test_audit__concurrent_appends_do_not_fork(db) -> None:
    await asyncio.gather(*(audit.record("test.concurrent", details={"i": i}) for i in range(40)))
    seqs = sorted(await AuditEntry.all().values_list("seq", flat=True))
    assert seqs == list(range(1, 41))
    assert (await audit.verify_chain()).ok


_WRITER = """
import asyncio, sys
from citizen_api.composition import tortoise_apps
from services.common.db import init_db, close_db
from services.common import audit

async def main():
    await init_db(sys.argv[1], apps=tortoise_apps())
    try:
        for i in range(15):
            await audit.record("test.process", details={"i": i})
    finally:
        await close_db()

asyncio.run(main())
"""


@pytest.mark.server_only
async def test_audit__writers_in_separate_processes_keep_one_chain(db, database_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, database_url], cwd=ROOT, env=env, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    for proc in procs:
        _, err = await asyncio.to_thread(proc.communicate, timeout=120)
        assert proc.returncode == 0, err.decode()[-2000:]
    assert await AuditEntry.all().count() == 45
    report = await audit.verify_chain()
    assert report.ok, report.describe()


async def test_audit__verify_reports_progress_in_batches(db) -> None:
    await _append(5)
    seen: list[int] = []
    report = await audit.verify_chain(batch=2, progress=seen.append)
    assert report.ok and report.checked == 5
    assert seen == [2, 2]
