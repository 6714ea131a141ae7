"""Idempotency keys: a retried POST gets the first response instead of doing the thing twice.

Protocol (any POST that creates something — bookings, applications):
  1. `claim(scope=, key=, request_hash=)` inserts the key row *before* the work, under the unique
     constraint (scope, key). Exactly one of any number of concurrent duplicates wins the insert.
  2. The winner does the work and calls `complete(record_id, status_code=, response=)`, or
     `release(record_id)` when the work failed, so a retry may try again.
  3. A duplicate gets `Replay(status_code, response)` once the first has completed; waits (polling)
     while it is in progress, and gets `IdempotencyInProgress` (409) if it takes longer than `wait_s`.
     A claim left in progress for `stale_after` (its process died) is taken over.
  The same key with a different request is `IdempotencyKeyReused` (422). Records live 24 hours.

In one transaction (bookings, issue 12): instead of claim + complete around the work, the work writes a
`Record` (the key with its answer) inside its own transaction, last: the key is bound exactly when the
work commits, a refusal or a rollback leaves nothing, and it costs one statement instead of two. A
concurrent duplicate blocks on the unique (scope, key) row until the first commits, then fails on it
(`KeyRecorded`, or on the work's own unique row); its caller then replays through `claim()`.

On PostgreSQL the booking goes one step further: the record's INSERT is part of the booking's one
statement (`insert_sql`), selecting from the statement's reserve, and its stored answer's parts that
depend on that statement (the slot's places left) are filled in by SQL (`Record.live`). The caller's
first read of the slot also tells whether the key was used (`exists_sql`, kept in `Record.used`), so a
refusal that no earlier request bound to the key is answered without another query.

The scope is the caller's choice; the HTTP helper (citizen_api/idempotency.py) uses "<user id>:<route>".
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError

from services.common import clock
from services.common.db import raw_execute, raw_rows
from services.common.errors import Conflict, InvalidInput
from services.common.ids import new_id
from services.common.models import IdempotencyRecord

__all__ = [
    "DEFAULT_TTL",
    "Claim",
    "IdempotencyInProgress",
    "IdempotencyKeyReused",
    "InvalidIdempotencyKey",
    "KeyRecorded",
    "Record",
    "Replay",
    "check_key",
    "claim",
    "complete",
    "exists",
    "exists_sql",
    "purge_expired",
    "release",
    "request_fingerprint",
]

DEFAULT_TTL = dt.timedelta(hours=24)
_MAX_KEY = 128


class InvalidIdempotencyKey(InvalidInput):
    code = "idempotency.invalid_key"


class IdempotencyKeyReused(InvalidInput):
    code = "idempotency.key_reused"


class IdempotencyInProgress(Conflict):
    code = "idempotency.in_progress"


class KeyRecorded(IdempotencyInProgress):
    """A `Record` lost the unique (scope, key) race: another request with the key committed first."""


@dataclass(frozen=True, slots=True)
class Claim:
    """This request owns the key: do the work, then complete() or release()."""

    record_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class Replay:
    """The key was used before for the same request: answer with its first response."""

    status_code: int
    response: Any


def request_fingerprint(*parts: Any) -> str:
    """A stable hash of the request (canonical JSON), to tell a true retry from a reused key."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    """The key as given, or InvalidIdempotencyKey (422): 1-128 printable ASCII characters."""
    if not key or len(key) > _MAX_KEY or not key.isascii() or not key.isprintable():
        raise InvalidIdempotencyKey(max=_MAX_KEY)
    return key


async def claim(
    *,
    scope: str,
    key: str,
    request_hash: str,
    ttl: dt.timedelta = DEFAULT_TTL,
    wait_s: float = 10.0,
    poll_s: float = 0.05,
    stale_after: dt.timedelta = dt.timedelta(minutes=1),
) -> Claim | Replay:
    """Own `key` in `scope`, or get the first response to it (see the module docstring)."""
    key = check_key(key)
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        now = clock.now()
        try:
            record = await IdempotencyRecord.create(
                scope=scope[:128], key=key, request_hash=request_hash, expires_at=now + ttl
            )
            return Claim(record.id)
        except IntegrityError:
            pass
        existing = await IdempotencyRecord.get_or_none(scope=scope[:128], key=key)
        if existing is None:
            continue  # released or purged between our insert and read: try to claim again
        abandoned = existing.status_code is None and existing.created_at <= now - stale_after
        if existing.expires_at <= now or abandoned:
            # An expired record (or a claim whose process died mid-request) no longer binds the key;
            # delete exactly that row and claim afresh.
            await IdempotencyRecord.filter(id=existing.id).delete()
            continue
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused()
        if existing.status_code is not None:
            return Replay(existing.status_code, existing.response)
        if asyncio.get_running_loop().time() >= deadline:
            raise IdempotencyInProgress()
        await asyncio.sleep(poll_s)


# One statement in the caller's transaction; datetimes as aware UTC values (stored as the ORM stores them).
_RECORD_INSERT = (
    "INSERT INTO idempotency_record (id, scope, key, request_hash, status_code, response, created_at, expires_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
)


_RECORD_EXISTS = "SELECT 1 AS found FROM idempotency_record WHERE scope = $1 AND key = $2"


def exists_sql(*, scope: str, key: str) -> str:
    """PostgreSQL/SQLite: a boolean expression, whether the key has a record (SQL expressions for the
    scope and key, e.g. "$2"); a hot path's own read asks it instead of `exists` (issue 12)."""
    return f"EXISTS (SELECT 1 FROM idempotency_record k WHERE k.scope = {scope} AND k.key = {key})"  # noqa: S608 (constants only)


@dataclass(slots=True)
class Record:
    """The key and the answer to record inside the work's own transaction (see the module docstring).

    `render(result)` turns the work's result into the stored (JSON) answer; `write` keeps it in
    `response` for the caller to send.
    """

    scope: str
    key: str
    # The request's fingerprint, or how to compute it: only a write needs it (a refusal does not).
    request_hash: str | Callable[[], str]
    status_code: int
    render: Callable[[Any], Any]
    ttl: dt.timedelta = DEFAULT_TTL
    response: Any = None
    # `live(answer, capacity, taken)`: the SQL of the stored answer (jsonb) from the rendered one and
    # the booking statement's RETURNING columns, for the parts the statement decides (`insert_sql`).
    live: Callable[[str, str, str], str] | None = None
    # Whether the key had a record when the work last read it (None: not asked, or no longer known).
    used: bool | None = None

    async def write(self, result: Any, *, conn: Any) -> Any:
        """Insert the completed record in `conn`'s transaction; IntegrityError when the key is taken."""
        self.response = self.render(result)
        now = clock.now()
        values = [new_id(), self.scope[:128], check_key(self.key), self.fingerprint(), self.status_code]
        values += [json.dumps(self.response, ensure_ascii=False), now, now + self.ttl]
        await raw_execute(_RECORD_INSERT, values, conn=conn)
        return self.response

    @property
    def scoped_key(self) -> tuple[str, str]:
        """(scope, key) as stored (the scope cut to the column's 128 characters)."""
        return self.scope[:128], self.key

    def fingerprint(self) -> str:
        """`request_hash`, computed (once) when first needed."""
        if not isinstance(self.request_hash, str):
            self.request_hash = self.request_hash()
        return self.request_hash

    def insert_sql(self, first: int, *, source: str, capacity: str, taken: str) -> str:
        """PostgreSQL: the record's INSERT as a data-modifying CTE body selecting FROM `source` (no
        row, no record), parameters $first .. $first+6 (`insert_values`); the stored answer is
        `live(...)` of the rendered one with `source`'s `capacity` and `taken` columns."""
        p = [f"${first + i}" for i in range(7)]
        answer = f"{p[5]}::jsonb"
        stored = self.live(answer, capacity, taken) if self.live is not None else answer
        return (
            "INSERT INTO idempotency_record (id, scope, key, request_hash, status_code, response,"  # noqa: S608 (constants only)
            f" created_at, expires_at) SELECT {p[0]}::uuid, {p[1]}::varchar, {p[2]}::varchar,"
            f" {p[3]}::varchar, {p[4]}::int, {stored}, {p[6]}::timestamptz,"
            f" {p[6]}::timestamptz + interval '{int(self.ttl.total_seconds())} seconds' FROM {source}"
        )

    def insert_values(self, answer: Any, now: dt.datetime) -> list[Any]:
        """The seven parameters of `insert_sql`: the rendered `answer` (before `live`), written at `now`."""
        return [
            new_id(),
            self.scope[:128],
            check_key(self.key),
            self.fingerprint(),
            self.status_code,
            json.dumps(answer, ensure_ascii=False),
            now,
        ]


async def exists(*, scope: str, key: str) -> bool:
    """True when `key` has a record in `scope` (answered, in progress or expired); a bad key is a 422."""
    # Raw: asked on every refused booking that carries a key (issue 12).
    return bool(await raw_rows(_RECORD_EXISTS, [scope[:128], check_key(key)]))


async def complete(record_id: uuid.UUID, *, status_code: int, response: Any) -> None:
    """Store the first response so duplicates replay it."""
    await IdempotencyRecord.filter(id=record_id).update(status_code=status_code, response=response)


async def release(record_id: uuid.UUID) -> None:
    """Forget an in-progress claim whose work failed (nothing was done), so the client may retry."""
    await IdempotencyRecord.filter(id=record_id, status_code__isnull=True).delete()


async def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete records past their 24 hours; returns how many."""
    return await IdempotencyRecord.filter(expires_at__lte=now or clock.now()).delete()
