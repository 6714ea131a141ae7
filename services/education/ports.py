"""What the education domain needs from outside systems (satisfied in integrations/)."""

from __future__ import annotations

from typing import Protocol

from integrations.education_bureau.types import (
    ApplicationSubmission,
    BureauMaterial,
    BureauReceipt,
    ChildIdentity,
)

__all__ = [
    "ApplicationSubmission",
    "BureauMaterial",
    "BureauReceipt",
    "ChildIdentity",
    "EducationBureau",
    "HouseholdRegistry",
    "HouseholdVerdict",
]


class HouseholdVerdict(Protocol):
    """outcome: confirmed | not_related | not_found."""

    outcome: str
    relation: str | None
    reference: str | None

    @property
    def confirmed(self) -> bool: ...


class HouseholdRegistry(Protocol):
    """The household register (户籍, via the identity adapter): is this person the child's guardian?"""

    async def check_household_relation(
        self, *, guardian_name: str, guardian_id_number: str, child_name: str, child_id_number: str
    ) -> HouseholdVerdict: ...


class EducationBureau(Protocol):
    """The bureau's review system: takes applications, later calls us back with its decisions."""

    async def submit_application(self, submission: ApplicationSubmission) -> BureauReceipt: ...

    async def send_supplement(
        self, *, event_id: str, bureau_ref: str, note: str, materials: list[BureauMaterial]
    ) -> None: ...

    async def withdraw_application(self, *, event_id: str, bureau_ref: str) -> None: ...
