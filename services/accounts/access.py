"""Turning a verified token into a Principal: the user's current level, roles and locale."""

from __future__ import annotations

import uuid
from collections import defaultdict

from services.accounts import family
from services.accounts.enums import Role, VerificationLevel
from services.accounts.models import RefreshToken, User
from services.accounts.principal import Principal
from services.common import audit, clock
from services.common.db import raw_rows
from services.common.errors import PermissionDenied, Unauthenticated
from services.common.ids import parse_id

__all__ = ["act_for", "load_principal", "session_is_live"]


# One round trip per authenticated request (issue 12): the user and their role grants together.
_PRINCIPAL_SQL = (
    "SELECT u.level, u.locale, g.role, g.scope FROM account_user u"
    " LEFT JOIN account_role_grant g ON g.user_id = u.id"
    " WHERE u.id = $1 AND u.deleted_at IS NULL"
)


async def load_principal(*, user_id: uuid.UUID) -> Principal:
    """The principal for `user_id`; a deleted or unknown user is Unauthenticated."""
    rows = await raw_rows(_PRINCIPAL_SQL, [user_id])
    if not rows:
        raise Unauthenticated("auth.token_invalid")
    roles: dict[Role, set[str]] = defaultdict(set)
    for row in rows:
        if row["role"] is not None:
            roles[Role(row["role"])].add(row["scope"] or "")
    roles[Role.RESIDENT].add("")
    first = rows[0]
    return Principal(
        user_id=user_id,
        level=VerificationLevel(first["level"]),
        roles={role: frozenset(scopes) for role, scopes in roles.items()},
        locale=first["locale"] or "",
    )


async def session_is_live(*, session_id: str) -> bool:
    """True while the sign-in session still has a usable refresh token (not logged out or revoked)."""
    family_id = parse_id(session_id)
    if family_id is None:
        return False
    return await RefreshToken.filter(
        family_id=family_id, revoked_at=None, expires_at__gt=clock.now()
    ).exists()


async def _refused(actor: Principal, subject_id: uuid.UUID | None, scope: str, reason: str) -> None:
    # Someone tried to act for another person without a grant: the person (if they exist) and the
    # operators can see it. The subject id is only recorded when it is a real account.
    known = subject_id is not None and await User.exists(id=subject_id)
    await audit.record(
        "proxy.refused",
        actor_id=actor.user_id,
        subject_id=subject_id if known else None,
        details={"scope": scope, "reason": reason},
    )


async def act_for(*, actor: Principal, subject: str, scope: str) -> Principal:
    """`actor` acting for `subject` under a live proxy grant covering `scope`, else PermissionDenied.

    Live means accepted by the represented person, not expired, not revoked, and their account not
    deleted. The same answer is given whether the person does not exist or no grant covers the
    scope, so the header cannot be used to probe for accounts.
    """
    subject_id = parse_id(subject.strip())
    if subject_id is None:
        await _refused(actor, None, scope, "malformed")
        raise PermissionDenied("proxy.not_allowed", scope=scope)
    if subject_id == actor.user_id:
        return actor
    grant = await family.live_grant(proxy_id=actor.user_id, subject_id=subject_id, scope=scope)
    subject_user = await User.get_or_none(id=subject_id, deleted_at=None) if grant else None
    if grant is None or subject_user is None:
        await _refused(actor, subject_id, scope, "no_live_grant")
        raise PermissionDenied("proxy.not_allowed", scope=scope)
    # An action for someone is only as verified as the less verified of the two people.
    subject_level = VerificationLevel(subject_user.level)
    level = subject_level if subject_level.rank < actor.level.rank else actor.level
    # Acting for a relative is a resident's act: staff and admin roles do not carry over.
    return Principal(
        user_id=actor.user_id,
        level=level,
        roles={Role.RESIDENT: frozenset({""})},
        locale=actor.locale,
        acting_for=subject_id,
        proxy_grant_id=grant.id,
        proxy_scope=scope,
    )
