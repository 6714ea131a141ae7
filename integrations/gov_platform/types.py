"""Values exchanged with the government-service platform adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Applicant", "CaseSubmission", "SubmissionMaterial", "SubmitReceipt"]


@dataclass(frozen=True, slots=True)
class Applicant:
    """The applicant's verified identity, in clear for the platform only (never logged: see repr)."""

    name: str = field(repr=False)
    id_number: str = field(repr=False)
    phone: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class SubmissionMaterial:
    """A file submitted with a case; the platform fetches the bytes later by reference."""

    code: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class CaseSubmission:
    """One case as the platform receives it. `event_id` lets the platform drop a repeat."""

    event_id: str
    case_id: str
    case_ref: str
    item_code: str
    department_code: str
    applicant_id: str
    submitted_at: str
    materials: list[SubmissionMaterial] = field(default_factory=list)
    form_fields: list[str] = field(default_factory=list)
    applicant: Applicant | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        identity = (
            {
                "name": self.applicant.name,
                "id_number": self.applicant.id_number,
                "phone": self.applicant.phone,
            }
            if self.applicant
            else None
        )
        return {
            "applicant": identity,
            "event_id": self.event_id,
            "case_id": self.case_id,
            "case_ref": self.case_ref,
            "item_code": self.item_code,
            "department_code": self.department_code,
            "applicant_id": self.applicant_id,
            "submitted_at": self.submitted_at,
            "materials": [
                {"code": m.code, "content_type": m.content_type, "size": m.size, "sha256": m.sha256}
                for m in self.materials
            ],
            "form_fields": list(self.form_fields),
        }


@dataclass(frozen=True, slots=True)
class SubmitReceipt:
    """The platform's acknowledgement: its own case number, and whether it had the event already."""

    platform_ref: str
    duplicate: bool = False
