"""Who is acting: the signed-in user, their roles with scopes, and whom they act for."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from services.accounts.enums import Role, VerificationLevel
from services.common.errors import PermissionDenied

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a service function. `acting_for` is set only under a live proxy grant."""

    user_id: uuid.UUID
    level: VerificationLevel
    roles: dict[Role, frozenset[str]] = field(default_factory=dict)
    locale: str = "zh_CN"
    acting_for: uuid.UUID | None = None
    # Set together with acting_for: the grant that allows it and the scope the endpoint declared.
    proxy_grant_id: uuid.UUID | None = None
    proxy_scope: str | None = None

    @property
    def subject_id(self) -> uuid.UUID:
        """The person the action is for: the represented person under a proxy, else the caller."""
        return self.acting_for or self.user_id

    def has_role(self, role: Role, scope: str | None = None) -> bool:
        """True when the user holds `role` (for `scope`, or unscoped). Admins hold every role."""
        if Role.ADMIN in self.roles and role is not Role.ADMIN:
            return True
        scopes = self.roles.get(role)
        if scopes is None:
            return False
        return scope is None or scope in scopes or "" in scopes

    def require_role(self, role: Role, scope: str | None = None) -> None:
        if not self.has_role(role, scope):
            raise PermissionDenied("auth.role_required", role=role.value)
