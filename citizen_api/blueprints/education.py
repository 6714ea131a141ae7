"""Education 教育: schools, school-district lookup, enrollment rounds, applications, public lotteries.

Mounted under /api/v1 by the composition root. A child's data is seen only by the child's
guardians and the bureau's staff; family proxies do not extend to it (no proxy scope here).
"""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import endpoint
from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent
from citizen_api.schemas.common import ListQuery, MaterialForm, Page
from citizen_api.schemas.education import (
    ApplicationIn,
    ApplicationOut,
    DistrictLookupOut,
    DistrictLookupQuery,
    LinkGuardianIn,
    LotteryOut,
    MaterialOut,
    QueueQuery,
    RoundOut,
    RoundQuery,
    SchoolOut,
    SchoolQuery,
    SupplementIn,
)
from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.common.errors import InvalidInput
from services.common.storage import LocalFileStore
from services.education import admission, applications, catalogue, rounds
from services.education.districts import DistrictIndexCache
from services.education.lottery import __doc__ as LOTTERY_DOC

__all__ = ["create_blueprint", "district_cache"]


def district_cache(request: Request) -> DistrictIndexCache:
    """This app's district index cache, kept on app.ctx (rebuilt from the database after 60 s)."""
    cache = getattr(request.app.ctx, "education_districts", None)
    if cache is None:
        cache = request.app.ctx.education_districts = DistrictIndexCache(ttl_s=60.0)
    return cache


# -- public: schools, districts, rounds, lotteries ------------------------------------------------


async def list_schools(request: Request, *, query: SchoolQuery) -> Page[SchoolOut]:
    page = await catalogue.list_schools(
        level=query.level, ownership=query.ownership, limit=query.limit, cursor=query.cursor
    )
    locale = request.ctx.locale
    return Page(items=[SchoolOut.from_domain(s, locale) for s in page.items], next_cursor=page.next_cursor)


async def get_school(request: Request, school_id: str) -> SchoolOut:
    return SchoolOut.from_domain(await catalogue.get_school(school_id=school_id), request.ctx.locale)


async def lookup_district(request: Request, *, query: DistrictLookupQuery) -> DistrictLookupOut:
    result = await catalogue.lookup_district(
        cache=district_cache(request), address=query.address, lat=query.lat, lng=query.lng, level=query.level
    )
    return DistrictLookupOut.from_domain(result, request.ctx.locale)


async def list_rounds(request: Request, *, query: RoundQuery) -> Page[RoundOut]:
    views = await rounds.list_rounds(level=query.level)
    return Page(items=[RoundOut.from_domain(v, request.ctx.locale) for v in views], next_cursor=None)


async def get_round(request: Request, round_id: str) -> RoundOut:
    return RoundOut.from_domain(await rounds.get_round(round_id=round_id), request.ctx.locale)


async def get_lottery(request: Request, round_id: str, school_id: str) -> LotteryOut:
    record = await admission.public_lottery(round_id=round_id, school_id=school_id)
    return LotteryOut(**record, algorithm_description=(LOTTERY_DOC or "").strip())


# -- a guardian's applications ------------------------------------------------------------------


async def create_application(request: Request, *, body: ApplicationIn, actor: Principal):
    rt = request.app.ctx.runtime
    locale = request.ctx.locale
    return await idempotent(
        request,
        actor=actor,
        route="education.enrollments.create",
        payload=body,
        status=201,
        run=lambda: applications.create_application(
            actor=actor,
            round_id=body.round_id,
            school_id=body.school_id,
            child_name=body.child_name,
            child_id_number=body.child_id_number,
            relation=body.relation,
            category=body.category,
            address=body.address,
            residence_permit_number=body.residence_permit_number,
            social_insurance_months=body.social_insurance_months,
            consent=body.consent,
            household=rt.adapters.identity,
            districts=district_cache(request),
            cipher=rt.cipher,
        ),
        render=lambda view: ApplicationOut.from_domain(view, locale),
    )


async def list_applications(request: Request, *, query: ListQuery, actor: Principal) -> Page[ApplicationOut]:
    rt = request.app.ctx.runtime
    page = await applications.list_my_applications(
        actor=actor, cipher=rt.cipher, limit=query.limit, cursor=query.cursor
    )
    locale = request.ctx.locale
    return Page(
        items=[ApplicationOut.from_domain(v, locale) for v in page.items], next_cursor=page.next_cursor
    )


async def get_application(request: Request, application_id: str, *, actor: Principal) -> ApplicationOut:
    rt = request.app.ctx.runtime
    view = await applications.get_application(actor=actor, application_id=application_id, cipher=rt.cipher)
    return ApplicationOut.from_domain(view, request.ctx.locale)


async def upload_material(request: Request, application_id: str, *, actor: Principal) -> MaterialOut:
    rt = request.app.ctx.runtime
    upload = request.files.get("file") if request.files else None
    material_code = (request.form.get("material_code") if request.form else None) or ""
    if upload is None or not material_code:
        raise InvalidInput("education.upload_fields_missing")
    material = await applications.add_material(
        actor=actor,
        application_id=application_id,
        material_code=material_code.strip()[:48],
        data=upload.body,
        filename=upload.name or "",
        store=LocalFileStore(rt.settings.upload_dir),
        max_bytes=min(applications.MATERIAL_MAX_BYTES, rt.settings.upload_max_bytes),
    )
    return MaterialOut.model_validate(material, from_attributes=True)


async def submit_application(request: Request, application_id: str, *, actor: Principal) -> ApplicationOut:
    rt = request.app.ctx.runtime
    view = await applications.submit_application(actor=actor, application_id=application_id, cipher=rt.cipher)
    return ApplicationOut.from_domain(view, request.ctx.locale)


async def answer_supplement(
    request: Request, application_id: str, *, body: SupplementIn, actor: Principal
) -> ApplicationOut:
    rt = request.app.ctx.runtime
    view = await applications.answer_supplement(
        actor=actor, application_id=application_id, note=body.note, cipher=rt.cipher
    )
    return ApplicationOut.from_domain(view, request.ctx.locale)


async def withdraw_application(request: Request, application_id: str, *, actor: Principal) -> ApplicationOut:
    rt = request.app.ctx.runtime
    view = await applications.withdraw_application(
        actor=actor, application_id=application_id, cipher=rt.cipher
    )
    return ApplicationOut.from_domain(view, request.ctx.locale)


async def link_guardian(request: Request, *, body: LinkGuardianIn, actor: Principal) -> Page[ApplicationOut]:
    rt = request.app.ctx.runtime
    views = await applications.link_guardian(
        actor=actor,
        child_name=body.child_name,
        child_id_number=body.child_id_number,
        relation=body.relation,
        consent=body.consent,
        household=rt.adapters.identity,
        cipher=rt.cipher,
    )
    locale = request.ctx.locale
    return Page(items=[ApplicationOut.from_domain(v, locale) for v in views], next_cursor=None)


async def review_queue(request: Request, *, query: QueueQuery, actor: Principal) -> Page[ApplicationOut]:
    rt = request.app.ctx.runtime
    page = await applications.review_queue(
        actor=actor, cipher=rt.cipher, status=query.status, limit=query.limit, cursor=query.cursor
    )
    locale = request.ctx.locale
    return Page(
        items=[ApplicationOut.from_domain(v, locale) for v in page.items], next_cursor=page.next_cursor
    )


def create_blueprint() -> Blueprint:
    bp = Blueprint("education")
    tag = "education"
    real_name = VerificationLevel.REAL_NAME

    bp.get("/education/schools")(
        endpoint(summary="Schools (primary, junior middle; public and 民办)", tag=tag, query=SchoolQuery,
                 response=Page[SchoolOut])(list_schools)
    )  # fmt: skip
    bp.get("/education/schools/<school_id:str>")(
        endpoint(summary="One school with its districts and admission plans", tag=tag, response=SchoolOut)(
            get_school
        )
    )
    bp.get("/education/districts/lookup")(
        endpoint(
            summary="The school district(s) serving an address or a point, and why",
            tag=tag,
            query=DistrictLookupQuery,
            response=DistrictLookupOut,
            description="Give either `address` or `lat`+`lng`. Ambiguous (多校划片, split compounds) and "
            "boundary cases are flagged with a hint.",
        )(lookup_district)
    )
    bp.get("/education/rounds")(
        endpoint(summary="Enrollment rounds and their phases (Asia/Shanghai)", tag=tag, query=RoundQuery,
                 response=Page[RoundOut])(list_rounds)
    )  # fmt: skip
    bp.get("/education/rounds/<round_id:str>")(
        endpoint(summary="One enrollment round", tag=tag, response=RoundOut)(get_round)
    )
    bp.get("/education/rounds/<round_id:str>/lotteries/<school_id:str>")(
        endpoint(
            summary="A school's 电脑随机派位: commitment, revealed seed, inputs and result (verifiable)",
            tag=tag,
            response=LotteryOut,
            description="Before the draw only the commitment (SHA-256 of the seed) is shown. Entries are "
            "application ids only. Recompute with `citizen-api education verify-lottery ROUND SCHOOL`.",
        )(get_lottery)
    )
    bp.post("/education/enrollments")(
        endpoint(
            summary="Apply for a child (a draft: upload materials, then submit)",
            tag=tag,
            body=ApplicationIn,
            response=ApplicationOut,
            status=201,
            level=real_name,
            headers=(IDEMPOTENCY_HEADER,),
            description="The guardian's relation is confirmed with the household register; the child's "
            "data needs `consent: true` (separate consent, PIPL art. 31). One active application per "
            "child per round.",
        )(create_application)
    )
    bp.get("/education/enrollments")(
        endpoint(summary="My children's applications", tag=tag, query=ListQuery,
                 response=Page[ApplicationOut], level=real_name)(list_applications)
    )  # fmt: skip
    bp.post("/education/enrollments/link")(
        endpoint(
            summary="A second guardian links the child's applications (household check)",
            tag=tag,
            body=LinkGuardianIn,
            response=Page[ApplicationOut],
            level=real_name,
        )(link_guardian)
    )
    bp.get("/education/enrollments/<application_id:str>")(
        endpoint(summary="An application with its timeline and result", tag=tag, response=ApplicationOut,
                 level=real_name)(get_application)
    )  # fmt: skip
    bp.post("/education/enrollments/<application_id:str>/materials")(
        endpoint(
            summary="Upload a document (multipart: material_code, file)",
            tag=tag,
            form=MaterialForm,
            response=MaterialOut,
            status=201,
            level=real_name,
            description="PDF, JPEG, PNG or WebP (judged by content), at most 5 MB; drafts and open 补充材料.",
        )(upload_material)
    )
    bp.post("/education/enrollments/<application_id:str>/submit")(
        endpoint(summary="Submit a complete draft (registration phase only)", tag=tag,
                 response=ApplicationOut, level=real_name)(submit_application)
    )  # fmt: skip
    bp.post("/education/enrollments/<application_id:str>/supplement")(
        endpoint(summary="Answer a 补充材料 request (upload first)", tag=tag, body=SupplementIn,
                 response=ApplicationOut, level=real_name)(answer_supplement)
    )  # fmt: skip
    bp.post("/education/enrollments/<application_id:str>/withdraw")(
        endpoint(summary="Withdraw before a result", tag=tag, response=ApplicationOut, level=real_name)(
            withdraw_application
        )
    )
    bp.get("/education/review-queue")(
        endpoint(
            summary="The bureau staff's review queue (oldest first; child data masked)",
            tag=tag,
            query=QueueQuery,
            response=Page[ApplicationOut],
            roles=[Role.DEPT_OPERATOR],
        )(review_queue)
    )
    return bp
