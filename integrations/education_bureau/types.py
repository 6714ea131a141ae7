"""Values exchanged with the education-bureau adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ApplicationSubmission", "BureauMaterial", "BureauReceipt", "ChildIdentity"]


@dataclass(frozen=True, slots=True)
class ChildIdentity:
    """The child's and the guardian's identity, in clear for the bureau only (never in a repr)."""

    child_name: str = field(repr=False)
    child_id_number: str = field(repr=False)
    guardian_name: str = field(repr=False)
    guardian_id_number: str = field(repr=False)
    address: str = field(repr=False)
    residence_permit_number: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class BureauMaterial:
    """A document submitted with an application; the bureau fetches the bytes by reference."""

    code: str
    content_type: str
    size: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True, slots=True)
class ApplicationSubmission:
    """One application as the bureau receives it; `event_id` lets the bureau drop a repeat."""

    event_id: str
    application_id: str
    ref: str
    round_code: str
    school_code: str
    category: str
    relation: str
    social_insurance_months: int | None
    submitted_at: str
    materials: list[BureauMaterial] = field(default_factory=list)
    identity: ChildIdentity | None = field(default=None, repr=False)

    def to_json(self) -> dict[str, Any]:
        identity = self.identity
        return {
            "event_id": self.event_id,
            "application_id": self.application_id,
            "ref": self.ref,
            "round_code": self.round_code,
            "school_code": self.school_code,
            "category": self.category,
            "relation": self.relation,
            "social_insurance_months": self.social_insurance_months,
            "submitted_at": self.submitted_at,
            "materials": [m.to_json() for m in self.materials],
            "child": (
                {"name": identity.child_name, "id_number": identity.child_id_number} if identity else None
            ),
            "guardian": (
                {"name": identity.guardian_name, "id_number": identity.guardian_id_number}
                if identity
                else None
            ),
            "address": identity.address if identity else None,
            "residence_permit_number": identity.residence_permit_number if identity else None,
        }


@dataclass(frozen=True, slots=True)
class BureauReceipt:
    """The bureau's acknowledgement: its reference, and whether it had the event already."""

    bureau_ref: str
    duplicate: bool = False
