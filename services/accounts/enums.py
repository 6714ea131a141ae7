"""Enumerated states of the accounts domain."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["FamilyGrantStatus", "ProxyScope", "Role", "SCOPED_ROLES", "VerificationLevel"]


class VerificationLevel(StrEnum):
    """How sure we are who the user is; each level includes the ones before it."""

    WECHAT = "wechat"
    PHONE = "phone"
    REAL_NAME = "real_name"

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self)

    def satisfies(self, required: VerificationLevel) -> bool:
        return self.rank >= required.rank


_LEVEL_ORDER = [VerificationLevel.WECHAT, VerificationLevel.PHONE, VerificationLevel.REAL_NAME]


class Role(StrEnum):
    RESIDENT = "resident"
    COMMUNITY_STAFF = "community_staff"  # scoped to communities
    DEPT_OPERATOR = "dept_operator"  # scoped to departments
    OPS_VIEWER = "ops_viewer"
    ADMIN = "admin"


# Roles that only mean something for a given community / department.
SCOPED_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.DEPT_OPERATOR})


class ProxyScope(StrEnum):
    """What a family proxy may do for the represented person (endpoints declare `proxy_scope=`)."""

    BOOKINGS = "bookings"
    CASES = "cases"
    CARE = "care"


class FamilyGrantStatus(StrEnum):
    """pending -> active (accepted) -> revoked; pending -> revoked (cancelled). Expiry is by date."""

    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"
