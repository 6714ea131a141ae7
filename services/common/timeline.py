"""One timeline of "my cases" across domains: applications, reports, care orders, enrollments.

Each domain that has cases declares a `TimelineSource` in its Domain: the proxy scope that lets a
family member see them and an `entries` function returning the newest entries of some owners
before a position. `my_cases` merges the sources newest first with one keyset cursor, so a page is
the same whatever domain its items come from. A proxy acting for someone sees only the sources its
grant covers; otherwise one sees one's own items and those of the people one represents.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.common.errors import InvalidInput
from services.common.pagination import Page, decode_cursor, encode_cursor

__all__ = ["Position", "TimelineEntry", "TimelineSource", "my_cases", "newest_before"]

M = TypeVar("M", bound=Model)


@dataclass(frozen=True, slots=True)
class Position:
    """A point in the timeline: entries strictly older than (created_at, id) come after it."""

    created_at: dt.datetime
    id: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One case-like thing of a person, rendered for the reader."""

    kind: str  # "gov_case", "community_report", "care_order", "enrollment", ...
    id: uuid.UUID
    ref: str
    title: str
    status: str
    status_label: str
    for_member: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    link: str
    due_date: dt.date | None = None
    overdue: bool = False
    # Extra fields a domain's own screens use (e.g. a case's item code); shown as they are.
    extra: dict[str, Any] = field(default_factory=dict)


# async (*, owners, viewer_id, locale, before, limit) -> entries newest first (created_at, id).
Entries = Callable[..., Awaitable[Sequence[TimelineEntry]]]


@dataclass(frozen=True, slots=True)
class TimelineSource:
    kind: str
    # The family-proxy scope under which a representative sees these entries (None: owner only).
    scope: str | None
    entries: Entries


async def newest_before(rows: QuerySet[M], *, before: Position | None, limit: int) -> list[M]:
    """A source's rows strictly older than `before` by (created_at, id), newest first, at most `limit`.

    The keyset every source pages by, so the merged timeline's cursor means the same in each of them.
    """
    if before is not None:
        rows = rows.filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.id)
        )
    return await rows.order_by("-created_at", "-id").limit(limit)


class _Family(Protocol):
    async def represented_subjects(self, *, proxy_id: uuid.UUID, scope: str) -> list[uuid.UUID]: ...
    async def live_grant(self, *, proxy_id: uuid.UUID, subject_id: uuid.UUID, scope: str) -> Any: ...


def _position(cursor: str | None) -> Position | None:
    raw = decode_cursor(cursor)
    if raw is None:
        return None
    try:
        return Position(
            created_at=dt.datetime.fromisoformat(str(raw["t"])), id=str(uuid.UUID(str(raw["id"])))
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidInput("request.bad_cursor") from error


async def _owners(source: TimelineSource, *, actor: Any, family: _Family) -> list[uuid.UUID]:
    if actor.acting_for is not None:
        # Acting for someone: only what the grant covers, only theirs.
        if source.scope is None:
            return []
        grant = await family.live_grant(
            proxy_id=actor.user_id, subject_id=actor.acting_for, scope=source.scope
        )
        return [actor.acting_for] if grant is not None else []
    represented = (
        await family.represented_subjects(proxy_id=actor.user_id, scope=source.scope) if source.scope else []
    )
    return list(dict.fromkeys([actor.user_id, *represented]))


async def my_cases(
    *,
    actor: Any,
    sources: Sequence[TimelineSource],
    family: _Family,
    locale: str,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """The actor's cases from every source, newest first, one page and the cursor for the next."""
    limit = max(1, min(limit, 100))
    before = _position(cursor)
    merged: list[TimelineEntry] = []
    for source in sources:
        owners = await _owners(source, actor=actor, family=family)
        if owners:
            merged += await source.entries(
                owners=owners, viewer_id=actor.user_id, locale=locale, before=before, limit=limit + 1
            )
    merged.sort(key=lambda e: (e.created_at, str(e.id)), reverse=True)
    items = merged[:limit]
    next_cursor = None
    if len(merged) > limit:
        last = items[-1]
        next_cursor = encode_cursor({"t": last.created_at.isoformat(), "id": str(last.id)})
    return Page(items=items, next_cursor=next_cursor)
