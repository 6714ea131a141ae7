"""What the education domain refuses.

DomainError
 ├── InvalidInput
 │    ├── LookupQueryInvalid        neither or both of address and lat/lng, or a point outside China
 │    ├── DistrictFileInvalid       a districts GeoJSON file that does not follow the format
 │    ├── ChildIdNumberInvalid      the child's ID number fails the GB 11643 checksum or date
 │    ├── ChildAgeNotEligible       the child is too young for the round (6 / 12 by 31 August)
 │    ├── ConsentRequired           the guardian's separate consent for the child's data is missing
 │    ├── CategoryRequirements      随迁子女 without 居住证 or with too few social-insurance months
 │    ├── MaterialsMissing          required materials not uploaded before submitting / answering
 │    ├── UnknownMaterial           a material code the application does not ask for
 │    ├── SchoolNotInRound          the school has no admission plan in the round, or a wrong level
 │    ├── OutOfDistrict             a public school that does not serve the family's address
 │    └── BadCallback               a bureau callback body we cannot apply
 ├── Unauthenticated
 │    └── CallbackSignatureInvalid  (services.gov.errors, shared callback route)
 ├── PermissionDenied
 │    └── RelationNotConfirmed      the household system does not confirm guardian and child
 ├── NotFound
 │    ├── SchoolNotFound
 │    ├── RoundNotFound
 │    ├── ApplicationNotFound       no such application, or the caller is not its guardian/staff
 │    └── LotteryNotFound
 ├── Conflict
 │    ├── PhaseClosed               the round is not in the phase that allows this (late submission)
 │    ├── DuplicateApplication      the child already has an active application in the round
 │    ├── IllegalTransition         the application cannot move from its status to that one
 │    ├── MaterialsLocked           materials are added only to drafts and while 补充材料 is open
 │    └── LotteryAlreadyDrawn
 └── Unavailable
      └── HouseholdCheckUnavailable the household system did not answer; nothing was stored
"""

from __future__ import annotations

from services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unavailable

__all__ = [
    "ApplicationNotFound",
    "BadCallback",
    "CategoryRequirements",
    "ChildAgeNotEligible",
    "ChildIdNumberInvalid",
    "ConsentRequired",
    "DistrictFileInvalid",
    "DuplicateApplication",
    "HouseholdCheckUnavailable",
    "IllegalTransition",
    "LookupQueryInvalid",
    "LotteryAlreadyDrawn",
    "LotteryNotFound",
    "MaterialsLocked",
    "MaterialsMissing",
    "OutOfDistrict",
    "PhaseClosed",
    "RelationNotConfirmed",
    "RoundNotFound",
    "SchoolNotFound",
    "SchoolNotInRound",
    "UnknownMaterial",
]


class LookupQueryInvalid(InvalidInput):
    code = "education.lookup.query_invalid"


class DistrictFileInvalid(InvalidInput):
    code = "education.districts.file_invalid"


class ChildIdNumberInvalid(InvalidInput):
    code = "education.child.id_number_invalid"


class ChildAgeNotEligible(InvalidInput):
    code = "education.child.age_not_eligible"


class ConsentRequired(InvalidInput):
    code = "education.consent_required"


class CategoryRequirements(InvalidInput):
    code = "education.category.requirements"


class MaterialsMissing(InvalidInput):
    code = "education.materials_missing"


class UnknownMaterial(InvalidInput):
    code = "education.unknown_material"


class SchoolNotInRound(InvalidInput):
    code = "education.school_not_in_round"


class OutOfDistrict(InvalidInput):
    code = "education.out_of_district"


class BadCallback(InvalidInput):
    code = "education.callback.invalid"


class RelationNotConfirmed(PermissionDenied):
    code = "education.relation_not_confirmed"


class SchoolNotFound(NotFound):
    code = "education.school.not_found"


class RoundNotFound(NotFound):
    code = "education.round.not_found"


class ApplicationNotFound(NotFound):
    code = "education.application.not_found"


class LotteryNotFound(NotFound):
    code = "education.lottery.not_found"


class PhaseClosed(Conflict):
    code = "education.phase_closed"


class DuplicateApplication(Conflict):
    code = "education.application.duplicate"


class IllegalTransition(Conflict):
    code = "education.application.illegal_transition"


class MaterialsLocked(Conflict):
    code = "education.materials_locked"


class LotteryAlreadyDrawn(Conflict):
    code = "education.lottery.already_drawn"


class HouseholdCheckUnavailable(Unavailable):
    code = "education.household_unavailable"
