"""What the accounts domain contributes: its tables. Its export/erase is the frame the others plug into."""

from __future__ import annotations

from services.common.contributions import Domain

__all__ = ["DOMAIN"]

DOMAIN = Domain(name="accounts", models="services.accounts.models", migrations="services.accounts.migrations")
