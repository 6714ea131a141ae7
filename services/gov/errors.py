"""What the government-services domain refuses.

DomainError
 ├── InvalidInput
 │    ├── MaterialsMissing          required materials not uploaded before submitting
 │    ├── UnknownMaterial           a material code the item does not ask for
 │    ├── UploadNotFound            an application names an upload that is not the applicant's (or used)
 │    ├── ItemNotOnline             the item cannot be applied for online
 │    ├── DecisionReasonRequired    a refusal (or 补正 request) without the reason the applicant must read
 │    └── BadCallback               a callback body we cannot apply
 ├── Unauthenticated
 │    └── CallbackSignatureInvalid  a callback without a valid, fresh HMAC signature
 ├── NotFound
 │    ├── ItemNotFound
 │    ├── HallNotFound
 │    ├── CaseNotFound              no such case, or not the caller's (no existence leak)
 │    ├── UnknownCallbackSystem
 │    └── RatingTargetNotFound      neither a case nor a booking of the caller
 └── Conflict
      ├── IllegalTransition         the case cannot move from its status to that one
      ├── MaterialsLocked           materials are added only to drafts and while 补正 is open
      ├── NotRatable                not completed (case) / not checked in (booking) yet
      └── AlreadyRated              one rating per case or booking
"""

from __future__ import annotations

from services.common.errors import Conflict, InvalidInput, NotFound, Unauthenticated

__all__ = [
    "AlreadyRated",
    "BadCallback",
    "CallbackSignatureInvalid",
    "CaseNotFound",
    "DecisionReasonRequired",
    "HallNotFound",
    "IllegalTransition",
    "FollowUpClosed",
    "FollowUpNotFound",
    "ItemNotFound",
    "ItemNotOnline",
    "MaterialsLocked",
    "MaterialsMissing",
    "NotRatable",
    "RatingTargetNotFound",
    "UnknownCallbackSystem",
    "UnknownMaterial",
    "UploadNotFound",
]


class MaterialsMissing(InvalidInput):
    code = "gov.case.materials_missing"


class UnknownMaterial(InvalidInput):
    code = "gov.case.unknown_material"


class ItemNotOnline(InvalidInput):
    code = "gov.item.not_online"


class DecisionReasonRequired(InvalidInput):
    code = "gov.case.reason_required"


class BadCallback(InvalidInput):
    code = "gov.callback.invalid"


class CallbackSignatureInvalid(Unauthenticated):
    code = "integration.callback_signature_invalid"


class ItemNotFound(NotFound):
    code = "gov.item.not_found"


class HallNotFound(NotFound):
    code = "gov.hall.not_found"


class CaseNotFound(NotFound):
    code = "gov.case.not_found"


class UnknownCallbackSystem(NotFound):
    code = "integration.unknown_system"


class RatingTargetNotFound(NotFound):
    code = "gov.rating.target_not_found"


class IllegalTransition(Conflict):
    code = "gov.case.illegal_transition"


class MaterialsLocked(Conflict):
    code = "gov.case.materials_locked"


class NotRatable(Conflict):
    code = "gov.rating.not_ratable"


class AlreadyRated(Conflict):
    code = "gov.rating.already_rated"


class FollowUpNotFound(NotFound):
    code = "gov.follow_up.not_found"


class FollowUpClosed(Conflict):
    code = "gov.follow_up.closed"


class UploadNotFound(InvalidInput):
    code = "gov.case.upload_unknown"
