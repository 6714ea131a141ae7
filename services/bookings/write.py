"""The booking's raw SQL, in one place (issue 12): read a slot with its resource, take places, and on
PostgreSQL take them, insert the booking and its notices in one statement.

Capacity is only ever taken by the conditional UPDATE below (`taken + n <= capacity`), backed by a
CHECK constraint (triggers on SQLite). On a resource with a waitlist the same statement also requires
that nobody is waiting (free places belong to the queue), so the queue check costs no round trip and
cannot race with a join. RETURNING the new `taken` gives the answer without a re-read.

`reserve_and_insert` (PostgreSQL, a booking without visitors or an owner's after-step) puts the UPDATE,
the booking INSERT and the inbox INSERT in one statement: the INSERTs select FROM the UPDATE's result,
so a full slot writes nothing, and the slot's row lock is held from that statement to COMMIT only.
Everything else keeps the ORM (services/bookings/ledger.py); both paths are tested on both databases
(SQLite has no data-modifying CTE: it always takes the statement-by-statement path).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from services.bookings.models import Booking, Resource, Slot
from services.common.db import raw_rows
from services.notifications.notices import Notice, inbox_insert_sql, inbox_insert_values

__all__ = ["one_statement", "reserve", "reserve_and_insert", "slot_now", "slot_with_resource"]

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
# What Slot.get(id=).select_related("resource") reads, without building the query each time.
_SLOT_WITH_RESOURCE = (
    "SELECT "  # noqa: S608 (constants only)
    + ", ".join(f's."{c}" AS "s_{c}"' for c in _SLOT_COLUMNS)
    + ", "
    + ", ".join(f'r."{c}" AS "r_{c}"' for c in _RESOURCE_COLUMNS)
    + " FROM booking_slot s JOIN booking_resource r ON r.id = s.resource_id WHERE s.id = $1"
)

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

# The booking row's columns as the CTE inserts them ($1 slot id and $2 places are the UPDATE's).
_BOOKING_INSERT = (
    "INSERT INTO booking_booking (id, slot_id, resource_id, user_id, for_member_id, subject_id, party_size,"
    " status, check_in_code, purpose, visit_date, slot_start, slot_end, hold_expires_at, confirmed_at,"
    " created_at, updated_at)"
    " SELECT $3::uuid, $1, $4::uuid, $5::uuid, $6::uuid, $7::uuid, $2, $8::varchar, $9::varchar,"
    " $10::jsonb, $11::date, $12::timestamptz, $13::timestamptz, $14::timestamptz, $15::timestamptz,"
    " $16::timestamptz, $16::timestamptz FROM r"
)


def _one_statement_sql(queue: bool) -> str:
    reserve = _RESERVE_SQL.format(queue=_NOBODY_WAITING if queue else "")
    return (
        f"WITH r AS ({reserve}), b AS ({_BOOKING_INSERT}), n AS ({inbox_insert_sql(17, source='r, ')})"  # noqa: S608 (constants only)
        " SELECT r.taken, ARRAY(SELECT n.id FROM n WHERE n.push_status = 'queued') AS queued FROM r"
    )


_ONE_STATEMENT = {False: _one_statement_sql(False), True: _one_statement_sql(True)}


def one_statement(conn: Any, *, visitors: int, after: Any) -> bool:
    """Whether this booking's write can be `reserve_and_insert`: PostgreSQL, no visitor rows (they
    reference the booking) and no owner's after-step (it runs on the inserted booking)."""
    return visitors == 0 and after is None and conn.capabilities.dialect.startswith("postgres")


async def slot_with_resource(slot_id: uuid.UUID) -> Slot | None:
    """The slot with its resource (`slot.resource`), as the ORM's select_related gives them; one query."""
    rows = await raw_rows(_SLOT_WITH_RESOURCE, [slot_id])
    if not rows:
        return None
    row = rows[0]
    slot = Slot._init_from_db(**{c: row[f"s_{c}"] for c in _SLOT_COLUMNS})
    resource = Resource._init_from_db(**{c: row[f"r_{c}"] for c in _RESOURCE_COLUMNS})
    object.__setattr__(slot, "_resource", resource)  # where select_related puts it
    return slot


async def reserve(conn: Any, slot: Slot, places: int, *, queue: bool) -> int | None:
    """Take `places` in `slot`; the slot's new `taken`, or None (full, closed, or people waiting)."""
    rows = await raw_rows(_RESERVE_UNLESS_QUEUED if queue else _RESERVE, [slot.id, places], conn=conn)
    return int(rows[0]["taken"]) if rows else None


async def slot_now(slot_id: uuid.UUID) -> tuple[int, int] | None:
    """(capacity, taken) as committed now, or None: for the answer to a booking that found it full."""
    rows = await raw_rows(_SLOT_NOW, [slot_id])
    return (int(rows[0]["capacity"]), int(rows[0]["taken"])) if rows else None


async def reserve_and_insert(
    conn: Any, *, row: Booking, places: int, queue: bool, notices: Sequence[Notice], now: Any
) -> tuple[int, list[uuid.UUID]] | None:
    """PostgreSQL: take the places and insert `row` (unsaved, all values set) and `notices`, in one
    statement. The slot's new `taken` and the ids of the notices queued for a subscribe message (the
    caller writes their outbox messages in the same transaction); None when nothing was written."""
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
    ]
    rows = await raw_rows(_ONE_STATEMENT[queue], values, conn=conn)
    if not rows:
        return None
    return int(rows[0]["taken"]), list(rows[0]["queued"] or [])
