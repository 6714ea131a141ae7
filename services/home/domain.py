"""The home screen has no tables of its own: it reads other domains through their service functions."""

from __future__ import annotations

from services.common.contributions import Domain

__all__ = ["DOMAIN"]

DOMAIN = Domain(name="home")
