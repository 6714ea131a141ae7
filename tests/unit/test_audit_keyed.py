"""The audit chain against someone who can write the table: keyed (HMAC) links and signed checkpoints."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from tortoise import connections

from services.common import audit
from services.common.models import AuditChainHead, AuditEntry

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"k1": b"first-audit-key-held-outside-the-db-0001", "k2": b"second-audit-key-held-outside-db-00002"}


@pytest.fixture
def keyring():
    """Install a test keyring (k1 active); restore the previous one afterwards."""
    previous = audit.install_keyring(audit.AuditKeyring(keys=dict(KEYS), active_key_id="k1"))
    yield
    audit.install_keyring(previous)


async def _sql(statement: str) -> None:
    await connections.get("default").execute_script(statement)


async def _grant_and_more() -> None:
    await audit.record(
        "role.granted", actor_id=uuid.uuid4(), subject_id=uuid.uuid4(), details={"role": "resident"}
    )
    for i in range(3):
        await audit.record("test.event", actor_id=uuid.uuid4(), details={"n": i})


async def _rewrite_with_plain_sha256(seq: int, details: dict) -> None:
    """What a database writer without the key does: edit a row, recompute every later hash and the head."""
    rows = await AuditEntry.filter(seq__gte=seq).order_by("seq")
    previous = (await AuditEntry.get(seq=seq - 1)).hash if seq > 1 else audit.GENESIS_HASH
    for row in rows:
        if row.seq == seq:
            row.details = details
        row.prev_hash = previous
        row.hash = hashlib.sha256(audit._canonical(row)).hexdigest()
        await _sql(
            f"UPDATE audit_entry SET details = '{json.dumps(row.details)}', prev_hash = '{row.prev_hash}', "
            f"hash = '{row.hash}' WHERE seq = {row.seq}"
        )
        previous = row.hash
    await AuditChainHead.filter(id=1).update(last_hash=previous)


async def test_audit__entries_carry_the_active_key_id_and_an_hmac(db, keyring) -> None:
    entry = await audit.record("test.event")
    assert entry.key_id == "k1"
    assert entry.hash != hashlib.sha256(audit._canonical(entry)).hexdigest()
    assert (await audit.verify_chain()).ok


async def test_audit__role_grant_rewritten_with_recomputed_sha256_chain_is_reported(db, keyring) -> None:
    await _grant_and_more()
    assert (await audit.verify_chain()).ok
    await _rewrite_with_plain_sha256(1, {"role": "admin"})
    report = await audit.verify_chain()
    assert not report.ok and report.broken_seq == 1 and "HMAC" in report.reason


async def test_audit__rewrite_relabelled_as_unkeyed_is_reported(db, keyring, tmp_path) -> None:
    await _grant_and_more()
    await audit.write_checkpoint(tmp_path)
    # Drop the key ids too, so every row looks like a pre-HMAC entry with a valid plain SHA-256.
    await _sql("UPDATE audit_entry SET key_id = NULL")
    await _rewrite_with_plain_sha256(1, {"role": "admin"})
    report = await audit.verify_chain(checkpoint_dir=tmp_path)
    assert not report.ok and "checkpoint" in report.reason
    assert not (await audit.verify_chain()).ok  # not anchored at all


async def test_audit__removed_last_row_with_rewound_head_is_reported_by_checkpoint(
    db, keyring, tmp_path
) -> None:
    await _grant_and_more()
    checkpoint = await audit.write_checkpoint(tmp_path)
    assert checkpoint is not None and checkpoint.seq == 4
    last = await AuditEntry.get(seq=4)
    await _sql("DELETE FROM audit_entry WHERE seq = 4")
    await AuditChainHead.filter(id=1).update(seq=3, last_hash=last.prev_hash)
    # The table alone is consistent again ...
    assert (await audit.verify_chain()).ok
    # ... but the anchor outside it is not.
    report = await audit.verify_chain(checkpoint_dir=tmp_path)
    assert not report.ok and "removed" in report.reason


async def test_audit__forged_checkpoint_line_is_reported(db, keyring, tmp_path) -> None:
    await _grant_and_more()
    await audit.write_checkpoint(tmp_path)
    path = tmp_path / audit.CHECKPOINT_FILE
    line = json.loads(path.read_text())
    line["seq"] = 2
    path.write_text(json.dumps(line) + "\n")
    report = await audit.verify_chain(checkpoint_dir=tmp_path)
    assert not report.ok and "signature" in report.reason


async def test_audit__checkpoints_only_when_the_head_moved(db, keyring, tmp_path) -> None:
    assert await audit.write_checkpoint(tmp_path) is None
    await _grant_and_more()
    assert await audit.write_checkpoint(tmp_path) is not None
    assert await audit.write_checkpoint(tmp_path) is None
    await audit.record("test.event")
    assert (await audit.write_checkpoint(tmp_path)).seq == 5
    report = await audit.verify_chain(checkpoint_dir=tmp_path)
    assert report.ok and report.checkpoints == 2, report.describe()


async def test_audit__key_rotation_keeps_old_entries_verifiable(db, keyring) -> None:
    await _grant_and_more()
    audit.install_keyring(audit.AuditKeyring(keys=dict(KEYS), active_key_id="k2"))
    assert (await audit.record("test.after_rotation")).key_id == "k2"
    assert (await audit.verify_chain()).ok
    # Retiring k1 while entries still need it is reported, not silently accepted.
    audit.install_keyring(audit.AuditKeyring(keys={"k2": KEYS["k2"]}, active_key_id="k2"))
    report = await audit.verify_chain()
    assert not report.ok and "unknown audit key" in report.reason


async def test_audit_cli__verify_checks_chain_and_checkpoints(db, database_url: str, tmp_path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CITIZEN_DATABASE_URL": database_url,
        "CITIZEN_AUDIT_KEYS": json.dumps({"k1": KEYS["k1"].decode()}),
        "CITIZEN_AUDIT_ACTIVE_KEY_ID": "k1",
        "CITIZEN_AUDIT_CHECKPOINT_DIR": str(tmp_path),
    }

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "citizen_api.cli", "audit", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    previous = audit.install_keyring(audit.AuditKeyring(keys={"k1": KEYS["k1"]}, active_key_id="k1"))
    try:
        await _grant_and_more()
    finally:
        audit.install_keyring(previous)
    anchored = cli("checkpoint")
    assert anchored.returncode == 0 and "anchored entry 4" in anchored.stdout, anchored.stderr
    ok = cli("verify")
    assert ok.returncode == 0 and "chain intact" in ok.stdout and "1 checkpoints" in ok.stdout
    last = await AuditEntry.get(seq=4)
    await _sql("DELETE FROM audit_entry WHERE seq = 4")
    await AuditChainHead.filter(id=1).update(seq=3, last_hash=last.prev_hash)
    broken = cli("verify")
    assert broken.returncode == 1 and "BROKEN" in broken.stdout
