"""Errors of the government-service platform adapter.

IntegrationError (integrations.errors)
 ├── IntegrationUnavailable
 │    └── GovPlatformDown      timeout, 5xx, circuit open: the outbox retries later
 ├── IntegrationRejected
 │    └── CaseRefused          the platform refused the submission (unknown item, bad request)
 └── IntegrationProtocolError  the answer could not be parsed
"""

from __future__ import annotations

from integrations.errors import IntegrationRejected, IntegrationUnavailable

__all__ = ["CaseRefused", "GovPlatformDown"]


class GovPlatformDown(IntegrationUnavailable):
    """The platform could not be reached; nothing was recorded there."""


class CaseRefused(IntegrationRejected):
    """The platform will not take this request; retrying the same request will not help."""
