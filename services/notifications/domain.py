"""What the notifications domain contributes: the subscribe-message sender and its privacy hooks."""

from __future__ import annotations

from services.common.contributions import Domain, PrivacyHooks
from services.notifications import jobs, privacy

__all__ = ["DOMAIN"]

DOMAIN = Domain(
    name="notifications",
    models="services.notifications.models",
    migrations="services.notifications.migrations",
    outbox_handlers=jobs.OUTBOX_HANDLERS,
    privacy=PrivacyHooks(
        export=privacy.export_user_data,
        erase=privacy.erase_user_data,
        tables=("notification_inbox", "notification_subscription_consent"),
    ),
)
