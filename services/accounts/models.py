"""Accounts: one citizen, one account, across every domain."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.accounts.enums import FamilyGrantStatus, Role, VerificationLevel
from services.common.ids import new_id

__all__ = ["FamilyGrant", "ProxyAction", "RefreshToken", "RoleGrant", "User"]


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


class RefreshToken(Model):
    """One refresh token of a sign-in session (only its SHA-256 is stored, the token itself is opaque).

    Tokens of one sign-in share a `family_id`; each refresh rotates to a new token of the family. Presenting
    a rotated token again means it leaked, so the whole family is revoked.
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    family_id = fields.UUIDField(db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    rotated_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_refresh_token"


class FamilyGrant(Model):
    """A family proxy: the proxy may act for the subject within the scopes until expires_at.

    Created by the proxy as an invitation (subject unknown, only the code's hash stored); it becomes
    active when the represented person accepts the code with their own account.
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    proxy: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="proxy_grants_held", on_delete=fields.CASCADE
    )
    subject: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "accounts.User", related_name="proxy_grants_given", null=True, on_delete=fields.CASCADE
    )
    relation = fields.CharField(max_length=16, default="family")
    scopes: list = fields.JSONField(default=list)
    status = fields.CharEnumField(FamilyGrantStatus, max_length=16, default=FamilyGrantStatus.PENDING)
    invite_code_hash = fields.CharField(max_length=64, unique=True)
    invite_expires_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_by_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_family_grant"
        indexes = (("proxy_id", "status"), ("subject_id", "status"))


class ProxyAction(Model):
    """One request a proxy made for the represented person, as GET /me/proxy-log shows it to them."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    grant_id = fields.UUIDField(db_index=True)
    proxy_id = fields.UUIDField()
    subject_id = fields.UUIDField(db_index=True)
    scope = fields.CharField(max_length=16)
    method = fields.CharField(max_length=8)
    route = fields.CharField(max_length=200)
    status = fields.IntField()
    request_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_proxy_action"
