"""Tables of the notifications domain."""

from __future__ import annotations

__all__: list[str] = []
