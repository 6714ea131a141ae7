"""Keyset pagination: complete, stable under inserts, forged cursors refused."""

from __future__ import annotations

import pytest

from services.common import outbox
from services.common.errors import InvalidInput
from services.common.models import OutboxMessage
from services.common.pagination import encode_cursor, keyset_page

pytestmark = pytest.mark.usefixtures("db")


async def _ids(n: int) -> list[str]:
    return [str((await outbox.enqueue(topic="t.page", payload={"n": i})).id) for i in range(n)]


async def test_keyset_page__walks_every_row_once_newest_first() -> None:
    ids = await _ids(7)
    seen, cursor = [], None
    while True:
        page = await keyset_page(OutboxMessage.all(), limit=3, cursor=cursor)
        seen += [str(row.id) for row in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(ids))


async def test_keyset_page__ascending_and_stable_when_rows_arrive_meanwhile() -> None:
    ids = await _ids(4)
    first = await keyset_page(OutboxMessage.all(), limit=2, cursor=None, descending=False)
    late = await _ids(1)  # inserted while the user is on page one
    second = await keyset_page(OutboxMessage.all(), limit=10, cursor=first.next_cursor, descending=False)
    assert [str(r.id) for r in first.items + second.items] == ids + late


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        encode_cursor({"k": "yesterday", "id": "00000000-0000-0000-0000-000000000000"}),
        encode_cursor({"k": "2026-01-01T00:00:00+00:00", "id": "nope"}),
        encode_cursor({"id": "00000000-0000-0000-0000-000000000000"}),
        encode_cursor({"k": ["x"], "id": "00000000-0000-0000-0000-000000000000"}),
    ],
)
async def test_keyset_page__forged_cursor_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        await keyset_page(OutboxMessage.all(), limit=2, cursor=cursor)
