"""The platform search's table; documents are written by the domains that own them."""

from __future__ import annotations

from services.common.contributions import Domain

__all__ = ["DOMAIN"]

DOMAIN = Domain(name="search", models="services.search.models", migrations="services.search.migrations")
