"""HTTP adapter to the government-service platform.

POST /api/cases                         (X-Event-Id dedupes) -> {"platform_ref", "duplicate"}
POST /api/cases/{platform_ref}/supplements  {"event_id", "note", "materials"} -> {"ok": true}
POST /api/cases/{platform_ref}/withdrawal   {"event_id", "reason"}             -> {"ok": true}
POST /api/cases/{platform_ref}/decisions    {"event_id", "action", "status", "message", "materials"}
                                            an operator's decision made in our console -> {"ok": true}

The platform reports progress by calling us back (POST /api/v1/integrations/gov_platform/callback,
HMAC-signed). Every call carries our outbox event id, so a retry after a lost answer is harmless.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from integrations.errors import IntegrationProtocolError, IntegrationRejected, IntegrationUnavailable
from integrations.gov_platform.errors import CaseRefused, GovPlatformDown
from integrations.gov_platform.types import CaseSubmission, SubmissionMaterial, SubmitReceipt
from integrations.http import HttpAdapter

__all__ = ["GovPlatformClient"]


class GovPlatformClient(HttpAdapter):
    """Satisfies services.gov.ports.GovPlatform."""

    system = "gov_platform"

    def __init__(self, **kwargs: Any):
        # One attempt per call: every call runs inside an outbox delivery, whose backoff is the retry
        # loop; retrying here as well would only multiply the calls against a platform that is down.
        kwargs.setdefault("retries", 1)
        super().__init__(**kwargs)

    async def _post(self, path: str, *, body: dict[str, Any], event_id: str) -> Any:
        try:
            return await self.request_json(
                "POST",
                path,
                json_body=body,
                headers={"X-Event-Id": event_id},
                idempotent=True,  # the platform deduplicates on the event id
            )
        except IntegrationRejected as error:
            raise CaseRefused(
                self.system, str(error), remote_code=error.remote_code, status=error.status
            ) from error
        except IntegrationUnavailable as error:
            if isinstance(error, GovPlatformDown):
                raise
            raise GovPlatformDown(self.system, str(error), status=error.status) from error

    async def submit_case(self, submission: CaseSubmission) -> SubmitReceipt:
        """Hand a case to the platform; a repeat of the same event returns the first receipt."""
        data = await self._post("/api/cases", body=submission.to_json(), event_id=submission.event_id)
        try:
            return SubmitReceipt(
                platform_ref=str(data["platform_ref"]), duplicate=bool(data.get("duplicate"))
            )
        except (KeyError, TypeError) as error:
            raise IntegrationProtocolError(self.system, "malformed submission receipt") from error

    async def send_supplement(
        self, *, event_id: str, platform_ref: str, note: str, materials: list[SubmissionMaterial]
    ) -> None:
        """Deliver the citizen's answer to a 补正 request."""
        body = {
            "event_id": event_id,
            "note": note,
            "materials": [
                {"code": m.code, "content_type": m.content_type, "size": m.size, "sha256": m.sha256}
                for m in materials
            ],
        }
        await self._post(
            f"/api/cases/{quote(platform_ref, safe='')}/supplements", body=body, event_id=event_id
        )

    async def withdraw_case(self, *, event_id: str, platform_ref: str, reason: str) -> None:
        """Tell the platform the citizen withdrew the case."""
        body = {"event_id": event_id, "reason": reason}
        await self._post(
            f"/api/cases/{quote(platform_ref, safe='')}/withdrawal", body=body, event_id=event_id
        )

    async def record_decision(
        self,
        *,
        event_id: str,
        platform_ref: str,
        action: str,
        status: str,
        message: str,
        materials: list[str],
    ) -> None:
        """Record a department operator's decision taken in our staff console."""
        body = {
            "event_id": event_id,
            "action": action,
            "status": status,
            "message": message,
            "materials": materials,
        }
        await self._post(f"/api/cases/{quote(platform_ref, safe='')}/decisions", body=body, event_id=event_id)
