"""Identity-system failures.

IntegrationError (integrations.errors)
 ├── IntegrationUnavailable          timeout, 5xx, circuit open: try again later (503)
 ├── IntegrationRejected
 │    └── IdentityRequestRejected    the system refused our request (bad signature, bad fields) (502)
 └── IntegrationProtocolError        an answer we could not read (502)

A "no match" is not an error: it is an IdentityVerdict with outcome mismatch / invalid_id_number.
"""

from __future__ import annotations

from integrations.errors import IntegrationRejected

__all__ = ["SYSTEM", "IdentityRequestRejected"]

SYSTEM = "identity"


class IdentityRequestRejected(IntegrationRejected):
    """The identity system refused the request itself (signature, malformed fields)."""
