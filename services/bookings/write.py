"""The booking's raw SQL, in one place (issue 12): read a slot with its resource, take places, and on
PostgreSQL take them and write everything a booking writes in one statement.

Capacity is only ever taken by the conditional UPDATE below (`taken + n <= capacity`), backed by a
CHECK constraint (triggers on SQLite). On a resource with a waitlist the same statement also requires
that nobody is waiting (free places belong to the queue), so the queue check costs no round trip and
cannot race with a join. RETURNING the new `taken` gives the answer without a re-read.

`read_for_booking` (PostgreSQL) reads the slot and its resource, the booked person's live family
grants (who gets a copy of the notice) and whether the request's Idempotency-Key was used, in one query.

`reserve_and_insert` (PostgreSQL, a booking without visitors or an owner's after-step) puts the UPDATE,
the booking INSERT, the inbox INSERT, the outbox messages of the queued WeChat pushes and the
Idempotency-Key's record in one statement: every INSERT selects FROM the UPDATE's result, so a full
slot writes nothing. Without a daily cap that statement is the whole write and runs on its own (a
statement is atomic: no BEGIN/COMMIT round trips, and the slot's row lock is held for that statement
only); with one it runs in the transaction that serialises the person's bookings of the day.
Everything else keeps the ORM (services/bookings/ledger.py); both paths are tested on both databases
(SQLite has no data-modifying CTE: it always takes the statement-by-statement path).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any, NamedTuple

from services.accounts.family import live_grants_sql
from services.bookings.models import Booking, Resource, Slot
from services.common import idempotency
from services.common.db import raw_rows, raw_statement_retried
from services.notifications.notices import (
    Notice,
    inbox_insert_sql,
    inbox_insert_values,
    push_outbox_sql,
    push_outbox_values,
)

__all__ = [
    "BookingRead",
    "Reserved",
    "SlotNow",
    "one_statement",
    "read_for_booking",
    "reserve",
    "reserve_and_insert",
    "slot_now",
    "slot_with_resource",
]

_SLOT_COLUMNS = (
    "id",
    "start",
    "end",
    "day",
    "capacity",
    "taken",
    "status",
    "label",
    "created_at",
    "resource_id",
)
_RESOURCE_COLUMNS = (
    "id",
    "owner_domain",
    "owner_ref",
    "name",
    "staff_role",
    "staff_scope",
    "rules",
    "openings",
    "active",
    "created_at",
    "updated_at",
)


def _slot_select(extra: str = "") -> str:
    """What Slot.get(id=$1).select_related("resource") reads (and `extra` columns), built once."""
    return (
        "SELECT "  # noqa: S608 (constants only)
        + ", ".join(f's."{c}" AS "s_{c}"' for c in _SLOT_COLUMNS)
        + ", "
        + ", ".join(f'r."{c}" AS "r_{c}"' for c in _RESOURCE_COLUMNS)
        + extra
        + " FROM booking_slot s JOIN booking_resource r ON r.id = s.resource_id WHERE s.id = $1"
    )


_SLOT_WITH_RESOURCE = _slot_select()
# PostgreSQL: $2 the booked person, $3 now; with a key, $4 its scope and $5 the key.
_GRANTS = f', {live_grants_sql(subject="$2::uuid", now="$3::timestamptz")} AS "grants"'
_READ_FOR_BOOKING = {
    False: _slot_select(_GRANTS),
    True: _slot_select(_GRANTS + f', {idempotency.exists_sql(scope="$4", key="$5")} AS "key_used"'),
}

_RESERVE_SQL = (
    "UPDATE booking_slot SET taken = taken + $2"
    " WHERE id = $1 AND status = 'open' AND taken + $2 <= capacity{queue} RETURNING taken"
)
_NOBODY_WAITING = (
    " AND NOT EXISTS (SELECT 1 FROM booking_waitlist w WHERE w.slot_id = $1 AND w.status = 'waiting')"
)
_RESERVE = _RESERVE_SQL.format(queue="")
_RESERVE_UNLESS_QUEUED = _RESERVE_SQL.format(queue=_NOBODY_WAITING)
_SLOT_NOW = "SELECT capacity, taken FROM booking_slot WHERE id = $1"
_SLOT_NOW_AND_KEY = (
    f'SELECT capacity, taken, {idempotency.exists_sql(scope="$2", key="$3")} AS "key_used"'  # noqa: S608
    " FROM booking_slot WHERE id = $1"
)

# The booking row's columns as the CTE inserts them ($1 slot id and $2 places are the UPDATE's).
_BOOKING_INSERT = (
    "INSERT INTO booking_booking (id, slot_id, resource_id, user_id, for_member_id, subject_id, party_size,"
    " status, check_in_code, purpose, visit_date, slot_start, slot_end, hold_expires_at, confirmed_at,"
    " created_at, updated_at)"
    " SELECT $3::uuid, $1, $4::uuid, $5::uuid, $6::uuid, $7::uuid, $2, $8::varchar, $9::varchar,"
    " $10::jsonb, $11::date, $12::timestamptz, $13::timestamptz, $14::timestamptz, $15::timestamptz,"
    " $16::timestamptz, $16::timestamptz FROM r"
)


def _one_statement_sql(queue: bool, record: idempotency.Record | None) -> str:
    reserve = _RESERVE_SQL.format(queue=_NOBODY_WAITING if queue else "") + ", capacity"
    parts = [
        f"r AS ({reserve})",
        f"b AS ({_BOOKING_INSERT})",
        f"n AS ({inbox_insert_sql(17, source='r, ')})",
        f"o AS ({push_outbox_sql(24, inbox='n', ids='$17')})",
    ]
    if record is not None:
        parts.append(f"k AS ({record.insert_sql(27, source='r', capacity='r.capacity', taken='r.taken')})")
    return f"WITH {', '.join(parts)} SELECT r.taken FROM r"  # noqa: S608 (constants only)


# By (queue, the record's `live` and `ttl`): the statement's text depends on nothing else.
_ONE_STATEMENT: dict[tuple[bool, Any, Any], str] = {}


def one_statement(dialect: str, *, visitors: int, after: Any) -> bool:
    """Whether this booking's write can be `reserve_and_insert`: PostgreSQL, no visitor rows (they
    reference the booking) and no owner's after-step (it runs on the inserted booking)."""
    return visitors == 0 and after is None and dialect.startswith("postgres")


class BookingRead(NamedTuple):
    """What a booking reads first: the slot (with `slot.resource`), the booked person's live grants
    (`family.proxies_in`; None: not read) and whether the Idempotency-Key was used (None: not asked)."""

    slot: Slot
    grants: Any
    key_used: bool | None


def _slot_from(row: dict[str, Any]) -> Slot:
    slot = Slot._init_from_db(**{c: row[f"s_{c}"] for c in _SLOT_COLUMNS})
    resource = Resource._init_from_db(**{c: row[f"r_{c}"] for c in _RESOURCE_COLUMNS})
    object.__setattr__(slot, "_resource", resource)  # where select_related puts it
    return slot


async def slot_with_resource(slot_id: uuid.UUID) -> Slot | None:
    """The slot with its resource (`slot.resource`), as the ORM's select_related gives them; one query."""
    rows = await raw_rows(_SLOT_WITH_RESOURCE, [slot_id])
    return _slot_from(rows[0]) if rows else None


async def read_for_booking(
    slot_id: uuid.UUID, *, dialect: str, subject_id: uuid.UUID, key: tuple[str, str] | None, now: Any
) -> BookingRead | None:
    """The slot, the subject's grants and the key's use in one query on PostgreSQL; elsewhere the slot
    only (the caller reads the rest when it needs it). None: no such slot."""
    if not dialect.startswith("postgres"):
        slot = await slot_with_resource(slot_id)
        return BookingRead(slot, None, None) if slot is not None else None
    values: list[Any] = [slot_id, subject_id, now]
    if key is not None:
        values += [key[0], idempotency.check_key(key[1])]
    rows = await raw_rows(_READ_FOR_BOOKING[key is not None], values)
    if not rows:
        return None
    row = rows[0]
    return BookingRead(_slot_from(row), row["grants"], bool(row["key_used"]) if key is not None else None)


async def reserve(conn: Any, slot: Slot, places: int, *, queue: bool) -> int | None:
    """Take `places` in `slot`; the slot's new `taken`, or None (full, closed, or people waiting)."""
    rows = await raw_rows(_RESERVE_UNLESS_QUEUED if queue else _RESERVE, [slot.id, places], conn=conn)
    return int(rows[0]["taken"]) if rows else None


class Reserved(NamedTuple):
    """What `reserve_and_insert` wrote: the slot's `taken` after it, and (when an attempt whose answer
    was lost turned out to have committed) the Idempotency-Key's stored answer, else None."""

    taken: int
    stored: Any


# Whether the booking's statement committed (after a lost answer): the booking, the slot, the key's answer.
_WRITTEN = (
    "SELECT s.taken, k.response FROM booking_booking b JOIN booking_slot s ON s.id = b.slot_id"
    " LEFT JOIN idempotency_record k ON k.scope = $2 AND k.key = $3 WHERE b.id = $1"
)


class SlotNow(NamedTuple):
    """The slot as committed now, and whether the key was used (None: no key asked about)."""

    capacity: int
    taken: int
    key_used: bool | None


async def slot_now(slot_id: uuid.UUID, *, key: tuple[str, str] | None = None) -> SlotNow | None:
    """The slot as committed now (for the answer to a booking that found it full) and, given a key,
    whether it has a record, in one query; None: the slot is gone."""
    if key is None:
        rows = await raw_rows(_SLOT_NOW, [slot_id])
    else:
        rows = await raw_rows(_SLOT_NOW_AND_KEY, [slot_id, key[0], idempotency.check_key(key[1])])
    if not rows:
        return None
    row = rows[0]
    used = bool(row["key_used"]) if key is not None else None
    return SlotNow(int(row["capacity"]), int(row["taken"]), used)


async def reserve_and_insert(
    conn: Any,
    *,
    row: Booking,
    places: int,
    queue: bool,
    notices: Sequence[Notice],
    now: Any,
    record: idempotency.Record | None = None,
    answer: Any = None,
) -> Reserved | None:
    """PostgreSQL: take the places and insert `row` (unsaved, all values set), `notices` with the
    outbox messages of those queued for a WeChat push, and `record` storing `answer` (the rendered
    answer; `record.live` fills in what this statement decides), in one statement: in `conn`'s
    transaction, or on its own when `conn` is None. None when nothing was written (full, closed, queued).

    On its own, a statement whose connection is lost is sent again (`raw_statement_retried`); when the
    lost attempt had committed, `Reserved.stored` is the record's answer as it stored it."""
    key = (queue, record.live, record.ttl) if record is not None else (queue, None, None)
    sql = _ONE_STATEMENT.get(key)
    if sql is None:
        sql = _ONE_STATEMENT[key] = _one_statement_sql(queue, record)
    values = [
        row.slot_id,  # type: ignore[attr-defined]
        places,
        row.id,
        row.resource_id,  # type: ignore[attr-defined]
        row.user_id,
        row.for_member_id,
        row.subject_id,
        str(row.status.value if hasattr(row.status, "value") else row.status),
        row.check_in_code,
        json.dumps(row.purpose or {}, ensure_ascii=False),
        row.visit_date,
        row.slot_start,
        row.slot_end,
        row.hold_expires_at,
        row.confirmed_at,
        now,
        *inbox_insert_values(notices, now),
        *push_outbox_values(notices, now),
    ]
    if record is not None:
        values += record.insert_values(answer, now)
    if conn is not None:
        rows = await raw_rows(sql, values, conn=conn)
        return Reserved(int(rows[0]["taken"]), None) if rows else None
    # On its own: a cut connection is sent again; the booking's id makes a second commit impossible.
    found: list[dict[str, Any]] = []

    async def committed() -> bool:
        key = record.scoped_key if record is not None else (None, None)
        found.extend(await raw_rows(_WRITTEN, [row.id, *key]))
        return bool(found)

    rows = await raw_statement_retried(sql, values, committed=committed)
    if rows is None:  # an earlier attempt committed; its answer was lost on the way
        stored = found[0]["response"]
        return Reserved(int(found[0]["taken"]), json.loads(stored) if isinstance(stored, str) else stored)
    return Reserved(int(rows[0]["taken"]), None) if rows else None
