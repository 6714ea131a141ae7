"""Accounts: one citizen, one account, across every domain."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.accounts.enums import Role, VerificationLevel
from services.common.ids import new_id

__all__ = ["RoleGrant", "User"]


class User(Model):
    """A person signed in through WeChat. Personal data columns hold ciphertext (services.common.crypto)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    openid = fields.CharField(max_length=64, unique=True)
    unionid = fields.CharField(max_length=64, null=True, db_index=True)
    session_key_enc = fields.TextField(null=True)
    level = fields.CharEnumField(VerificationLevel, max_length=16, default=VerificationLevel.WECHAT)
    phone_enc = fields.TextField(null=True)
    phone_index = fields.CharField(max_length=64, null=True, db_index=True)
    name_enc = fields.TextField(null=True)
    id_number_enc = fields.TextField(null=True)
    # Unique: one identity can be verified on one account only.
    id_number_index = fields.CharField(max_length=64, null=True, unique=True)
    locale = fields.CharField(max_length=8, null=True)
    elder_mode = fields.BooleanField(default=False)
    notification_prefs: dict = fields.JSONField(default=dict)
    consent_version = fields.CharField(max_length=32, null=True)
    consented_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_user"


class RoleGrant(Model):
    """A role held by a user, optionally limited to one scope (a community id, a department code)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="role_grants", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=24)
    scope = fields.CharField(max_length=64, default="")
    granted_by_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_role_grant"
        unique_together = (("user", "role", "scope"),)
