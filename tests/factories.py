"""Shared test factories: users at each verification level and with roles, and their auth headers."""

from __future__ import annotations

import uuid

from services.accounts.enums import Role, VerificationLevel
from services.accounts.models import RoleGrant, User
from services.accounts.tokens import issue_access_token

__all__ = ["auth_headers", "make_user"]


async def make_user(
    *,
    level: VerificationLevel = VerificationLevel.REAL_NAME,
    roles: dict[Role, list[str]] | None = None,
    locale: str | None = None,
    openid: str | None = None,
) -> User:
    """A user at `level`, holding `roles` ({role: [scope, ...]}; scope "" means unscoped)."""
    user = await User.create(openid=openid or f"o-test-{uuid.uuid4().hex[:16]}", level=level, locale=locale)
    for role, scopes in (roles or {}).items():
        for scope in scopes:
            await RoleGrant.create(user=user, role=role, scope=scope)
    return user


def auth_headers(user: User, settings, **extra: str) -> dict[str, str]:
    """Authorization header with a fresh access token for `user` (plus any extra headers)."""
    token = issue_access_token(
        user_id=user.id, secret=settings.secret_key.get_secret_value(), ttl_s=settings.access_token_ttl_s
    )
    return {"Authorization": f"Bearer {token}", **extra}
