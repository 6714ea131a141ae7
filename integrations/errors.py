"""Errors raised by adapters to outside systems. Raw httpx responses never leave an adapter.

IntegrationError                 base; carries `system` and the remote `remote_code` if any
 ├── IntegrationUnavailable      timeout, connection refused, 5xx, circuit open: try again later
 │    └── CircuitOpen            we stopped calling the system for a while after repeated failures
 ├── IntegrationRejected         the system understood and said no (4xx or a business error code)
 └── IntegrationProtocolError    the answer could not be understood (bad JSON, missing fields)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CircuitOpen",
    "IntegrationError",
    "IntegrationProtocolError",
    "IntegrationRejected",
    "IntegrationUnavailable",
]


class IntegrationError(Exception):
    """Base of every adapter failure.

    A subclass may set `public_status` and `public_code` (a message id in locales/) when the failure
    is the caller's to fix (an expired WeChat login code is a 400, a quota a 429); otherwise the edge
    answers 502/503 with a generic message.
    """

    public_status: int | None = None
    public_code: str | None = None

    def __init__(
        self,
        system: str,
        message: str = "",
        *,
        remote_code: str | int | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ):
        self.system = system
        self.remote_code = remote_code
        self.status = status
        self.details = details or {}
        super().__init__(
            f"{system}: {message}" + (f" (code {remote_code})" if remote_code is not None else "")
        )


class IntegrationUnavailable(IntegrationError):
    """The system could not be reached or failed; the same call may succeed later."""


class CircuitOpen(IntegrationUnavailable):
    """Calls are short-circuited after repeated failures until the cool-down passes."""


class IntegrationRejected(IntegrationError):
    """The system refused the request; retrying the same request will not help."""


class IntegrationProtocolError(IntegrationError):
    """The system answered something we could not parse."""
