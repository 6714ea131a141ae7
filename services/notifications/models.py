"""Tables of the notifications domain: the inbox and WeChat subscribe-message consents."""

from __future__ import annotations

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from tortoise.models import Model

from services.common.ids import new_id
from services.notifications.enums import PushStatus

__all__ = ["InboxMessage", "SubscriptionConsent"]


class InboxMessage(Model):
    """One message in a user's inbox. `kind` is a message id rendered with `params` in the reader's language."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user = fields.ForeignKeyField("accounts.User", related_name="inbox_messages", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=64)
    params: dict = fields.JSONField(default=dict)
    link = fields.CharField(max_length=512, null=True)
    case_ref = fields.CharField(max_length=64, null=True)
    read_at = fields.DatetimeField(null=True)
    push_status = fields.CharEnumField(PushStatus, max_length=16, default=PushStatus.NONE)
    template_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notification_inbox"
        indexes = (("user_id", "created_at"),)


class SubscriptionConsent(Model):
    """How many more subscribe messages of `template_id` the user has agreed to receive (one per send)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user = fields.ForeignKeyField(
        "accounts.User", related_name="subscription_consents", on_delete=fields.CASCADE
    )
    template_id = fields.CharField(max_length=64)
    remaining = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "notification_subscription_consent"
        unique_together = (("user", "template_id"),)
        constraints = [
            CheckConstraint(check="remaining >= 0", name="notification_consent_remaining_nonnegative")
        ]
