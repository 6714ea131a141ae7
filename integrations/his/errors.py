"""Errors of the hospital information system (HIS) adapter.

IntegrationError (integrations.errors)
 ├── IntegrationUnavailable
 │    └── HisUnavailable          timeout, 5xx, circuit open: the HIS cannot be read or written now
 ├── IntegrationRejected
 │    └── HisRejected             the HIS answered an OperationOutcome (slot taken, clinic stopped, bad request)
 └── IntegrationProtocolError
      └── HisProtocolError        the answer is not a valid FHIR resource or Bundle
"""

from __future__ import annotations

from integrations.errors import IntegrationProtocolError, IntegrationRejected, IntegrationUnavailable

__all__ = ["HisProtocolError", "HisRejected", "HisUnavailable"]


class HisUnavailable(IntegrationUnavailable):
    """The HIS could not be reached; readers fall back to the last schedule they saw, marked stale."""


class HisRejected(IntegrationRejected):
    """The HIS refused the request; `remote_code` is the OperationOutcome issue code (e.g. "conflict")."""


class HisProtocolError(IntegrationProtocolError):
    """The HIS answered something that is not valid FHIR R4."""
