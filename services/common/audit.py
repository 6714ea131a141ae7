"""The audit log: append-only, HMAC-chained and anchored — who did what, for whom, from where.

Each entry stores an HMAC-SHA-256 (under a key the database never holds, named by the entry's
`key_id`) of its canonical content, which includes the previous entry's value, so altering,
removing or re-ordering any row breaks every later link and `verify_chain` names the first broken
one. Someone who can write the table but lacks the key cannot recompute the chain: a plain SHA-256
recomputation is reported. Keys rotate: new entries use the active key id; older entries verify as
long as their key id is still configured.

Removing the newest rows and rewinding the head leaves a shorter chain that is consistent in
itself, so the head is also anchored outside the table: `write_checkpoint` appends a signed
(seq, hash) line to a file in the checkpoint directory (run periodically by the worker and by
`citizen-api audit checkpoint`), and `verify_chain(checkpoint_dir=...)` checks every checkpoint
still matches the chain.

Appends are serialised through the single `audit_chain_head` row: an append first UPDATEs it (a
row lock on PostgreSQL, the database write lock on SQLite), so two concurrent writers can never read
the same predecessor and fork the chain. Pass the caller's transaction as `using_db` so the entry
commits together with the change it records.

The keyring is process configuration, installed once by the composition root (`open_runtime`, the
CLI) with `install_keyring`; until then the development key is used, which production refuses.

Entries hold ids, never personal data: anonymising an account leaves the chain intact.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from services.common import clock
from services.common.errors import InvalidInput
from services.common.models import AuditChainHead, AuditEntry
from services.common.pagination import Page, decode_cursor, encode_cursor

__all__ = [
    "DEV_AUDIT_KEY",
    "GENESIS_HASH",
    "AuditKeyring",
    "ChainReport",
    "Checkpoint",
    "RequestOrigin",
    "entries_about",
    "entry_hash",
    "install_keyring",
    "list_entries",
    "read_checkpoints",
    "record",
    "request_origin",
    "verify_chain",
    "write_checkpoint",
]

GENESIS_HASH = "0" * 64
DEV_AUDIT_KEY = "dev-only-audit-chain-key-0000000000000000"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"
_HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class AuditKeyring:
    """HMAC keys by key id; new entries and checkpoints are signed with `active_key_id`."""

    keys: Mapping[str, bytes]
    active_key_id: str

    def __post_init__(self) -> None:
        if self.active_key_id not in self.keys:
            raise ValueError(f"audit key {self.active_key_id!r} is not in the keyring")

    def sign(self, key_id: str, data: bytes) -> str | None:
        """HMAC-SHA-256 of `data` under `key_id`, or None when that key is not configured."""
        key = self.keys.get(key_id)
        return None if key is None else hmac.new(key, data, hashlib.sha256).hexdigest()


@dataclass(slots=True)
class _Installed:
    keyring: AuditKeyring = field(
        default_factory=lambda: AuditKeyring(keys={"a1": DEV_AUDIT_KEY.encode()}, active_key_id="a1")
    )


_installed = _Installed()


def install_keyring(keyring: AuditKeyring) -> AuditKeyring:
    """Use `keyring` for this process from now on; returns the previous one (tests restore it)."""
    previous = _installed.keyring
    _installed.keyring = keyring
    return previous


class RequestOrigin(NamedTuple):
    """Where the current request came from; set by the HTTP edge, read when an entry is written.

    Immutable (a tuple: the HTTP edge builds one per request, cheaper than a frozen dataclass).
    """

    ip: str | None = None
    request_id: str | None = None


# Immutable, so sharing the default instance is safe.
request_origin: contextvars.ContextVar[RequestOrigin] = contextvars.ContextVar(
    "audit_request_origin",
    default=RequestOrigin(),  # noqa: B039
)


def _canonical(entry: AuditEntry) -> bytes:
    occurred = entry.occurred_at
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=clock.UTC)
    document = {
        "seq": int(entry.seq),
        "at": int(occurred.timestamp() * 1_000_000),
        "action": entry.action,
        "actor": entry.actor_id,
        "subject": entry.subject_id,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "ip": entry.ip,
        "request_id": entry.request_id,
        "details": entry.details or {},
        "prev": entry.prev_hash,
    }
    if entry.key_id is not None:
        # The key id is signed too, so an entry cannot be re-labelled to another key.
        document["key"] = entry.key_id
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry, keyring: AuditKeyring | None = None) -> str | None:
    """The value `entry` must carry: HMAC over its canonical content (which holds its predecessor's).

    Entries written before the chain was keyed (no key id) carry a plain SHA-256; they are only
    trusted as a prefix anchored by a checkpoint (see verify_chain). None: the key id is unknown.
    """
    if entry.key_id is None:
        return hashlib.sha256(_canonical(entry)).hexdigest()
    return (keyring or _installed.keyring).sign(entry.key_id, _canonical(entry))


def _id(value: uuid.UUID | str | None) -> str | None:
    return None if value is None else str(value)


async def _append(conn: BaseDBAsyncClient, **values: Any) -> AuditEntry:
    # The head row may be missing (fresh database); creating it is a no-op when another writer did.
    await AuditChainHead.bulk_create(
        [AuditChainHead(id=_HEAD_ID, seq=0, last_hash=GENESIS_HASH)], ignore_conflicts=True, using_db=conn
    )
    # Write first, read second: the UPDATE takes the lock that serialises every appender.
    await AuditChainHead.filter(id=_HEAD_ID).using_db(conn).update(seq=F("seq") + 1)
    head = await AuditChainHead.filter(id=_HEAD_ID).using_db(conn).first()
    assert head is not None
    # Microsecond precision survives both databases, so the hash recomputes identically.
    keyring = _installed.keyring
    entry = AuditEntry(
        seq=head.seq,
        occurred_at=clock.now(),
        prev_hash=head.last_hash,
        key_id=keyring.active_key_id,
        **values,
    )
    entry.hash = entry_hash(entry, keyring)
    await entry.save(using_db=conn)
    await AuditChainHead.filter(id=_HEAD_ID).using_db(conn).update(last_hash=entry.hash)
    return entry


async def record(
    action: str,
    *,
    actor_id: uuid.UUID | str | None = None,
    subject_id: uuid.UUID | str | None = None,
    target_type: str | None = None,
    target_id: uuid.UUID | str | None = None,
    details: dict[str, Any] | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> AuditEntry:
    """Append one entry. `details` must not contain personal data (ids, codes and counts only)."""
    origin = request_origin.get()
    values = {
        "action": action,
        "actor_id": _id(actor_id),
        "subject_id": _id(subject_id),
        "target_type": target_type,
        "target_id": _id(target_id),
        "ip": origin.ip,
        "request_id": origin.request_id,
        "details": details or {},
    }
    if using_db is not None:
        return await _append(using_db, **values)
    async with in_transaction() as conn:
        return await _append(conn, **values)


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of `verify_chain`: ok, or the first broken link and why."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: str | None = None
    reason: str | None = None
    checkpoints: int = 0

    def describe(self) -> str:
        if self.ok:
            anchored = (
                f", {self.checkpoints} checkpoints match" if self.checkpoints else ", no checkpoints yet"
            )
            return f"OK: {self.checked} audit entries, chain intact{anchored}"
        where = f"seq {self.broken_seq}" + (f" (entry {self.broken_id})" if self.broken_id else "")
        return f"BROKEN at {where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain head at one moment, signed, kept outside the database."""

    seq: int
    hash: str
    at: str
    key_id: str
    signature: str

    def payload(self) -> bytes:
        return f"audit-checkpoint:{self.seq}:{self.hash}:{self.at}:{self.key_id}".encode()


def _checkpoint_path(directory: str | os.PathLike[str]) -> Path:
    return Path(directory) / CHECKPOINT_FILE


def read_checkpoints(directory: str | os.PathLike[str]) -> list[Checkpoint | None]:
    """Every checkpoint line of the directory's file, oldest first; None for an unreadable line."""
    path = _checkpoint_path(directory)
    if not path.exists():
        return []
    found: list[Checkpoint | None] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            found.append(
                Checkpoint(
                    seq=int(data["seq"]),
                    hash=str(data["hash"]),
                    at=str(data["at"]),
                    key_id=str(data["kid"]),
                    signature=str(data["sig"]),
                )
            )
        except (ValueError, KeyError, TypeError):
            found.append(None)
    return found


async def write_checkpoint(directory: str | os.PathLike[str]) -> Checkpoint | None:
    """Append the signed current head to the checkpoint file; None when the log is empty or unchanged."""
    head = await AuditChainHead.get_or_none(id=_HEAD_ID)
    if head is None or head.seq == 0:
        return None
    existing = [c for c in read_checkpoints(directory) if c is not None]
    if existing and existing[-1].seq == head.seq and existing[-1].hash == head.last_hash:
        return None
    keyring = _installed.keyring
    unsigned = Checkpoint(
        seq=head.seq,
        hash=head.last_hash,
        at=clock.now().isoformat(),
        key_id=keyring.active_key_id,
        signature="",
    )
    signature = keyring.sign(unsigned.key_id, unsigned.payload())
    assert signature is not None
    checkpoint = Checkpoint(
        seq=unsigned.seq, hash=unsigned.hash, at=unsigned.at, key_id=unsigned.key_id, signature=signature
    )
    line = json.dumps(
        {
            "seq": checkpoint.seq,
            "hash": checkpoint.hash,
            "at": checkpoint.at,
            "kid": checkpoint.key_id,
            "sig": signature,
        },
        separators=(",", ":"),
    )
    path = _checkpoint_path(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: lines from several workers never interleave; fsync: the anchor outlives a crash.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    return checkpoint


async def _in_order(batch: int) -> AsyncIterator[AuditEntry]:
    last = 0
    while True:
        rows = await AuditEntry.filter(seq__gt=last).order_by("seq").limit(batch)
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq


def _valid_checkpoints(directory: str | os.PathLike[str] | None) -> tuple[dict[int, str], str | None]:
    """seq -> hash of every checkpoint, or the reason the checkpoint file cannot be trusted."""
    if directory is None:
        return {}, None
    anchors: dict[int, str] = {}
    keyring = _installed.keyring
    for number, checkpoint in enumerate(read_checkpoints(directory), start=1):
        if checkpoint is None:
            return {}, f"checkpoint line {number} is unreadable"
        expected = keyring.sign(checkpoint.key_id, checkpoint.payload())
        if expected is None:
            return {}, f"checkpoint line {number} is signed with unknown key {checkpoint.key_id!r}"
        if not hmac.compare_digest(expected, checkpoint.signature):
            return {}, f"checkpoint line {number} has a bad signature (forged or edited)"
        if anchors.get(checkpoint.seq, checkpoint.hash) != checkpoint.hash:
            return {}, f"checkpoints disagree about entry {checkpoint.seq}"
        anchors[checkpoint.seq] = checkpoint.hash
    return anchors, None


async def verify_chain(
    *,
    batch: int = 1000,
    progress: Callable[[int], None] | None = None,
    checkpoint_dir: str | os.PathLike[str] | None = None,
) -> ChainReport:
    """Walk the log in order and report the first entry whose link, key or content does not check out.

    With `checkpoint_dir`, every signed checkpoint must still match the entry at its seq, and
    unkeyed (pre-HMAC) entries are accepted only as a prefix covered by a checkpoint.
    `progress(n)` is called after every `batch` entries checked (for long logs on the command line).
    """
    anchors, problem = _valid_checkpoints(checkpoint_dir)
    if problem:
        return ChainReport(ok=False, checked=0, reason=problem)
    keyring = _installed.keyring
    previous = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_unkeyed = 0
    seen_keyed = False
    async for entry in _in_order(batch):
        broken = None
        expected = entry_hash(entry, keyring)
        if entry.seq != expected_seq:
            broken = f"entry {expected_seq} is missing"
        elif entry.prev_hash != previous:
            broken = "prev_hash does not match the previous entry's hash"
        elif expected is None:
            broken = f"signed with unknown audit key {entry.key_id!r}"
        elif not hmac.compare_digest(expected, entry.hash):
            broken = "content was altered (HMAC mismatch)"
        elif entry.key_id is None and seen_keyed:
            broken = "an unkeyed entry follows keyed ones (rewritten without the key)"
        elif entry.seq in anchors and anchors[entry.seq] != entry.hash:
            broken = "the entry differs from the signed checkpoint (rewritten)"
        if broken:
            return ChainReport(
                ok=False, checked=checked, broken_seq=entry.seq, broken_id=str(entry.id), reason=broken
            )
        if entry.key_id is None:
            last_unkeyed = entry.seq
        else:
            seen_keyed = True
        previous = entry.hash
        expected_seq += 1
        checked += 1
        if progress is not None and checked % batch == 0:
            progress(batch)
    if anchors and max(anchors) > checked:
        return ChainReport(
            ok=False,
            checked=checked,
            broken_seq=checked + 1,
            reason=f"a signed checkpoint anchors {max(anchors)} entries; the latest ones were removed",
        )
    if last_unkeyed and not any(seq >= last_unkeyed for seq in anchors):
        return ChainReport(
            ok=False,
            checked=checked,
            broken_seq=last_unkeyed,
            reason="unkeyed (plain SHA-256) entries are not covered by any signed checkpoint",
        )
    head = await AuditChainHead.get_or_none(id=_HEAD_ID)
    if head is not None and (head.seq != checked or head.last_hash != previous):
        return ChainReport(
            ok=False,
            checked=checked,
            broken_seq=checked + 1,
            reason=f"the chain head expects {head.seq} entries; the latest ones were removed",
        )
    return ChainReport(ok=True, checked=checked, checkpoints=len(anchors))


async def entries_about(user_id: uuid.UUID) -> list[AuditEntry]:
    """Every entry where the user acted or was acted for (PIPL export)."""
    return await AuditEntry.filter(Q(actor_id=str(user_id)) | Q(subject_id=str(user_id))).order_by("seq")


async def list_entries(
    *,
    limit: int,
    cursor: str | None = None,
    actor_id: str | None = None,
    subject_id: str | None = None,
    action: str | None = None,
) -> Page:
    """Entries newest first, optionally about one actor, subject or action (operators' view)."""
    query = AuditEntry.all()
    if actor_id:
        query = query.filter(actor_id=actor_id)
    if subject_id:
        query = query.filter(subject_id=subject_id)
    if action:
        query = query.filter(action=action)
    position = decode_cursor(cursor)
    if position:
        seq = position.get("seq")
        # Only what encode_cursor wrote: an int in BIGINT range (1e400 is a float, 2**63 overflows).
        if type(seq) is not int or not 0 < seq < 2**63:
            raise InvalidInput("request.bad_cursor")
        query = query.filter(seq__lt=seq)
    rows = await query.order_by("-seq").limit(limit + 1)
    next_cursor = encode_cursor({"seq": rows[limit - 1].seq}) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)
