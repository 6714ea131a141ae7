"""Adapter to the real-name identity verification system, over the shared signed HTTP base.

POST /v1/household/relations {"guardian_name", "guardian_id_number", "child_name", "child_id_number"} ->
    200 {"result": "confirmed" | "not_related" | "not_found", "relation": "parent" | "guardian" | null,
         "transaction_id": "..."}   (the 户籍 register's guardian-child check, for education)
POST /v1/verifications {"name", "id_number"} (HMAC-signed) ->
    200 {"result": "match" | "mismatch" | "invalid_id_number" | "not_found", "transaction_id": "..."}
    4xx {"code": "...", "message": "..."} when the request itself is refused.
Personal data goes only into the request body: never into URLs, headers or log lines.
"""

from __future__ import annotations

from typing import Any

from integrations.errors import (
    IntegrationProtocolError,
    IntegrationRejected,
)
from integrations.http import HttpAdapter
from integrations.identity.errors import SYSTEM, IdentityRequestRejected
from integrations.identity.types import HouseholdVerdict, IdentityVerdict

__all__ = ["IdentityClient"]

_OUTCOMES = {"match", "mismatch", "invalid_id_number", "not_found"}
_HOUSEHOLD_OUTCOMES = {"confirmed", "not_related", "not_found"}


class IdentityClient(HttpAdapter):
    """Verifies that a name and a mainland ID number belong together."""

    system = SYSTEM

    async def verify(self, *, name: str, id_number: str) -> IdentityVerdict:
        """The identity system's verdict on (name, id_number)."""
        try:
            # A verification is a lookup: repeating it changes nothing, so it may be retried.
            data: Any = await self.request_json(
                "POST", "/v1/verifications", json_body={"name": name, "id_number": id_number}, idempotent=True
            )
        except IntegrationRejected as error:
            raise IdentityRequestRejected(
                SYSTEM, "request refused", remote_code=error.remote_code, status=error.status
            ) from error
        if not isinstance(data, dict) or data.get("result") not in _OUTCOMES:
            raise IntegrationProtocolError(SYSTEM, "unexpected verification answer")
        reference = data.get("transaction_id")
        return IdentityVerdict(outcome=data["result"], reference=str(reference) if reference else None)

    async def check_household_relation(
        self, *, guardian_name: str, guardian_id_number: str, child_name: str, child_id_number: str
    ) -> HouseholdVerdict:
        """Whether the household register records the guardian as the child's parent or guardian."""
        body = {
            "guardian_name": guardian_name,
            "guardian_id_number": guardian_id_number,
            "child_name": child_name,
            "child_id_number": child_id_number,
        }
        try:
            # A lookup: repeating it changes nothing, so it may be retried.
            data: Any = await self.request_json(
                "POST", "/v1/household/relations", json_body=body, idempotent=True
            )
        except IntegrationRejected as error:
            raise IdentityRequestRejected(
                SYSTEM, "request refused", remote_code=error.remote_code, status=error.status
            ) from error
        if not isinstance(data, dict) or data.get("result") not in _HOUSEHOLD_OUTCOMES:
            raise IntegrationProtocolError(SYSTEM, "unexpected household answer")
        reference = data.get("transaction_id")
        relation = data.get("relation")
        return HouseholdVerdict(
            outcome=data["result"],
            relation=str(relation) if relation else None,
            reference=str(reference) if reference else None,
        )
