"""Notifications: the inbox every domain writes to, and WeChat subscribe messages."""

from __future__ import annotations

__all__: list[str] = []
