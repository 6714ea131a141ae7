"""Errors of the education-bureau adapter.

IntegrationError (integrations.errors)
 ├── IntegrationUnavailable
 │    └── BureauDown              timeout, 5xx, circuit open: the outbox retries later
 ├── IntegrationRejected
 │    └── SubmissionRefused       the bureau refused the request (bad fields, unknown application)
 └── IntegrationProtocolError     the answer could not be parsed
"""

from __future__ import annotations

from integrations.errors import IntegrationRejected, IntegrationUnavailable

__all__ = ["SYSTEM", "BureauDown", "SubmissionRefused"]

SYSTEM = "education_bureau"


class BureauDown(IntegrationUnavailable):
    """The bureau could not be reached; nothing was recorded there."""


class SubmissionRefused(IntegrationRejected):
    """The bureau will not take this request; retrying the same request will not help."""
