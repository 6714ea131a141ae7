"""What the accounts domain refuses.

    DomainError (services.common.errors)
     ├── Unauthenticated
     │    ├── RefreshTokenInvalid      unknown, expired or revoked refresh token (401)
     │    └── RefreshTokenReused       a rotated token came back: the session family is revoked (401)
     ├── InvalidInput
     │    ├── PhoneDataInvalid         the legacy encrypted phone data holds no phone number (422)
     │    ├── IdentityMismatch         the identity system says name and ID number do not match (422)
     │    ├── IdNumberInvalid          not a valid mainland ID number (checksum, birth date) (422)
     │    └── RoleScopeInvalid         community_staff/dept_operator need a scope, other roles none (422)
     ├── NotFound
     │    ├── UserNotFound             no such user (CLI, admin) (404)
     │    ├── FamilyGrantNotFound      no such proxy grant visible to the caller (404)
     │    └── InvitationNotFound       no pending invitation with that code (404)
     ├── Gone
     │    └── InvitationExpired        the invitation code expired (410)
     └── Conflict
          ├── SessionKeyMissing        the legacy phone flow needs a fresh sign-in first (409)
          ├── IdentityAlreadyBound     that ID number is verified on another account (409)
          ├── AlreadyVerified          the account is already verified with another identity (409)
          ├── FamilyLimitReached       at most 5 outstanding and active proxies per person (409)
          ├── SelfInvitation           one cannot accept one's own invitation (409)
          └── AlreadyLinked            a live grant between the two already exists (409)

Refusing to act for someone is services.common.errors.PermissionDenied("proxy.not_allowed").
"""

from __future__ import annotations

from services.common.errors import Conflict, Gone, InvalidInput, NotFound, Unauthenticated

__all__ = [
    "AlreadyLinked",
    "AlreadyVerified",
    "FamilyGrantNotFound",
    "FamilyLimitReached",
    "IdNumberInvalid",
    "IdentityAlreadyBound",
    "IdentityMismatch",
    "InvitationExpired",
    "InvitationNotFound",
    "PhoneDataInvalid",
    "RefreshTokenInvalid",
    "RefreshTokenReused",
    "RoleScopeInvalid",
    "SelfInvitation",
    "SessionKeyMissing",
    "UserNotFound",
]


class RefreshTokenInvalid(Unauthenticated):
    code = "auth.refresh_invalid"


class RefreshTokenReused(Unauthenticated):
    code = "auth.refresh_reused"


class PhoneDataInvalid(InvalidInput):
    code = "phone.data_invalid"


class IdentityMismatch(InvalidInput):
    code = "identity.mismatch"


class IdNumberInvalid(InvalidInput):
    code = "identity.id_number_invalid"


class RoleScopeInvalid(InvalidInput):
    code = "account.role_scope_invalid"


class UserNotFound(NotFound):
    code = "account.user_not_found"


class FamilyGrantNotFound(NotFound):
    code = "family.not_found"


class InvitationNotFound(NotFound):
    code = "family.invitation_not_found"


class InvitationExpired(Gone):
    code = "family.invitation_expired"


class SessionKeyMissing(Conflict):
    code = "phone.session_expired"


class IdentityAlreadyBound(Conflict):
    code = "identity.already_bound"


class AlreadyVerified(Conflict):
    code = "identity.already_verified"


class FamilyLimitReached(Conflict):
    code = "family.limit_reached"


class SelfInvitation(Conflict):
    code = "family.self_invitation"


class AlreadyLinked(Conflict):
    code = "family.already_linked"
