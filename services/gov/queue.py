"""A department's case queue for its operators: open cases with deadlines, earliest due (overdue) first.

Operators decide from here in the staff console (services/gov/decisions.py), or the department's own
system does and its callbacks move the case (services/gov/delivery.py). `status=submitted` lists the
cases waiting to be accepted, oldest first. No personal data: references, items, states and dates.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import clock
from services.common.errors import InvalidInput
from services.common.pagination import decode_cursor, encode_cursor
from services.gov.enums import CaseStatus
from services.gov.models import Case
from services.gov.timeline import CLOCK_RUNNING

__all__ = ["QUEUE_STATUSES", "QueueItem", "QueuePage", "department_queue"]

# Cases with a running or paused deadline: accepted, in review, or waiting for the citizen's 补正.
QUEUE_STATUSES = (*CLOCK_RUNNING, CaseStatus.SUPPLEMENT_REQUESTED)


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: uuid.UUID
    ref: str
    item_code: str
    department: str
    status: CaseStatus
    due_date: dt.date | None
    overdue: bool
    supplement: dict[str, Any] | None
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class QueuePage:
    items: list[QueueItem]
    next_cursor: str | None


async def department_queue(
    *, actor: Principal, status: CaseStatus | None = None, limit: int = 20, cursor: str | None = None
) -> QueuePage:
    """The operator's departments' open cases, earliest due first (so overdue ones lead)."""
    scopes = actor.roles.get(Role.DEPT_OPERATOR, frozenset())
    if status is CaseStatus.SUBMITTED:
        return await _waiting(actor, scopes, limit=limit, cursor=cursor)
    query = Case.filter(
        status__in=[status] if status in QUEUE_STATUSES else list(QUEUE_STATUSES), due_date__isnull=False
    )
    if status is not None and status not in QUEUE_STATUSES:
        raise InvalidInput("request.invalid", details={"status": [s.value for s in QUEUE_STATUSES]})
    if not (Role.ADMIN in actor.roles or "" in scopes):
        query = query.filter(department_code__in=sorted(scopes))
    position = decode_cursor(cursor)
    if position:
        try:
            after_due = dt.date.fromisoformat(str(position["d"]))
            after_id = uuid.UUID(str(position["id"]))
        except (KeyError, ValueError) as error:
            raise InvalidInput("request.bad_cursor") from error
        query = query.filter(Q(due_date__gt=after_due) | Q(due_date=after_due, id__gt=after_id))
    rows = await query.order_by("due_date", "id").limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    today = clock.local_date()
    items = [
        QueueItem(
            id=c.id,
            ref=c.ref,
            item_code=c.item_code,
            department=c.department_code,
            status=CaseStatus(c.status),
            due_date=c.due_date,
            # The same rule as the case view: late only while the clock runs (not during 补正).
            overdue=c.status in CLOCK_RUNNING and c.due_date < today,
            supplement=c.supplement,
            submitted_at=c.submitted_at,
            accepted_at=c.accepted_at,
        )
        for c in rows
    ]
    next_cursor = (
        encode_cursor({"d": rows[-1].due_date.isoformat(), "id": str(rows[-1].id)}) if more and rows else None
    )
    return QueuePage(items=items, next_cursor=next_cursor)


def _item(c: Case, today: dt.date) -> QueueItem:
    return QueueItem(
        id=c.id,
        ref=c.ref,
        item_code=c.item_code,
        department=c.department_code,
        status=CaseStatus(c.status),
        due_date=c.due_date,
        overdue=bool(c.due_date and c.status in CLOCK_RUNNING and c.due_date < today),
        supplement=c.supplement,
        submitted_at=c.submitted_at,
        accepted_at=c.accepted_at,
    )


async def _waiting(actor: Principal, scopes: frozenset[str], *, limit: int, cursor: str | None) -> QueuePage:
    """Submitted cases waiting for 受理, oldest first (keyset on submitted_at, id)."""
    query = Case.filter(status=CaseStatus.SUBMITTED, submitted_at__isnull=False)
    if not (Role.ADMIN in actor.roles or "" in scopes):
        query = query.filter(department_code__in=sorted(scopes))
    position = decode_cursor(cursor)
    if position:
        try:
            after = dt.datetime.fromisoformat(str(position["s"]))
            after_id = uuid.UUID(str(position["id"]))
        except (KeyError, ValueError) as error:
            raise InvalidInput("request.bad_cursor") from error
        query = query.filter(Q(submitted_at__gt=after) | Q(submitted_at=after, id__gt=after_id))
    rows = await query.order_by("submitted_at", "id").limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    today = clock.local_date()
    last = rows[-1] if rows else None
    next_cursor = (
        encode_cursor({"s": last.submitted_at.isoformat(), "id": str(last.id)})
        if more and last and last.submitted_at
        else None
    )
    return QueuePage(items=[_item(c, today) for c in rows], next_cursor=next_cursor)
