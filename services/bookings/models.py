"""Tables of the bookings domain."""

from __future__ import annotations

__all__: list[str] = []
