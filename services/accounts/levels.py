"""The one verification-level check and where a user goes to reach each level.

Used by the HTTP edge (a route's declared level) and by services whose resources declare their own
level (the booking engine's `min_level`), so both answer the same VerificationRequired.
"""

from __future__ import annotations

from services.accounts.enums import VerificationLevel
from services.accounts.principal import Principal
from services.common.errors import VerificationRequired

__all__ = ["NEXT_STEP", "require_level"]

# Where a user goes to reach each level; returned with a VerificationRequired error.
NEXT_STEP = {VerificationLevel.PHONE: "/api/v1/me/phone", VerificationLevel.REAL_NAME: "/api/v1/me/identity"}


def require_level(actor: Principal, level: VerificationLevel | str) -> None:
    """VerificationRequired naming the missing step; `who` says whose step it is under a proxy."""
    required = VerificationLevel(level)
    if actor.level.satisfies(required):
        return
    details = {"required": required.value, "current": actor.level.value, "next": NEXT_STEP.get(required)}
    if actor.acting_for is not None:
        details["who"] = "represented"
    raise VerificationRequired(details=details, required=required.value)
