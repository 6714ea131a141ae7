"""Tables of the gov domain."""

from __future__ import annotations

__all__: list[str] = []
