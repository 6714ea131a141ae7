"""Turning a verified token into a Principal: the user's current level, roles and locale."""

from __future__ import annotations

import uuid
from collections import defaultdict

from services.accounts.enums import Role, VerificationLevel
from services.accounts.models import RoleGrant, User
from services.accounts.principal import Principal
from services.common.errors import PermissionDenied, Unauthenticated

__all__ = ["load_principal"]


async def load_principal(*, user_id: uuid.UUID) -> Principal:
    """The principal for `user_id`; a deleted or unknown user is Unauthenticated."""
    user = await User.get_or_none(id=user_id, deleted_at=None)
    if user is None:
        raise Unauthenticated("auth.token_invalid")
    roles: dict[Role, set[str]] = defaultdict(set)
    for role, scope in await RoleGrant.filter(user_id=user_id).values_list("role", "scope"):
        roles[Role(role)].add(scope)
    roles[Role.RESIDENT].add("")
    return Principal(
        user_id=user.id,
        level=VerificationLevel(user.level),
        roles={role: frozenset(scopes) for role, scopes in roles.items()},
        locale=user.locale or "",
    )


async def act_for(*, actor: Principal, subject: str, scope: str) -> Principal:
    """`actor` acting for `subject` under a live proxy grant covering `scope`.

    Family proxies arrive with the accounts issue; until a grant model exists nobody may act for another.
    """
    raise PermissionDenied("proxy.not_allowed", scope=scope)
