"""Tables of the tourism domain."""

from __future__ import annotations

__all__: list[str] = []
