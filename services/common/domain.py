"""The platform's own tables (outbox, idempotency records, audit chain) as a composition entry."""

from __future__ import annotations

from services.common.contributions import Domain

__all__ = ["DOMAIN"]

DOMAIN = Domain(name="common", models="services.common.models", migrations="services.common.migrations")
