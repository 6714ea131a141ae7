"""How an application is shown: every view masks the child's data (decrypted only to be masked).

Also the constants the domain's modules share: the bureau's scope, the consent version, the
encryption contexts of the child's columns and the materials each applicant category needs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common.crypto import PiiCipher, mask_id_number, mask_name
from services.education.enums import (
    ApplicantCategory,
    ApplicationStatus,
    DeliveryState,
    GuardianRelation,
    SchoolLevel,
)
from services.education.models import Application, ApplicationEvent, ApplicationGuardian, ApplicationMaterial

__all__ = [
    "ADDRESS_CTX",
    "BUREAU_DEPARTMENT",
    "CHILD_ID_CTX",
    "CHILD_INDEX_PURPOSE",
    "CHILD_NAME_CTX",
    "CONSENT_VERSION",
    "MATERIALS_BY_CATEGORY",
    "MATERIAL_MAX_BYTES",
    "MIN_AGE",
    "PERMIT_CTX",
    "TOPIC_SUBMIT",
    "TOPIC_SUPPLEMENT",
    "TOPIC_WITHDRAW",
    "ApplicationView",
    "application_view",
    "is_bureau_staff",
    "mask_address",
]

# The bureau's department code: its staff hold dept_operator with this scope.
BUREAU_DEPARTMENT = "jiaoyu"
# Version of the guardian's separate consent text for a child's personal information.
CONSENT_VERSION = "education-child-2026-11"
TOPIC_SUBMIT = "education.application_submitted"
TOPIC_SUPPLEMENT = "education.supplement_answered"
TOPIC_WITHDRAW = "education.application_withdrawn"

CHILD_NAME_CTX = "education_application.child_name"
CHILD_ID_CTX = "education_application.child_id_number"
ADDRESS_CTX = "education_application.address"
PERMIT_CTX = "education_application.residence_permit"
CHILD_INDEX_PURPOSE = "education.child"

MATERIALS_BY_CATEGORY: dict[ApplicantCategory, tuple[str, ...]] = {
    ApplicantCategory.HUKOU_AND_PROPERTY: ("birth_certificate", "hukou_booklet", "property_certificate"),
    ApplicantCategory.HUKOU_ONLY: ("birth_certificate", "hukou_booklet"),
    ApplicantCategory.PROPERTY_ONLY: ("birth_certificate", "property_certificate"),
    ApplicantCategory.MIGRANT: ("birth_certificate", "residence_permit", "social_insurance_record"),
}
MIN_AGE = {SchoolLevel.PRIMARY: 6, SchoolLevel.JUNIOR: 12}
MATERIAL_MAX_BYTES = 5 * 1024 * 1024


def mask_address(value: str | None) -> str | None:
    """'济源市天坛路88号3单元' -> '济源市天***': enough to recognise, not to find the home."""
    if not value:
        return value
    keep = min(4, max(1, len(value) // 3))
    return value[:keep] + "***"


def is_bureau_staff(actor: Principal) -> bool:
    """A dept_operator of the education bureau (admins do not see children's data by default)."""
    scopes = actor.roles.get(Role.DEPT_OPERATOR)
    return scopes is not None and BUREAU_DEPARTMENT in scopes


@dataclass(frozen=True, slots=True)
class ApplicationView:
    id: uuid.UUID
    ref: str
    round_id: uuid.UUID
    round_code: str
    school_id: uuid.UUID
    school_name_zh: str
    school_name_en: str
    status: ApplicationStatus
    category: ApplicantCategory
    relation: GuardianRelation
    child_name_masked: str
    child_id_number_masked: str
    address_masked: str
    social_insurance_months: int | None
    delivered: bool
    supplement: dict[str, Any] | None
    reason: str
    required_materials: list[str]
    materials: list[ApplicationMaterial]
    guardians: int
    result_school_name_zh: str | None
    result_school_name_en: str | None
    report_on: dt.date | None
    lottery_rank: int | None
    submitted_at: dt.datetime | None
    created_at: dt.datetime
    timeline: list[ApplicationEvent]


def _clear(cipher: PiiCipher, token: str | None, context: str) -> str:
    return cipher.decrypt(token, context=context) if token else ""


async def application_view(app: Application, *, cipher: PiiCipher) -> ApplicationView:
    await app.fetch_related("round", "school", "result_school")
    materials = await ApplicationMaterial.filter(application_id=app.id).order_by("created_at")
    events = await ApplicationEvent.filter(application_id=app.id).order_by("created_at")
    guardians = await ApplicationGuardian.filter(application_id=app.id).count()
    result = app.result_school
    return ApplicationView(
        id=app.id,
        ref=app.ref,
        round_id=app.round.id,
        round_code=app.round.code,
        school_id=app.school.id,
        school_name_zh=app.school.name_zh,
        school_name_en=app.school.name_en,
        status=ApplicationStatus(app.status),
        category=ApplicantCategory(app.category),
        relation=GuardianRelation(app.relation),
        child_name_masked=mask_name(_clear(cipher, app.child_name_enc, CHILD_NAME_CTX)) or "",
        child_id_number_masked=mask_id_number(_clear(cipher, app.child_id_number_enc, CHILD_ID_CTX)) or "",
        address_masked=mask_address(_clear(cipher, app.address_enc, ADDRESS_CTX)) or "",
        social_insurance_months=app.social_insurance_months,
        delivered=DeliveryState(app.delivery) == DeliveryState.DELIVERED,
        supplement=app.supplement,
        reason=app.reason,
        required_materials=list(MATERIALS_BY_CATEGORY[ApplicantCategory(app.category)]),
        materials=list(materials),
        guardians=guardians,
        result_school_name_zh=result.name_zh if result else None,
        result_school_name_en=result.name_en if result else None,
        report_on=app.report_on,
        lottery_rank=app.lottery_rank,
        submitted_at=app.submitted_at,
        created_at=app.created_at,
        timeline=list(events),
    )
