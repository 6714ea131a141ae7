"""A guardian's application for a child: checks, the household relation, materials, submission.

The child is identified by name and ID number (GB 11643 checksum, the age rule of the round's
level), the guardian's relation is confirmed by the household register, and the guardian gives a
separate consent for the child's data (PIPL art. 31: under 14). The child's data is encrypted;
every view masks it. Only the child's guardians and the bureau's staff (dept_operator scoped to
the bureau) ever see an application; anyone else gets a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from integrations.errors import IntegrationError
from services.accounts import service as accounts
from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import clock, outbox
from services.common.crypto import PiiCipher
from services.common.errors import VerificationRequired
from services.common.idcard import birth_date, is_valid_id_number, normalize_id_number
from services.common.ids import new_id, parse_id
from services.common.pagination import Page, keyset_page
from services.common.storage import DOCUMENT_TYPES, FileStore
from services.education import catalogue, rounds
from services.education.districts import DistrictIndexCache
from services.education.enums import (
    ApplicantCategory,
    ApplicationStatus,
    DeliveryState,
    GuardianRelation,
    Phase,
    SchoolLevel,
    SchoolOwnership,
)
from services.education.errors import (
    ApplicationNotFound,
    CategoryRequirements,
    ChildAgeNotEligible,
    ChildIdNumberInvalid,
    ConsentRequired,
    DuplicateApplication,
    HouseholdCheckUnavailable,
    IllegalTransition,
    MaterialsLocked,
    MaterialsMissing,
    OutOfDistrict,
    RelationNotConfirmed,
    SchoolNotFound,
    SchoolNotInRound,
    UnknownMaterial,
)
from services.education.models import (
    AdmissionPlan,
    Application,
    ApplicationEvent,
    ApplicationGuardian,
    ApplicationMaterial,
    School,
)
from services.education.ports import HouseholdRegistry
from services.education.transitions import transition
from services.education.views import (
    ADDRESS_CTX,
    BUREAU_DEPARTMENT,
    CHILD_ID_CTX,
    CHILD_INDEX_PURPOSE,
    CHILD_NAME_CTX,
    CONSENT_VERSION,
    MATERIAL_MAX_BYTES,
    MATERIALS_BY_CATEGORY,
    MIN_AGE,
    PERMIT_CTX,
    TOPIC_SUBMIT,
    TOPIC_SUPPLEMENT,
    TOPIC_WITHDRAW,
    ApplicationView,
    application_view,
    is_bureau_staff,
    mask_address,
)

__all__ = [
    "BUREAU_DEPARTMENT",
    "CONSENT_VERSION",
    "MATERIALS_BY_CATEGORY",
    "TOPIC_SUBMIT",
    "TOPIC_SUPPLEMENT",
    "TOPIC_WITHDRAW",
    "ApplicationView",
    "add_material",
    "age_cutoff",
    "answer_supplement",
    "create_application",
    "get_application",
    "is_bureau_staff",
    "link_guardian",
    "list_my_applications",
    "mask_address",
    "review_queue",
    "submit_application",
    "transition",
    "withdraw_application",
]


def age_cutoff(*, year: int, level: SchoolLevel) -> tuple[dt.date, int]:
    """The latest birth date allowed in a round of `year` (age reached by 31 August), and the age."""
    age = MIN_AGE[level]
    return dt.date(year - age, 8, 31), age


async def _visible(actor: Principal, application_id: str, *, guardian_only: bool = False) -> Application:
    """The application when the actor is one of its guardians (or bureau staff), else a 404."""
    parsed = parse_id(application_id)
    app = await Application.get_or_none(id=parsed) if parsed else None
    if app is None:
        raise ApplicationNotFound()
    if await ApplicationGuardian.exists(application_id=app.id, user_id=actor.user_id):
        return app
    if not guardian_only and is_bureau_staff(actor):
        return app
    raise ApplicationNotFound()


def _check_child(id_number: str, *, year: int, level: SchoolLevel) -> str:
    number = normalize_id_number(id_number)
    if not is_valid_id_number(number):
        raise ChildIdNumberInvalid()
    cutoff, age = age_cutoff(year=year, level=level)
    born = birth_date(number)
    if born is None or born > cutoff:
        raise ChildAgeNotEligible(
            cutoff=cutoff.isoformat(), age=age, details={"cutoff": cutoff.isoformat(), "age": age}
        )
    return number


async def _confirm_relation(
    household: HouseholdRegistry, *, guardian: Any, child_name: str, child_id_number: str
) -> str:
    try:
        verdict = await household.check_household_relation(
            guardian_name=guardian.name,
            guardian_id_number=guardian.id_number,
            child_name=child_name,
            child_id_number=child_id_number,
        )
    except IntegrationError as error:
        raise HouseholdCheckUnavailable() from error
    if not verdict.confirmed:
        raise RelationNotConfirmed(details={"outcome": verdict.outcome})
    return verdict.reference or ""


async def _guardian_identity(actor: Principal, cipher: PiiCipher) -> Any:
    identity = await accounts.verified_identity(user_id=actor.user_id, cipher=cipher)
    if identity is None:
        raise VerificationRequired(required="real_name")
    return identity


async def create_application(
    *,
    actor: Principal,
    round_id: str,
    school_id: str,
    child_name: str,
    child_id_number: str,
    relation: GuardianRelation,
    category: ApplicantCategory,
    address: str,
    residence_permit_number: str | None,
    social_insurance_months: int | None,
    consent: bool,
    household: HouseholdRegistry,
    districts: DistrictIndexCache,
    cipher: PiiCipher,
    now: dt.datetime | None = None,
) -> ApplicationView:
    """A draft application for a child in a round (registration phase only)."""
    if not consent:
        raise ConsentRequired()
    now = now or clock.now()
    round_, windows = await rounds.load_round(round_id)
    rounds.require_phase(windows, {Phase.REGISTRATION}, action="apply", now=now)
    parsed = parse_id(school_id)
    school = await (School.get_or_none(id=parsed) if parsed else School.get_or_none(code=school_id[:32]))
    if school is None:
        raise SchoolNotFound()
    if not await AdmissionPlan.exists(round_id=round_.id, school_id=school.id):
        raise SchoolNotInRound()
    number = _check_child(child_id_number, year=round_.year, level=SchoolLevel(round_.level))
    if category == ApplicantCategory.MIGRANT and (
        not (residence_permit_number or "").strip()
        or (social_insurance_months or 0) < round_.min_social_insurance_months
    ):
        raise CategoryRequirements(months=round_.min_social_insurance_months)
    if school.ownership == SchoolOwnership.PUBLIC:
        served = await catalogue.lookup_district(
            cache=districts, address=address, level=SchoolLevel(school.level)
        )
        if school.code not in {m.district.school["code"] for m in served.matches}:
            raise OutOfDistrict(details={"hint": served.hint})
    child_index = cipher.blind_index(number, purpose=CHILD_INDEX_PURPOSE)
    active_key = f"{round_.id}:{child_index}"
    existing = await Application.get_or_none(active_key=active_key)
    if existing is not None:
        raise DuplicateApplication(ref=existing.ref)
    guardian = await _guardian_identity(actor, cipher)
    reference = await _confirm_relation(
        household, guardian=guardian, child_name=child_name, child_id_number=number
    )
    try:
        async with in_transaction() as conn:
            app = await Application.create(
                ref=f"ED{clock.local_date(now):%Y%m%d}-{new_id().hex[-6:].upper()}",
                round_id=round_.id,
                school_id=school.id,
                applicant_id=actor.user_id,
                relation=relation,
                child_name_enc=cipher.encrypt(child_name, context=CHILD_NAME_CTX),
                child_id_number_enc=cipher.encrypt(number, context=CHILD_ID_CTX),
                child_index=child_index,
                active_key=active_key,
                address_enc=cipher.encrypt(address, context=ADDRESS_CTX),
                category=category,
                residence_permit_enc=(
                    cipher.encrypt(residence_permit_number.strip(), context=PERMIT_CTX)
                    if residence_permit_number
                    else None
                ),
                social_insurance_months=social_insurance_months,
                consent_version=CONSENT_VERSION,
                consented_at=now,
                using_db=conn,
            )
            await ApplicationGuardian.create(
                application_id=app.id,
                user_id=actor.user_id,
                relation=relation,
                consent_version=CONSENT_VERSION,
                consented_at=now,
                household_reference=reference[:64],
                using_db=conn,
            )
            await ApplicationEvent.create(
                application_id=app.id, status_to=ApplicationStatus.DRAFT, actor_kind="guardian", using_db=conn
            )
    except IntegrityError as error:
        # The unique active_key: another request for the same child won the race.
        existing = await Application.get_or_none(active_key=active_key)
        raise DuplicateApplication(ref=existing.ref if existing else "") from error
    return await application_view(app, cipher=cipher)


async def link_guardian(
    *,
    actor: Principal,
    child_name: str,
    child_id_number: str,
    relation: GuardianRelation,
    consent: bool,
    household: HouseholdRegistry,
    cipher: PiiCipher,
) -> list[ApplicationView]:
    """A second guardian links the child's active applications after the household check."""
    if not consent:
        raise ConsentRequired()
    number = normalize_id_number(child_id_number)
    if not is_valid_id_number(number):
        raise ChildIdNumberInvalid()
    guardian = await _guardian_identity(actor, cipher)
    # The relation is checked first, so the answer reveals nothing to someone who is not a guardian.
    reference = await _confirm_relation(
        household, guardian=guardian, child_name=child_name, child_id_number=number
    )
    index = cipher.blind_index(number, purpose=CHILD_INDEX_PURPOSE)
    apps = await Application.filter(child_index=index, active_key__isnull=False)
    if not apps:
        raise ApplicationNotFound()
    now = clock.now()
    for app in apps:
        await ApplicationGuardian.get_or_create(
            defaults={
                "relation": relation,
                "consent_version": CONSENT_VERSION,
                "consented_at": now,
                "household_reference": reference[:64],
            },
            application_id=app.id,
            user_id=actor.user_id,
        )
    return [await application_view(app, cipher=cipher) for app in apps]


async def get_application(*, actor: Principal, application_id: str, cipher: PiiCipher) -> ApplicationView:
    """One application, for its guardians and the bureau's staff."""
    return await application_view(await _visible(actor, application_id), cipher=cipher)


async def list_my_applications(
    *, actor: Principal, cipher: PiiCipher, limit: int = 20, cursor: str | None = None
) -> Page:
    """Applications of the children the actor is a guardian of, newest first."""
    ids = await ApplicationGuardian.filter(user_id=actor.user_id).values_list("application_id", flat=True)
    page = await keyset_page(Application.filter(id__in=list(ids)), limit=limit, cursor=cursor)
    return Page(
        items=[await application_view(a, cipher=cipher) for a in page.items], next_cursor=page.next_cursor
    )


async def review_queue(
    *,
    actor: Principal,
    cipher: PiiCipher,
    status: ApplicationStatus | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """The bureau staff's queue: applications awaiting a decision (or in `status`), oldest first."""
    if not is_bureau_staff(actor):
        actor.require_role(Role.DEPT_OPERATOR, BUREAU_DEPARTMENT)
        raise ApplicationNotFound()  # an admin without the bureau's scope: not for them either
    statuses = (
        [status]
        if status
        else [
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.IN_REVIEW,
            ApplicationStatus.SUPPLEMENT_REQUESTED,
        ]
    )
    page = await keyset_page(
        Application.filter(status__in=statuses), limit=limit, cursor=cursor, descending=False
    )
    return Page(
        items=[await application_view(a, cipher=cipher) for a in page.items], next_cursor=page.next_cursor
    )


async def add_material(
    *,
    actor: Principal,
    application_id: str,
    material_code: str,
    data: bytes,
    filename: str,
    store: FileStore,
    max_bytes: int = MATERIAL_MAX_BYTES,
) -> ApplicationMaterial:
    """Upload a document (checked by content: PDF, JPEG, PNG, WebP) to a draft or an open 补充材料."""
    app = await _visible(actor, application_id, guardian_only=True)
    status = ApplicationStatus(app.status)
    if status not in (ApplicationStatus.DRAFT, ApplicationStatus.SUPPLEMENT_REQUESTED):
        raise MaterialsLocked()
    allowed = set(MATERIALS_BY_CATEGORY[ApplicantCategory(app.category)])
    if status == ApplicationStatus.SUPPLEMENT_REQUESTED:
        allowed |= set((app.supplement or {}).get("materials") or [])
    if material_code not in allowed:
        raise UnknownMaterial(code=material_code[:48])
    stored = await store.save(data=data, filename=filename, allowed_types=DOCUMENT_TYPES, max_bytes=max_bytes)
    return await ApplicationMaterial.create(
        application_id=app.id,
        material_code=material_code,
        file_key=stored.key,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        for_supplement=status == ApplicationStatus.SUPPLEMENT_REQUESTED,
        uploaded_by_id=actor.user_id,
    )


async def submit_application(
    *, actor: Principal, application_id: str, cipher: PiiCipher, now: dt.datetime | None = None
) -> ApplicationView:
    """Submit a complete draft to the bureau (through the outbox) while registration is open."""
    now = now or clock.now()
    app = await _visible(actor, application_id, guardian_only=True)
    _, windows = await rounds.load_round(app.round_id)
    rounds.require_phase(windows, {Phase.REGISTRATION}, action="submit", now=now)
    uploaded = set(
        await ApplicationMaterial.filter(application_id=app.id).values_list("material_code", flat=True)
    )
    missing = [m for m in MATERIALS_BY_CATEGORY[ApplicantCategory(app.category)] if m not in uploaded]
    if missing:
        raise MaterialsMissing(materials=", ".join(missing), details={"missing": missing})
    async with in_transaction() as conn:
        await transition(
            app,
            ApplicationStatus.SUBMITTED,
            actor_label="guardian",
            conn=conn,
            submitted_at=now,
            delivery=DeliveryState.QUEUED,
        )
        await outbox.enqueue(
            topic=TOPIC_SUBMIT,
            payload={"application_id": str(app.id)},
            aggregate_type="education_application",
            aggregate_id=str(app.id),
            using_db=conn,
        )
    return await application_view(app, cipher=cipher)


async def answer_supplement(
    *, actor: Principal, application_id: str, note: str, cipher: PiiCipher, now: dt.datetime | None = None
) -> ApplicationView:
    """Answer a 补充材料 request (materials first) before the supplement phase closes."""
    now = now or clock.now()
    app = await _visible(actor, application_id, guardian_only=True)
    if ApplicationStatus(app.status) != ApplicationStatus.SUPPLEMENT_REQUESTED:
        raise IllegalTransition(status_from=app.status, status_to=ApplicationStatus.IN_REVIEW.value)
    _, windows = await rounds.load_round(app.round_id)
    # Until 补充材料 closes (the bureau may ask while registration is still open).
    rounds.require_phase(
        windows, {Phase.REGISTRATION, Phase.REVIEW, Phase.SUPPLEMENT}, action="supplement", now=now
    )
    wanted = list((app.supplement or {}).get("materials") or [])
    fresh = await ApplicationMaterial.filter(application_id=app.id, for_supplement=True)
    missing = [m for m in wanted if m not in {f.material_code for f in fresh}]
    if missing:
        raise MaterialsMissing(materials=", ".join(missing), details={"missing": missing})
    async with in_transaction() as conn:
        await transition(app, ApplicationStatus.IN_REVIEW, actor_label="guardian", conn=conn, note=note)
        await outbox.enqueue(
            topic=TOPIC_SUPPLEMENT,
            payload={
                "application_id": str(app.id),
                "note": note[:500],
                "material_ids": [str(f.id) for f in fresh],
            },
            aggregate_type="education_application",
            aggregate_id=str(app.id),
            using_db=conn,
        )
    return await application_view(app, cipher=cipher)


async def withdraw_application(
    *, actor: Principal, application_id: str, cipher: PiiCipher
) -> ApplicationView:
    """Withdraw before a result: the child may then apply again in the round."""
    app = await _visible(actor, application_id, guardian_only=True)
    delivered = app.delivery != DeliveryState.NOT_SENT
    async with in_transaction() as conn:
        await transition(app, ApplicationStatus.WITHDRAWN, actor_label="guardian", conn=conn)
        if delivered:
            await outbox.enqueue(
                topic=TOPIC_WITHDRAW,
                payload={"application_id": str(app.id)},
                aggregate_type="education_application",
                aggregate_id=str(app.id),
                using_db=conn,
            )
    return await application_view(app, cipher=cipher)
