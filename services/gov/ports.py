"""What the government-services domain needs from outside systems (satisfied in integrations/)."""

from __future__ import annotations

from typing import Protocol

from integrations.gov_platform.types import Applicant, CaseSubmission, SubmissionMaterial, SubmitReceipt

__all__ = ["Applicant", "CaseSubmission", "GovPlatform", "SubmissionMaterial", "SubmitReceipt"]


class GovPlatform(Protocol):
    """The provincial government-service platform: takes cases, later calls us back with progress."""

    async def submit_case(self, submission: CaseSubmission) -> SubmitReceipt: ...

    async def send_supplement(
        self, *, event_id: str, platform_ref: str, note: str, materials: list[SubmissionMaterial]
    ) -> None: ...

    async def withdraw_case(self, *, event_id: str, platform_ref: str, reason: str) -> None: ...

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
        """A department operator's decision made in our console (accept, 补正, approve, reject, reply)."""
        ...
