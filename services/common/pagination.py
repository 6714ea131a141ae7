"""Cursor pagination: `?limit=&cursor=` -> `{"items": [...], "next_cursor": ...}`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from tortoise import fields
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from services.common.errors import InvalidInput
from services.common.ids import parse_id

__all__ = ["Page", "decode_cursor", "encode_cursor", "keyset_page"]


def encode_cursor(position: dict[str, Any]) -> str:
    """An opaque cursor for the position after the last item of a page."""
    raw = json.dumps(position, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The position in `cursor`; a cursor we did not make is a 422, not a 500."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidInput("request.bad_cursor") from error
    if not isinstance(value, dict):
        raise InvalidInput("request.bad_cursor")
    return value


@dataclass(slots=True)
class Page:
    """One page of a list and the cursor for the next one (None at the end)."""

    items: list[Any]
    next_cursor: str | None


def _load(field: Any, raw: Any) -> Any:
    """A cursor value back to the field's Python type; anything unparseable is a bad cursor."""
    try:
        if isinstance(field, fields.DatetimeField):
            return dt.datetime.fromisoformat(str(raw))
        if isinstance(field, fields.DateField):
            return dt.date.fromisoformat(str(raw))
        if isinstance(field, fields.IntField | fields.BigIntField | fields.SmallIntField):
            return int(raw)
    except (TypeError, ValueError) as error:
        raise InvalidInput("request.bad_cursor") from error
    if not isinstance(raw, str):
        raise InvalidInput("request.bad_cursor")
    return raw


def _dump(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


async def keyset_page(
    query: QuerySet[Any], *, limit: int, cursor: str | None, key: str = "created_at", descending: bool = True
) -> Page:
    """One page of `query` ordered by (`key`, id), newest first by default, resumable from `cursor`.

    Keyset, not offset: rows inserted while a user scrolls neither repeat nor vanish, and the query
    costs the same on page 100 as on page 1.
    """
    position = decode_cursor(cursor)
    if position is not None:
        after_id = parse_id(str(position.get("id", "")))
        if after_id is None or "k" not in position:
            raise InvalidInput("request.bad_cursor")
        after = _load(query.model._meta.fields_map[key], position["k"])
        op = "lt" if descending else "gt"
        query = query.filter(Q(**{f"{key}__{op}": after}) | Q(**{key: after, f"id__{op}": after_id}))
    order = (f"-{key}", "-id") if descending else (key, "id")
    rows = await query.order_by(*order).limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        encode_cursor({"k": _dump(getattr(rows[-1], key)), "id": str(rows[-1].id)}) if more and rows else None
    )
    return Page(items=list(rows), next_cursor=next_cursor)
