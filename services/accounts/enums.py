"""Enumerated states of the accounts domain."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Role", "VerificationLevel"]


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
