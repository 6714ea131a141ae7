"""Roles with scope: finding a user, granting and revoking roles (audited), who holds a role."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tortoise.transactions import in_transaction

from services.accounts.enums import SCOPED_ROLES, Role
from services.accounts.errors import (
    RoleScopeInvalid,
    UserNotFound,
)
from services.accounts.models import RoleGrant, User
from services.common import audit
from services.common.errors import InvalidInput
from services.common.ids import parse_id

if TYPE_CHECKING:
    from services.accounts.principals import PrincipalCache

__all__ = ["find_user", "grant_role", "revoke_role", "role_holders"]


# --- roles -----------------------------------------------------------------------------------------


async def find_user(reference: str) -> User:
    """A live user by id or WeChat openid (operators' tools)."""
    parsed = parse_id(reference)
    user = await User.get_or_none(id=parsed, deleted_at=None) if parsed else None
    if user is None:
        user = await User.get_or_none(openid=reference, deleted_at=None)
    if user is None:
        raise UserNotFound()
    return user


def _check_scope(role: Role, scope: str) -> None:
    if role in SCOPED_ROLES and not scope:
        raise RoleScopeInvalid(role=role.value)
    if role not in SCOPED_ROLES and scope:
        raise RoleScopeInvalid(role=role.value)


async def grant_role(
    *,
    user_ref: str,
    role: Role,
    scope: str = "",
    granted_by: uuid.UUID | None = None,
    operator: str | None = None,
    principals: PrincipalCache,
) -> RoleGrant:
    """Give `role` (limited to `scope` for community_staff/dept_operator); idempotent.

    `operator` names who granted it from the command line (an operator's login, not a resident).
    `principals`: told after the commit, so every worker sees the new role at the user's next request.
    """
    _check_scope(role, scope)
    user = await find_user(user_ref)
    async with in_transaction() as conn:
        grant = await RoleGrant.filter(user_id=user.id, role=role, scope=scope).using_db(conn).first()
        if grant is None:
            grant = await RoleGrant.create(
                user_id=user.id, role=role, scope=scope, granted_by_id=granted_by, using_db=conn
            )
            await audit.record(
                "role.granted",
                actor_id=granted_by,
                subject_id=user.id,
                target_type="role",
                target_id=grant.id,
                details={"role": role.value, "scope": scope}
                | ({"via": "cli", "operator": operator} if operator else {}),
                using_db=conn,
            )
            created = True
        else:
            created = False
    if created:
        await principals.changed(user.id)
    return grant


async def revoke_role(
    *,
    user_ref: str,
    role: Role | str,
    scope: str = "",
    revoked_by: uuid.UUID | None = None,
    principals: PrincipalCache,
) -> int:
    """Take `role` (for `scope`) away; returns how many grants were removed (0 is not an error).

    `principals`: told after the commit, so no worker goes on acting on the revoked role.
    """
    try:
        role = Role(role)
    except ValueError as error:
        raise InvalidInput("request.invalid") from error
    user = await find_user(user_ref)
    async with in_transaction() as conn:
        removed = await RoleGrant.filter(user_id=user.id, role=role, scope=scope).using_db(conn).delete()
        if removed:
            await audit.record(
                "role.revoked",
                actor_id=revoked_by,
                subject_id=user.id,
                details={"role": role.value, "scope": scope},
                using_db=conn,
            )
    if removed:
        await principals.changed(user.id)
    return removed


async def role_holders(*, role: Role, scope: str) -> list[uuid.UUID]:
    """Users holding `role` for `scope` or for every scope (e.g. whom to alert about a department's case)."""
    rows = await RoleGrant.filter(
        role=role, scope__in=[scope, ""], user__deleted_at__isnull=True
    ).values_list("user_id", flat=True)
    return sorted(set(rows))
