"""The audit log: append-only and hash-chained — who did what, for whom, from where.

Each entry stores the SHA-256 of its canonical content, which includes the previous entry's hash,
so altering, removing or re-ordering any row breaks every later link and `verify_chain` names the
first broken one. Appends are serialised through the single `audit_chain_head` row: an append first
UPDATEs it (a row lock on PostgreSQL, the database write lock on SQLite), so two concurrent writers
can never read the same predecessor and fork the chain. Pass the caller's transaction as `using_db`
so the entry commits together with the change it records.

Entries hold ids, never personal data: anonymising an account leaves the chain intact.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from services.common import clock
from services.common.errors import InvalidInput
from services.common.models import AuditChainHead, AuditEntry
from services.common.pagination import Page, decode_cursor, encode_cursor

__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "RequestOrigin",
    "entries_about",
    "entry_hash",
    "list_entries",
    "record",
    "request_origin",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
_HEAD_ID = 1


@dataclass(frozen=True, slots=True)
class RequestOrigin:
    """Where the current request came from; set by the HTTP edge, read when an entry is written."""

    ip: str | None = None
    request_id: str | None = None


# Frozen, so sharing the default instance is safe.
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
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    """The hash `entry` must carry: SHA-256 over its canonical content and its predecessor's hash."""
    return hashlib.sha256(_canonical(entry)).hexdigest()


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
    entry = AuditEntry(seq=head.seq, occurred_at=clock.now(), prev_hash=head.last_hash, **values)
    entry.hash = entry_hash(entry)
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

    def describe(self) -> str:
        if self.ok:
            return f"OK: {self.checked} audit entries, chain intact"
        return f"BROKEN at seq {self.broken_seq} (entry {self.broken_id}): {self.reason}"


async def _in_order(batch: int) -> AsyncIterator[AuditEntry]:
    last = 0
    while True:
        rows = await AuditEntry.filter(seq__gt=last).order_by("seq").limit(batch)
        if not rows:
            return
        for row in rows:
            yield row
        last = rows[-1].seq


async def verify_chain(*, batch: int = 1000, progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the log in order and report the first entry whose link or content does not check out.

    `progress(n)` is called after every `batch` entries checked (for long logs on the command line).
    """
    previous = GENESIS_HASH
    expected_seq = 1
    checked = 0
    async for entry in _in_order(batch):
        broken = None
        if entry.seq != expected_seq:
            broken = f"entry {expected_seq} is missing"
        elif entry.prev_hash != previous:
            broken = "prev_hash does not match the previous entry's hash"
        elif entry_hash(entry) != entry.hash:
            broken = "content was altered (hash mismatch)"
        if broken:
            return ChainReport(
                ok=False, checked=checked, broken_seq=entry.seq, broken_id=str(entry.id), reason=broken
            )
        previous = entry.hash
        expected_seq += 1
        checked += 1
        if progress is not None and checked % batch == 0:
            progress(batch)
    head = await AuditChainHead.get_or_none(id=_HEAD_ID)
    if head is not None and (head.seq != checked or head.last_hash != previous):
        return ChainReport(
            ok=False,
            checked=checked,
            broken_seq=checked + 1,
            reason=f"the chain head expects {head.seq} entries; the latest ones were removed",
        )
    return ChainReport(ok=True, checked=checked)


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
