"""Government services 政务: the service guide, halls, online applications, 好差评, department callbacks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sanic import Blueprint, Request

from citizen_api.callbacks import forget_callback_nonce, verify_callback
from citizen_api.endpoint import endpoint
from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent
from citizen_api.schemas.common import FileForm, ListQuery, MaterialForm, Page
from citizen_api.schemas.gov import (
    ApplicationIn,
    CallbackAck,
    CaseOut,
    FollowUpCloseIn,
    FollowUpOut,
    FollowUpQuery,
    HallOut,
    ItemOut,
    ItemQuery,
    ItemSummaryOut,
    MaterialUploadOut,
    RatingIn,
    RatingOut,
    SupplementIn,
    WithdrawIn,
)
from citizen_api.schemas.gov import CaseMaterialOut as CaseMaterialSchema
from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.common.errors import InvalidInput
from services.common.storage import LocalFileStore
from services.education import review as education_review
from services.gov import cases, catalogue, delivery, ratings
from services.gov.errors import UnknownCallbackSystem

__all__ = ["create_blueprint", "create_callback_blueprint"]

# A scan of a document is well under this; the global request cap (settings.upload_max_bytes) is larger.
MATERIAL_MAX_BYTES = 5 * 1024 * 1024

# Departmental systems that call us back, and the service function that applies their event.
CALLBACK_HANDLERS: dict[str, Callable[..., Awaitable[delivery.CallbackResult]]] = {
    "gov_platform": delivery.apply_platform_callback,
    "education_bureau": education_review.apply_bureau_callback,
}


# -- the service guide -------------------------------------------------------------------------


@endpoint(
    summary="Service guide (事项): search and filter",
    tag="gov",
    query=ItemQuery,
    response=Page[ItemSummaryOut],
    description="Texts in the caller's language (?lang= or Accept-Language), falling back to zh_CN.",
)
async def list_items(request: Request, *, query: ItemQuery) -> Page[ItemSummaryOut]:
    locale = request.ctx.locale
    page = await catalogue.list_items(
        locale=locale,
        q=query.q,
        category=query.category,
        department=query.department,
        theme=query.theme,
        limit=query.limit,
        cursor=query.cursor,
    )
    return Page(
        items=[ItemSummaryOut.from_domain(i, locale) for i in page.items], next_cursor=page.next_cursor
    )


@endpoint(summary="One service item: materials, time limits, fees, halls", tag="gov", response=ItemOut)
async def get_item(request: Request, code: str) -> ItemOut:
    locale = request.ctx.locale
    return ItemOut.from_domain(await catalogue.get_item(code=code, locale=locale), locale)


# -- halls ------------------------------------------------------------------------------------


@endpoint(summary="Service halls with their windows", tag="gov", query=ListQuery, response=Page[HallOut])
async def list_halls(request: Request, *, query: ListQuery) -> Page[HallOut]:
    page = await catalogue.list_halls(locale=request.ctx.locale, limit=query.limit, cursor=query.cursor)
    return Page(items=[HallOut.from_domain(h) for h in page.items], next_cursor=page.next_cursor)


@endpoint(
    summary="One hall: windows, the items each handles, each window's booking resource",
    tag="gov",
    response=HallOut,
    description="Book a window with GET /api/v1/resources/{resource_id}/slots and POST /api/v1/bookings.",
)
async def get_hall(request: Request, hall_id: str) -> HallOut:
    return HallOut.from_domain(await catalogue.get_hall(hall_id=hall_id, locale=request.ctx.locale))


# -- applications (cases) -----------------------------------------------------------------------


@endpoint(
    limit="applications.create",
    summary="Apply online for a service item",
    tag="gov",
    body=ApplicationIn,
    response=CaseOut,
    status=201,
    level=VerificationLevel.REAL_NAME,
    proxy_scope="cases",
    headers=(IDEMPOTENCY_HEADER,),
    description="submit=true (default) submits at once; submit=false keeps a draft for uploading "
    "materials. With an Idempotency-Key a retry returns the first answer (one case).",
)
async def create_application(request: Request, *, body: ApplicationIn, actor: Principal):
    rt = request.app.ctx.runtime
    locale = request.ctx.locale
    return await idempotent(
        request,
        actor=actor,
        route="gov.applications.create",
        payload=body,
        status=201,
        run=lambda: cases.create_application(
            actor=actor,
            item_code=body.item_code,
            form=body.form,
            submit=body.submit,
            cipher=rt.cipher,
            locale=locale,
            materials=[(m.material_code.strip(), m.upload_id) for m in body.materials],
        ),
        render=lambda case: CaseOut.from_domain(case, locale),
    )


@endpoint(
    summary="A case with its materials and timeline",
    tag="gov",
    response=CaseOut,
    auth=True,
    proxy_scope="cases",
)
async def get_application(request: Request, case_id: str, *, actor: Principal) -> CaseOut:
    locale = request.ctx.locale
    case = await cases.get_case(
        actor=actor, case_id=case_id, locale=locale, cipher=request.app.ctx.runtime.cipher
    )
    return CaseOut.from_domain(case, locale)


@endpoint(
    summary="Submit a draft",
    tag="gov",
    response=CaseOut,
    level=VerificationLevel.REAL_NAME,
    proxy_scope="cases",
)
async def submit_application(request: Request, case_id: str, *, actor: Principal) -> CaseOut:
    locale = request.ctx.locale
    case = await cases.submit_case(
        actor=actor, case_id=case_id, locale=locale, cipher=request.app.ctx.runtime.cipher
    )
    return CaseOut.from_domain(case, locale)


@endpoint(
    summary="Upload a file for an application not made yet (multipart: file)",
    tag="gov",
    form=FileForm,
    response=MaterialUploadOut,
    status=201,
    auth=True,
    proxy_scope="cases",
    description="PDF, JPEG, PNG or WebP (judged by content), at most 5 MB. Name the returned id in "
    "POST /api/v1/gov/applications `materials`; an upload not used within a day is deleted.",
)
async def upload_first(request: Request, *, actor: Principal) -> MaterialUploadOut:
    rt = request.app.ctx.runtime
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise InvalidInput("gov.upload.file_missing")
    stored = await cases.upload_material(
        actor=actor,
        data=upload.body,
        filename=upload.name or "",
        store=LocalFileStore(rt.settings.upload_dir),
        max_bytes=min(MATERIAL_MAX_BYTES, rt.settings.upload_max_bytes),
    )
    return MaterialUploadOut.model_validate(stored, from_attributes=True)


@endpoint(
    summary="Upload a material (multipart: material_code, file)",
    tag="gov",
    form=MaterialForm,
    response=CaseMaterialSchema,
    status=201,
    auth=True,
    proxy_scope="cases",
    description="PDF, JPEG, PNG or WebP (judged by content), at most 5 MB; drafts and open 补正 only.",
)
async def upload_material(request: Request, case_id: str, *, actor: Principal) -> CaseMaterialSchema:
    rt = request.app.ctx.runtime
    # RequestParameters.get gives the first value of a multipart field.
    upload = request.files.get("file") if request.files else None
    material_code = (request.form.get("material_code") if request.form else None) or ""
    if upload is None or not material_code:
        raise InvalidInput("gov.case.upload_fields_missing")
    material = await cases.add_material(
        actor=actor,
        case_id=case_id,
        material_code=material_code.strip()[:48],
        data=upload.body,
        filename=upload.name or "",
        store=LocalFileStore(rt.settings.upload_dir),
        max_bytes=min(MATERIAL_MAX_BYTES, rt.settings.upload_max_bytes),
    )
    return CaseMaterialSchema.model_validate(material, from_attributes=True)


@endpoint(
    summary="Answer a 补正 request (upload the materials first)",
    tag="gov",
    body=SupplementIn,
    response=CaseOut,
    auth=True,
    proxy_scope="cases",
)
async def answer_supplement(
    request: Request, case_id: str, *, body: SupplementIn, actor: Principal
) -> CaseOut:
    locale = request.ctx.locale
    case = await cases.answer_supplement(
        actor=actor, case_id=case_id, note=body.note, locale=locale, cipher=request.app.ctx.runtime.cipher
    )
    return CaseOut.from_domain(case, locale)


@endpoint(
    summary="Withdraw a case",
    tag="gov",
    body=WithdrawIn,
    response=CaseOut,
    auth=True,
    proxy_scope="cases",
)
async def withdraw(request: Request, case_id: str, *, body: WithdrawIn, actor: Principal) -> CaseOut:
    locale = request.ctx.locale
    case = await cases.withdraw_case(
        actor=actor,
        case_id=case_id,
        reason=body.reason,
        locale=locale,
        cipher=request.app.ctx.runtime.cipher,
    )
    return CaseOut.from_domain(case, locale)


# -- 好差评 ------------------------------------------------------------------------------------


@endpoint(
    summary="好差评: rate a completed case or a checked-in hall booking, once",
    tag="gov",
    body=RatingIn,
    response=RatingOut,
    status=201,
    auth=True,
    description="The id is a case id or a hall-window booking id. 不满意/非常不满意 open a follow-up "
    "the department must close within 15 working days.",
)
async def rate(request: Request, target_id: str, *, body: RatingIn, actor: Principal) -> RatingOut:
    rating = await ratings.rate(
        actor=actor, target_id=target_id, level=body.level, tags=body.tags, text=body.text
    )
    return RatingOut.from_domain(rating, request.ctx.locale)


@endpoint(
    summary="Follow-ups of bad ratings for my departments (差评整改), earliest due first",
    tag="gov",
    query=FollowUpQuery,
    response=Page[FollowUpOut],
    roles=[Role.DEPT_OPERATOR],
)
async def follow_ups(request: Request, *, query: FollowUpQuery, actor: Principal) -> Page[FollowUpOut]:
    page = await ratings.list_follow_ups(
        actor=actor, status=query.status, limit=query.limit, cursor=query.cursor
    )
    return Page(
        items=[FollowUpOut.model_validate(f, from_attributes=True) for f in page.items],
        next_cursor=page.next_cursor,
    )


@endpoint(
    summary="Close a follow-up with what was done (整改情况)",
    tag="gov",
    body=FollowUpCloseIn,
    response=FollowUpOut,
    roles=[Role.DEPT_OPERATOR],
)
async def close_follow_up(
    request: Request, follow_up_id: str, *, body: FollowUpCloseIn, actor: Principal
) -> FollowUpOut:
    item = await ratings.close_follow_up(actor=actor, follow_up_id=follow_up_id, resolution=body.resolution)
    return FollowUpOut.model_validate(item, from_attributes=True)


# -- callbacks from departmental systems -------------------------------------------------------


@endpoint(
    summary="Status callback from a departmental system (HMAC-signed)",
    tag="integrations",
    response=CallbackAck,
    headers=("X-App-Key", "X-Timestamp", "X-Nonce", "X-Signature"),
    description="Signed like our calls to them; an event id seen before changes nothing.",
)
async def callback(request: Request, system: str) -> CallbackAck:
    handler = CALLBACK_HANDLERS.get(system)
    if handler is None:
        raise UnknownCallbackSystem(system=system[:32])
    event, nonce = await verify_callback(request, system)
    try:
        result = await handler(system=system, event=event)
    except Exception:
        # Not applied: let the sender retry the very same request.
        await forget_callback_nonce(request, system, nonce)
        raise
    return CallbackAck(outcome=result.outcome, case_id=result.case_id, status=result.status)


# (method, path under /api/v1, handler): attached to a fresh blueprint per app by create_blueprint.
ROUTES = (
    ("GET", "/gov/items", list_items),
    ("GET", "/gov/items/<code:str>", get_item),
    ("GET", "/gov/halls", list_halls),
    ("GET", "/gov/halls/<hall_id:str>", get_hall),
    ("POST", "/gov/uploads", upload_first),
    ("POST", "/gov/applications", create_application),
    ("GET", "/gov/applications/<case_id:str>", get_application),
    ("POST", "/gov/applications/<case_id:str>/submit", submit_application),
    ("POST", "/gov/applications/<case_id:str>/materials", upload_material),
    ("POST", "/gov/applications/<case_id:str>/supplement", answer_supplement),
    ("POST", "/gov/applications/<case_id:str>/withdraw", withdraw),
    ("POST", "/cases/<target_id:str>/rating", rate),
    ("GET", "/gov/follow-ups", follow_ups),
    ("POST", "/gov/follow-ups/<follow_up_id:str>/close", close_follow_up),
)


def create_blueprint() -> Blueprint:
    """The gov API routes on a new blueprint (one per app), mounted under /api/v1 by the composition."""
    bp = Blueprint("gov")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp


def create_callback_blueprint() -> Blueprint:
    """Departmental systems' callbacks, at the path they are configured with (outside the API group)."""
    bp = Blueprint("gov_callbacks")
    bp.add_route(callback, "/api/v1/integrations/<system:str>/callback", methods=["POST"])
    return bp
