"""The timeline's keyset (created_at, id), newest first: each row once across pages, ties by id."""

from __future__ import annotations

import datetime as dt

import pytest

from services.common.models import OutboxMessage
from services.common.timeline import Position, newest_before

pytestmark = pytest.mark.usefixtures("db")

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)


async def _rows() -> list[OutboxMessage]:
    """Seven rows: three share one instant (the id decides), the rest a minute apart."""
    moments = [
        T0,
        T0 + dt.timedelta(minutes=1),
        *[T0 + dt.timedelta(minutes=2)] * 3,
        T0 + dt.timedelta(minutes=3),
    ]
    moments.append(T0 - dt.timedelta(days=1))
    rows = []
    for n, moment in enumerate(moments):
        row = await OutboxMessage.create(topic=f"t.{n}", payload={}, available_at=T0)
        await OutboxMessage.filter(id=row.id).update(created_at=moment)
        rows.append(await OutboxMessage.get(id=row.id))
    return rows


async def test_newest_before__pages_walk_every_row_once_newest_first() -> None:
    rows = await _rows()
    expected = sorted(rows, key=lambda r: (r.created_at, str(r.id)), reverse=True)
    seen: list[OutboxMessage] = []
    before = None
    for _ in range(len(rows) + 1):  # bounded: a keyset that repeats a row must fail, not loop
        page = await newest_before(OutboxMessage.all(), before=before, limit=2)
        assert len(page) <= 2
        if not page:
            break
        seen += page
        before = Position(created_at=page[-1].created_at, id=str(page[-1].id))
    assert [r.id for r in seen] == [r.id for r in expected]


async def test_newest_before__strictly_older_than_the_position_and_within_the_query() -> None:
    rows = await _rows()
    tied = sorted([r for r in rows if r.created_at == T0 + dt.timedelta(minutes=2)], key=lambda r: str(r.id))
    middle = tied[1]
    older = await newest_before(
        OutboxMessage.all(), before=Position(created_at=middle.created_at, id=str(middle.id)), limit=10
    )
    assert [r.id for r in older][:1] == [tied[0].id]  # the same instant, a smaller id: next
    assert middle.id not in {r.id for r in older} and tied[2].id not in {r.id for r in older}
    assert len(older) == 4  # tied[0], +1 min, T0, the day before
    # The source's own filter stays: only its rows are paged.
    mine = await newest_before(OutboxMessage.filter(topic__in=["t.0", "t.6"]), before=None, limit=10)
    assert [r.topic for r in mine] == ["t.0", "t.6"]
