"""Errors of the eldercare platform adapter.

IntegrationError (integrations.errors)
 ├── IntegrationUnavailable
 │    └── EldercarePlatformDown   timeout, 5xx, circuit open: the order stays queued and is retried
 ├── IntegrationRejected
 │    └── DispatchRejected        the platform refused the order (no provider serves it, bad request)
 └── IntegrationProtocolError     an answer or callback that could not be understood
"""

from __future__ import annotations

from integrations.errors import IntegrationRejected, IntegrationUnavailable

__all__ = ["DispatchRejected", "EldercarePlatformDown"]


class EldercarePlatformDown(IntegrationUnavailable):
    """The platform could not be reached now; the same call may succeed later."""


class DispatchRejected(IntegrationRejected):
    """The platform will not take this order; retrying the same order will not help."""
