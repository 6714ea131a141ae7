"""A computer lottery (the school places draw) that anyone can verify.

The draw is a documented, deterministic function of a secret seed and the published applicant ids:

1. Before the draw, only `commitment = SHA-256(seed)` is public (the seed is 32 random bytes, hex).
2. At the draw the eligible (approved) applications are frozen as the inputs: per applicant
   category, in priority order (household registration and home in the district, registration
   only, home only, children of migrant workers), the application ids sorted ascending as strings.
3. Within each category, applicants are ordered by `HMAC-SHA256(key=seed bytes, msg=id as UTF-8)`
   as a hex string, ascending (ties, which do not happen in practice, by id). Categories follow one
   another in priority order, so a higher category is always drawn first.
4. The first `places` of the order are admitted, the next `waitlist_places` waitlisted, the rest
   not admitted. Ranks start at 1.
5. The seed is revealed. Anyone recomputes 1-4 from the published record (`verify_record`, or
   `citizen-api education verify-lottery ROUND SCHOOL`): a changed seed fails the commitment, a
   changed list or result fails the recomputation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.education.enums import CATEGORY_PRIORITY, ApplicationStatus

__all__ = [
    "ALGORITHM",
    "DrawnPlace",
    "Verification",
    "commitment_of",
    "compute_draw",
    "new_seed",
    "ticket",
    "verify_record",
]

ALGORITHM = "hmac-sha256-v1"


def new_seed() -> str:
    """32 random bytes from the OS's CSPRNG, hex."""
    return secrets.token_hex(32)


def commitment_of(seed: str) -> str:
    """SHA-256 of the seed's bytes, hex: published before the draw."""
    return hashlib.sha256(bytes.fromhex(seed)).hexdigest()


def ticket(seed: str, application_id: str) -> str:
    """An applicant's draw ticket: HMAC-SHA256(seed bytes, id), hex."""
    return hmac.new(bytes.fromhex(seed), application_id.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class DrawnPlace:
    id: str
    category: str
    rank: int
    outcome: str  # admitted | waitlisted | not_admitted

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "rank": self.rank, "outcome": self.outcome}


def compute_draw(
    *, seed: str, categories: Sequence[Mapping[str, Any]], places: int, waitlist_places: int
) -> list[DrawnPlace]:
    """The ordered result for `categories` ([{"category", "ids"}] in priority order)."""
    ordered: list[tuple[str, str]] = []
    for group in categories:
        ids = sorted(str(i) for i in group["ids"])
        ordered += [(i, str(group["category"])) for i in sorted(ids, key=lambda i: (ticket(seed, i), i))]
    result = []
    for rank, (application_id, category) in enumerate(ordered, start=1):
        if rank <= places:
            outcome = ApplicationStatus.ADMITTED
        elif rank <= places + waitlist_places:
            outcome = ApplicationStatus.WAITLISTED
        else:
            outcome = ApplicationStatus.NOT_ADMITTED
        result.append(DrawnPlace(id=application_id, category=category, rank=rank, outcome=outcome.value))
    return result


@dataclass(slots=True)
class Verification:
    ok: bool = True
    problems: list[str] = field(default_factory=list)

    def fail(self, problem: str) -> None:
        self.ok = False
        self.problems.append(problem)


def verify_record(record: Mapping[str, Any]) -> Verification:
    """Recompute a published draw record; every inconsistency is listed (empty list = verified)."""
    report = Verification()
    seed, commitment = record.get("seed"), record.get("commitment")
    if record.get("algorithm") != ALGORITHM:
        report.fail(f"unknown algorithm {record.get('algorithm')!r}")
        return report
    if not seed:
        report.fail("the seed has not been revealed yet (the draw has not taken place)")
        return report
    try:
        if commitment_of(str(seed)) != commitment:
            report.fail("the revealed seed does not match the published commitment")
    except ValueError:
        report.fail("the seed is not hex")
        return report
    inputs = record.get("inputs") or {}
    groups = list(inputs.get("categories") or [])
    names = [str(g.get("category")) for g in groups]
    expected = [c.value for c in CATEGORY_PRIORITY if c.value in names]
    if names != expected:
        report.fail("categories are not in priority order")
    seen: set[str] = set()
    for group in groups:
        ids = [str(i) for i in group.get("ids") or []]
        if ids != sorted(ids):
            report.fail(f"ids of {group.get('category')} are not sorted")
        if seen & set(ids) or len(set(ids)) != len(ids):
            report.fail("an application appears twice in the inputs")
        seen |= set(ids)
    recomputed = compute_draw(
        seed=str(seed),
        categories=groups,
        places=int(record.get("places") or 0),
        waitlist_places=int(record.get("waitlist_places") or 0),
    )
    published = list((record.get("result") or {}).get("order") or [])
    if [p.to_json() for p in recomputed] != [
        {
            "id": str(p.get("id")),
            "category": p.get("category"),
            "rank": p.get("rank"),
            "outcome": p.get("outcome"),
        }
        for p in published
    ]:
        report.fail("the published result differs from the recomputed draw")
    return report
