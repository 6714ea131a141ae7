"""The platform's own tables (outbox, idempotency records, audit chain) as a composition entry."""

from __future__ import annotations

from services.common import privacy
from services.common.contributions import Domain, PrivacyHooks

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="common",
    models="services.common.models",
    migrations="services.common.migrations",
    privacy=PrivacyHooks(
        export=privacy.export_user_data, erase=privacy.erase_user_data, tables=("idempotency_record",)
    ),
    kept_on_erasure={
        "audit_entry": "the append-only, keyed audit chain: ids and actions only, no personal data; "
        "the person's entries are in their export",
    },
)
