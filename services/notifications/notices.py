"""The inbox rows of one change, built once and written in as few statements as the caller allows.

`notices(...)` gives the subject's message and a copy for each proxy ("For your parent: ..."), with
their ids; `service.notify` writes them one statement each (the consent check folded into the INSERT),
and a PostgreSQL caller that writes its change as one statement (the booking's reserve, issue 12) puts
them all in it with `inbox_insert_sql`/`inbox_insert_values`, then `queue_pushes` for the rows the
INSERT queued. Either way a row is queued for a WeChat subscribe message exactly when its user has
any consent left, and the outbox message is written in the same transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import to_jsonable_python

from services.common import context, outbox
from services.common.ids import new_id

__all__ = [
    "ON_BEHALF",
    "SUBSCRIBE_TOPIC",
    "Notice",
    "inbox_insert_sql",
    "inbox_insert_values",
    "notices",
    "push_outbox_sql",
    "push_outbox_values",
    "queue_pushes",
]

SUBSCRIBE_TOPIC = "notifications.subscribe_send"
# Param of a proxy's copy of a notification: {"subject": id, "relation": "parent"}.
ON_BEHALF = "_on_behalf"

# Whether a row is queued for a subscribe message: the user has any consent left (settings decide later
# which kinds have a template; the delivery job checks that).
QUEUED_IF_CONSENT = (
    "CASE WHEN EXISTS (SELECT 1 FROM notification_subscription_consent c"
    " WHERE c.user_id = {user} AND c.remaining > 0) THEN 'queued' ELSE 'none' END"
)


@dataclass(frozen=True, slots=True)
class Notice:
    """One inbox row to write; `params` already JSON-safe."""

    id: uuid.UUID
    user_id: uuid.UUID | str
    kind: str
    params: dict[str, Any]
    link: str | None = None
    case_ref: str | None = None

    @property
    def params_json(self) -> str:
        return json.dumps(self.params, ensure_ascii=False)


def notices(
    *,
    user_id: uuid.UUID | str,
    kind: str,
    params: dict[str, Any],
    link: str | None = None,
    case_ref: str | None = None,
    proxies: Iterable[tuple[uuid.UUID, str]] = (),
) -> list[Notice]:
    """The user's message, then a copy for each proxy (never the user themself); nothing is read."""
    # Stored as JSON: datetimes, UUIDs and enums become strings now rather than failing later.
    stored = to_jsonable_python(params or {})
    rows = [Notice(new_id(), user_id, kind, stored, link, case_ref)]
    for proxy_id, relation in proxies:
        if str(proxy_id) == str(user_id):
            continue
        copy = {**stored, ON_BEHALF: {"subject": str(user_id), "relation": relation}}
        rows.append(Notice(new_id(), proxy_id, kind, copy, link, case_ref))
    return rows


def inbox_insert_sql(first: int, *, source: str = "") -> str:
    """PostgreSQL: an INSERT of every notice (parameters $first .. $first+6, `inbox_insert_values`),
    RETURNING id, push_status. `source` ("r, ") joins a CTE, so no row is written when it is empty."""
    p = [f"${first + i}" for i in range(7)]
    # Only constants and placeholders are formatted in: every value is a parameter.
    return (
        "INSERT INTO notification_inbox (id, user_id, kind, params, link, case_ref, push_status, created_at)"  # noqa: S608
        f" SELECT v.id, v.user_id, v.kind, v.params::jsonb, v.link, v.case_ref,"
        f" {QUEUED_IF_CONSENT.format(user='v.user_id')}, {p[6]}::timestamptz"
        f" FROM {source}unnest({p[0]}::uuid[], {p[1]}::uuid[], {p[2]}::text[], {p[3]}::text[],"
        f" {p[4]}::text[], {p[5]}::text[]) AS v(id, user_id, kind, params, link, case_ref)"
        " RETURNING id, push_status"
    )


def inbox_insert_values(rows: Sequence[Notice], now: Any) -> list[Any]:
    """The seven parameters of `inbox_insert_sql` for `rows`, written at `now`."""
    return [
        [r.id for r in rows],
        [r.user_id if isinstance(r.user_id, uuid.UUID) else uuid.UUID(str(r.user_id)) for r in rows],
        [r.kind for r in rows],
        [r.params_json for r in rows],
        [r.link for r in rows],
        [r.case_ref for r in rows],
        now,
    ]


def push_outbox_sql(first: int, *, inbox: str, ids: str) -> str:
    """PostgreSQL: `queue_pushes`'s outbox rows as one INSERT, for the rows the CTE `inbox` (an
    `inbox_insert_sql`) queued; `ids` is that INSERT's notice-id parameter. Parameters $first ..
    $first+2 (`push_outbox_values`); the same rows `queue_pushes` writes."""
    p = [f"${first + i}" for i in range(3)]
    return (
        "INSERT INTO outbox_message (id, topic, payload, aggregate_type, aggregate_id, status, attempts,"  # noqa: S608 (constants only)
        f" available_at, request_id, created_at) SELECT v.outbox_id, '{SUBSCRIBE_TOPIC}',"
        f" jsonb_build_object('message_id', {inbox}.id::text), 'inbox_message', {inbox}.id::text,"
        f" '{outbox.OutboxStatus.PENDING.value}', 0, {p[2]}::timestamptz, {p[1]}::varchar, {p[2]}::timestamptz"
        f" FROM {inbox} JOIN unnest({ids}::uuid[], {p[0]}::uuid[]) AS v(id, outbox_id) ON v.id = {inbox}.id"
        f" WHERE {inbox}.push_status = 'queued'"
    )


def push_outbox_values(rows: Sequence[Notice], now: Any) -> list[Any]:
    """The three parameters of `push_outbox_sql` for `rows` (the inbox INSERT's), written at `now`."""
    return [[new_id() for _ in rows], context.current().request_id, now]


async def queue_pushes(message_ids: Iterable[uuid.UUID | str], *, conn: Any) -> None:
    """The outbox messages that send the queued rows' subscribe messages, in `conn`'s transaction."""
    for message_id in message_ids:
        await outbox.enqueue(
            topic=SUBSCRIBE_TOPIC,
            payload={"message_id": str(message_id)},
            aggregate_type="inbox_message",
            aggregate_id=str(message_id),
            using_db=conn,
        )
