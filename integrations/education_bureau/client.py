"""HTTP adapter to the education bureau's enrollment review system.

POST /api/applications                        (X-Event-Id dedupes) -> {"bureau_ref", "duplicate"}
POST /api/applications/{bureau_ref}/supplements  {"event_id", "note", "materials"} -> {"ok": true}
POST /api/applications/{bureau_ref}/withdrawal   {"event_id"}                      -> {"ok": true}

Every call is HMAC-signed (integrations.http) and carries our outbox event id. The bureau reports
review progress (in_review, supplement_requested, approved, rejected with a reason) by calling us
back at POST /api/v1/integrations/education_bureau/callback, signed the same way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from integrations.education_bureau.errors import SYSTEM, BureauDown, SubmissionRefused
from integrations.education_bureau.types import ApplicationSubmission, BureauMaterial, BureauReceipt
from integrations.errors import IntegrationProtocolError, IntegrationRejected, IntegrationUnavailable
from integrations.http import HttpAdapter

__all__ = ["EducationBureauClient"]


class EducationBureauClient(HttpAdapter):
    """Satisfies services.education.ports.EducationBureau."""

    system = SYSTEM

    def __init__(self, **kwargs: Any):
        # One attempt per call: calls run inside outbox deliveries, whose backoff is the retry loop.
        kwargs.setdefault("retries", 1)
        super().__init__(**kwargs)

    async def _post(self, path: str, *, body: dict[str, Any], event_id: str) -> Any:
        try:
            return await self.request_json(
                "POST", path, json_body=body, headers={"X-Event-Id": event_id}, idempotent=True
            )
        except IntegrationRejected as error:
            raise SubmissionRefused(
                self.system, str(error), remote_code=error.remote_code, status=error.status
            ) from error
        except IntegrationUnavailable as error:
            if isinstance(error, BureauDown):
                raise
            raise BureauDown(self.system, str(error), status=error.status) from error

    async def submit_application(self, submission: ApplicationSubmission) -> BureauReceipt:
        """Hand an application to the bureau; a repeat of the same event returns the first receipt."""
        data = await self._post("/api/applications", body=submission.to_json(), event_id=submission.event_id)
        try:
            return BureauReceipt(bureau_ref=str(data["bureau_ref"]), duplicate=bool(data.get("duplicate")))
        except (KeyError, TypeError) as error:
            raise IntegrationProtocolError(self.system, "malformed submission receipt") from error

    async def send_supplement(
        self, *, event_id: str, bureau_ref: str, note: str, materials: list[BureauMaterial]
    ) -> None:
        """Deliver the family's answer to a 补充材料 request."""
        body = {"event_id": event_id, "note": note, "materials": [m.to_json() for m in materials]}
        await self._post(
            f"/api/applications/{quote(bureau_ref, safe='')}/supplements", body=body, event_id=event_id
        )

    async def withdraw_application(self, *, event_id: str, bureau_ref: str) -> None:
        """Tell the bureau the family withdrew the application."""
        await self._post(
            f"/api/applications/{quote(bureau_ref, safe='')}/withdrawal",
            body={"event_id": event_id},
            event_id=event_id,
        )
