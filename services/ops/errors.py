"""What the operations domain refuses (dashboard and staff sign-in).

DomainError
 ├── InvalidInput
 │    ├── DashboardRangeInvalid   from after to, or a range longer than a year
 │    └── WeakPassword            a staff password below the policy
 ├── Unauthenticated
 │    └── StaffSignInFailed       unknown account, wrong password or wrong code (one answer for all)
 ├── PermissionDenied
 │    └── DashboardNotAllowed     neither ops_viewer, admin nor a department operator
 ├── Conflict
 │    └── StaffAccountExists      that username is taken
 └── RateLimited
      └── StaffAccountLocked      too many failed sign-ins: locked for a while
"""

from __future__ import annotations

from services.common.errors import Conflict, InvalidInput, PermissionDenied, RateLimited, Unauthenticated

__all__ = [
    "DashboardNotAllowed",
    "DashboardRangeInvalid",
    "StaffAccountExists",
    "StaffAccountLocked",
    "StaffSignInFailed",
    "WeakPassword",
]


class DashboardRangeInvalid(InvalidInput):
    code = "ops.dashboard_range_invalid"


class DashboardNotAllowed(PermissionDenied):
    code = "ops.dashboard_not_allowed"


class WeakPassword(InvalidInput):
    code = "ops.staff_password_weak"


class StaffSignInFailed(Unauthenticated):
    code = "ops.staff_sign_in_failed"


class StaffAccountExists(Conflict):
    code = "ops.staff_account_exists"


class StaffAccountLocked(RateLimited):
    code = "ops.staff_account_locked"
