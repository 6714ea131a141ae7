"""Cursor pagination: `?limit=&cursor=` -> `{"items": [...], "next_cursor": ...}`."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from services.common.errors import InvalidInput

__all__ = ["Page", "decode_cursor", "encode_cursor"]


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
