"""The account as its owner sees it (personal data masked) and the helpers every accounts module shares."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from services.accounts.enums import Role, VerificationLevel
from services.accounts.errors import (
    UserNotFound,
)
from services.accounts.models import RoleGrant, User
from services.accounts.principal import Principal
from services.common.crypto import PiiCipher, mask_id_number, mask_name, mask_phone

__all__ = [
    "ID_CTX",
    "NAME_CTX",
    "PHONE_CTX",
    "SESSION_KEY_CTX",
    "ProfileView",
    "clear_text",
    "owner_of",
    "profile_view",
]

PHONE_CTX = "account_user.phone"
NAME_CTX = "account_user.name"
ID_CTX = "account_user.id_number"
SESSION_KEY_CTX = "account_user.session_key"


# --- views -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileView:
    """The account as its owner sees it in responses: personal data masked."""

    id: uuid.UUID
    level: VerificationLevel
    locale: str | None
    elder_mode: bool
    notification_prefs: dict[str, Any]
    phone: str | None
    name: str | None
    id_number: str | None
    roles: dict[str, list[str]]
    privacy_policy_version: str | None
    created_at: dt.datetime


async def profile_view(user: User, cipher: PiiCipher) -> ProfileView:
    roles: dict[str, list[str]] = {Role.RESIDENT.value: []}
    for role, scope in (
        await RoleGrant.filter(user_id=user.id).order_by("role", "scope").values_list("role", "scope")
    ):
        scopes = roles.setdefault(str(role), [])
        if scope:
            scopes.append(scope)
    return ProfileView(
        id=user.id,
        level=VerificationLevel(user.level),
        locale=user.locale,
        elder_mode=user.elder_mode,
        notification_prefs=dict(user.notification_prefs or {}),
        phone=mask_phone(clear_text(cipher, user.phone_enc, PHONE_CTX)),
        name=mask_name(clear_text(cipher, user.name_enc, NAME_CTX)),
        id_number=mask_id_number(clear_text(cipher, user.id_number_enc, ID_CTX)),
        roles=roles,
        privacy_policy_version=user.consent_version,
        created_at=user.created_at,
    )


def clear_text(cipher: PiiCipher, token: str | None, context: str) -> str | None:
    return cipher.decrypt(token, context=context) if token else None


async def owner_of(actor: Principal) -> User:
    # /me endpoints are always about the signed-in person, never about someone they represent.
    user = await User.get_or_none(id=actor.user_id, deleted_at=None)
    if user is None:
        raise UserNotFound()
    return user
