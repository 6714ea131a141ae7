"""Request and response shapes of the accounts API (sign-in, profile, verification, family, PIPL)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from citizen_api.schemas.common import (
    NONBLANK,
    WX_LOGIN_CODE_FORMAT,
    WX_PHONE_CODE_FORMAT,
    ListQuery,
    StrictModel,
    id_number_schema,
    token_format,
)
from services.accounts.enums import ProxyScope, Role, VerificationLevel

__all__ = [
    "AuditEntryOut",
    "AuditPageOut",
    "AuditQuery",
    "AuditReportOut",
    "FamilyInviteIn",
    "FamilyInviteOut",
    "FamilyLinkOut",
    "FamilyListOut",
    "IdentityIn",
    "LogoutIn",
    "NotificationPrefs",
    "PersonOut",
    "PhoneIn",
    "ProfileOut",
    "ProfilePatch",
    "ProxyLogItemOut",
    "ProxyLogOut",
    "RefreshIn",
    "RoleGrantIn",
    "RoleGrantOut",
    "RoleRevokeQuery",
    "SignInOut",
    "WeChatLoginIn",
]


class WeChatLoginIn(StrictModel):
    code: str = Field(
        ...,
        min_length=1,
        max_length=128,
        description="the code from wx.login() (single use)",
        json_schema_extra=token_format(WX_LOGIN_CODE_FORMAT),
    )


class RefreshIn(StrictModel):
    refresh_token: str = Field(..., min_length=16, max_length=256)


class LogoutIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{}]})
    refresh_token: str | None = Field(None, min_length=16, max_length=256)


class NotificationPrefs(StrictModel):
    """Which notifications the user wants; each is on unless switched off."""

    booking_reminders: bool | None = None
    case_updates: bool | None = None
    community_notices: bool | None = None
    care_reminders: bool | None = None


class ProfilePatch(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"locale": "en", "elder_mode": True, "notification_prefs": {"community_notices": False}}
            ]
        }
    )
    locale: Literal["zh_CN", "en"] | None = None
    elder_mode: bool | None = None
    notification_prefs: NotificationPrefs | None = None

    def changes(self) -> dict[str, Any]:
        """Only the fields the client sent (explicit nulls for locale/elder_mode are ignored)."""
        sent = self.model_dump(exclude_unset=True, exclude_none=True)
        if "notification_prefs" in sent:
            sent["notification_prefs"] = {
                k: v for k, v in sent["notification_prefs"].items() if v is not None
            }
        return sent


class ProfileOut(BaseModel):
    id: uuid.UUID
    level: VerificationLevel
    locale: str | None
    elder_mode: bool
    notification_prefs: dict[str, bool]
    phone: str | None = Field(None, description="masked, e.g. 138****5678")
    name: str | None = Field(None, description="masked, e.g. 张**")
    id_number: str | None = Field(None, description="masked, e.g. 4190**********1230")
    roles: dict[str, list[str]]
    privacy_policy_version: str | None
    created_at: dt.datetime

    @classmethod
    def from_domain(cls, view: Any) -> ProfileOut:
        return cls.model_validate(view, from_attributes=True)


class SignInOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    user: ProfileOut

    @classmethod
    def from_domain(cls, signed: Any) -> SignInOut:
        return cls(
            access_token=signed.access_token,
            refresh_token=signed.refresh_token,
            expires_in=signed.expires_in,
            user=ProfileOut.from_domain(signed.user),
        )


class PhoneIn(StrictModel):
    """Either `code` (getPhoneNumber button, current flow) or `encrypted_data` + `iv` (legacy flow)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {
                    "required": ["code"],
                    "properties": {
                        "code": {"type": "string", "format": WX_PHONE_CODE_FORMAT},
                        "encrypted_data": {"type": "null"},
                        "iv": {"type": "null"},
                    },
                },
                {
                    "required": ["encrypted_data", "iv"],
                    "properties": {
                        "code": {"type": "null"},
                        "encrypted_data": {"type": "string", "pattern": NONBLANK},
                        "iv": {"type": "string", "pattern": NONBLANK},
                    },
                },
            ]
        }
    )

    code: str | None = Field(
        None, min_length=1, max_length=128, json_schema_extra=token_format(WX_PHONE_CODE_FORMAT)
    )
    encrypted_data: str | None = Field(None, min_length=1, max_length=4096)
    iv: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_flow(self) -> PhoneIn:
        legacy = self.encrypted_data is not None or self.iv is not None
        if self.code and legacy:
            raise ValueError("send either code or encrypted_data+iv, not both")
        if not self.code and not (self.encrypted_data and self.iv):
            raise ValueError("send code, or encrypted_data with iv")
        return self


class IdentityIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "张秀英", "id_number": "419001195603120022"}]}
    )
    name: str = Field(..., min_length=1, max_length=64)
    id_number: str = Field(
        ...,
        pattern=r"^\d{17}[\dXx]$",
        description="18-character mainland ID number (GB 11643)",
        json_schema_extra=id_number_schema,
    )


class FamilyInviteIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"scopes": ["bookings", "care"], "relation": "parent", "valid_days": 365}]
        }
    )
    scopes: list[ProxyScope] = Field(..., min_length=1, max_length=3)
    relation: Literal["parent", "child", "spouse", "sibling", "grandparent", "other"] = "parent"
    valid_days: int = Field(365, ge=1, le=1825, description="how long the grant lasts once accepted")


class PersonOut(BaseModel):
    id: uuid.UUID
    name: str | None = Field(None, description="masked")


class FamilyLinkOut(BaseModel):
    id: uuid.UUID
    direction: Literal["proxy", "represented"] = Field(
        ..., description="proxy: I may act for `other`; represented: `other` may act for me"
    )
    other: PersonOut | None
    relation: str
    scopes: list[str]
    status: Literal["pending", "active", "expired", "revoked"]
    expires_at: dt.datetime
    invitation_expires_at: dt.datetime | None
    created_at: dt.datetime
    accepted_at: dt.datetime | None

    @classmethod
    def from_domain(cls, link: Any) -> FamilyLinkOut:
        return cls.model_validate(link, from_attributes=True)


class FamilyInviteOut(FamilyLinkOut):
    invitation_code: str = Field(..., description="give this to the person you will act for; shown once")

    @classmethod
    def from_invitation(cls, invitation: Any) -> FamilyInviteOut:
        base = FamilyLinkOut.from_domain(invitation.link).model_dump()
        return cls(**base, invitation_code=invitation.code)


class FamilyListOut(BaseModel):
    items: list[FamilyLinkOut]
    next_cursor: str | None = None


class ProxyLogItemOut(BaseModel):
    id: uuid.UUID
    proxy: PersonOut | None
    scope: str
    method: str
    route: str
    status: int
    created_at: dt.datetime


class ProxyLogOut(BaseModel):
    items: list[ProxyLogItemOut]
    next_cursor: str | None = None

    @classmethod
    def from_domain(cls, page: Any) -> ProxyLogOut:
        return cls(
            items=[ProxyLogItemOut.model_validate(i, from_attributes=True) for i in page.items],
            next_cursor=page.next_cursor,
        )


class RoleGrantIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"role": "community_staff", "scope": "jy-tiantan"}]}
    )
    role: Role
    scope: str = Field("", max_length=64, description="community id or department code for scoped roles")


class RoleRevokeQuery(StrictModel):
    scope: str = Field("", max_length=64)


class RoleGrantOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    role: Role
    scope: str
    created_at: dt.datetime

    @classmethod
    def from_domain(cls, grant: Any) -> RoleGrantOut:
        return cls.model_validate(grant, from_attributes=True)


class AuditQuery(ListQuery):
    actor_id: str | None = Field(None, max_length=64)
    subject_id: str | None = Field(None, max_length=64)
    action: str | None = Field(None, max_length=64)


class AuditEntryOut(BaseModel):
    id: uuid.UUID
    seq: int
    occurred_at: dt.datetime
    action: str
    actor_id: str | None
    subject_id: str | None
    target_type: str | None
    target_id: str | None
    ip: str | None
    request_id: str | None
    details: dict[str, Any]
    hash: str


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = None

    @classmethod
    def from_domain(cls, page: Any) -> AuditPageOut:
        return cls(
            items=[AuditEntryOut.model_validate(e, from_attributes=True) for e in page.items],
            next_cursor=page.next_cursor,
        )


class AuditReportOut(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: str | None = None
    reason: str | None = None
