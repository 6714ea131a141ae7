"""Opaque, time-ordered public ids (UUIDv7): never sequential integers."""

from __future__ import annotations

import uuid

import uuid_utils

__all__ = ["new_id", "parse_id"]


def new_id() -> uuid.UUID:
    """A new UUIDv7 as a standard-library UUID (what Tortoise's UUIDField stores)."""
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


def parse_id(value: str | uuid.UUID) -> uuid.UUID | None:
    """The UUID in `value`, or None when it is not one (callers turn None into a 404)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, AttributeError, TypeError):
        return None
