"""What the identity adapter returns: plain values, never raw responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["IdentityOutcome", "IdentityVerdict"]

IdentityOutcome = Literal["match", "mismatch", "invalid_id_number", "not_found"]


@dataclass(frozen=True, slots=True)
class IdentityVerdict:
    """The identity system's answer. `reference` is its transaction id (kept for audits)."""

    outcome: IdentityOutcome
    reference: str | None = None

    @property
    def matched(self) -> bool:
        return self.outcome == "match"
