"""Domain errors: what a service refuses, in the citizen's terms, knowing nothing of HTTP.

    DomainError                      base; `code` is also the message id in locales/
     ├── InvalidInput                the request makes no sense for the domain (422)
     ├── Unauthenticated             no valid session (401)
     ├── PermissionDenied            signed in, but not allowed (403)
     │    └── VerificationRequired   a higher verification level is needed (403)
     ├── NotFound                    no such object, or not visible to the caller (404)
     ├── Conflict                    the state of the world forbids it now (409)
     ├── Gone                        it existed but is no longer usable (410)
     ├── RateLimited                 too many attempts; `retry_after` seconds (429)
     └── Unavailable                 a dependency is down and nothing could be stored (503)

Each subclass in a domain's errors.py sets `code` (e.g. ``booking.slot_full``); `params` fill the
translated message template, `details` go to the client as structured data.
citizen_api/errors.py alone maps these classes to HTTP status codes.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "Conflict",
    "DomainError",
    "Gone",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
    "VerificationRequired",
]


class DomainError(Exception):
    """Base of every refusal a service can make."""

    code: ClassVar[str] = "error.domain"

    def __init__(self, code: str | None = None, /, *, details: dict[str, Any] | None = None, **params: Any):
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.params = params
        self.details = details or {}
        super().__init__(self.code, params)


class InvalidInput(DomainError):
    code = "request.invalid"


class Unauthenticated(DomainError):
    code = "auth.required"


class PermissionDenied(DomainError):
    code = "auth.forbidden"


class VerificationRequired(PermissionDenied):
    """The action needs `required` level; the caller has `current`."""

    code = "auth.verification_required"


class NotFound(DomainError):
    code = "request.not_found"


class Conflict(DomainError):
    code = "request.conflict"


class Gone(DomainError):
    code = "request.gone"


class RateLimited(DomainError):
    code = "request.rate_limited"

    def __init__(self, code: str | None = None, /, *, retry_after: int = 60, **kwargs: Any):
        super().__init__(code, **kwargs)
        self.retry_after = max(1, int(retry_after))


class Unavailable(DomainError):
    code = "service.unavailable"
