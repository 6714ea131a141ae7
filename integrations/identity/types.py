"""What the identity adapter returns: plain values, never raw responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["HouseholdOutcome", "HouseholdVerdict", "IdentityOutcome", "IdentityVerdict"]

IdentityOutcome = Literal["match", "mismatch", "invalid_id_number", "not_found"]


@dataclass(frozen=True, slots=True)
class IdentityVerdict:
    """The identity system's answer. `reference` is its transaction id (kept for audits)."""

    outcome: IdentityOutcome
    reference: str | None = None

    @property
    def matched(self) -> bool:
        return self.outcome == "match"


HouseholdOutcome = Literal["confirmed", "not_related", "not_found"]


@dataclass(frozen=True, slots=True)
class HouseholdVerdict:
    """The household register's answer on a guardian-child relation (education applications)."""

    outcome: HouseholdOutcome
    relation: str | None = None  # parent | guardian, when confirmed
    reference: str | None = None

    @property
    def confirmed(self) -> bool:
        return self.outcome == "confirmed"
