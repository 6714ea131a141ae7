"""Problem reports (随手拍): filing with duplicates and "me too", the reporter's view, staff handling."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from citizen_api.endpoint import endpoint, file_links, rate_limiter
from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent
from citizen_api.schemas.common import ListQuery, Page
from citizen_api.schemas.community_reports import (
    PublicationIn,
    ReportFeedbackIn,
    ReportIn,
    ReportListQuery,
    ReportOut,
    ReportPrivacyIn,
    ReportStatusIn,
    SimilarQuery,
)
from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.community import publication, reports
from services.community.reports import candidate_details

__all__ = ["create_blueprint"]

STAFF = [Role.COMMUNITY_STAFF]


def _checker(request: Request):
    return request.app.ctx.runtime.adapters.wechat


# ------------------------------------------------------------------------------------- reports


@endpoint(
    summary="Similar open reports within 200 m in the last 30 days (offer 'me too' before submitting)",
    tag="community",
    query=SimilarQuery,
    auth=True,
)
async def similar(request: Request, *, query: SimilarQuery, actor: Principal) -> dict:
    candidates = await reports.similar_reports(
        category=query.category, lat=query.lat, lng=query.lng, exclude_user=actor.user_id
    )
    return {"items": candidate_details(candidates), "next_cursor": None}


@endpoint(
    limit="reports.create",
    summary="Report a problem (随手拍); 409 with candidates when a similar one is nearby unless confirm_new",
    tag="community",
    body=ReportIn,
    response=ReportOut,
    status=201,
    auth=True,
    headers=[IDEMPOTENCY_HEADER],
)
async def create_report(request: Request, *, body: ReportIn, actor: Principal) -> HTTPResponse:
    rt = request.app.ctx.runtime
    locale = request.ctx.locale
    return await idempotent(
        request,
        actor=actor,
        route="community.reports.create",
        payload=body,
        status=201,
        run=lambda: reports.create_report(
            actor=actor,
            category=body.category,
            description=body.description,
            lat=body.lat,
            lng=body.lng,
            address=body.address,
            community_id=body.community_id,
            photos=body.photos,
            contact_phone=body.contact_phone,
            confirm_new=body.confirm_new,
            private=body.private,
            checker=rt.adapters.wechat,
            locale=locale,
            limiter=rate_limiter(request),
            cipher=rt.cipher,
        ),
        render=lambda view: ReportOut.from_domain(view, locale, links=file_links(request)),
    )


@endpoint(
    summary="My reports and the ones I said 'me too' to",
    tag="community",
    query=ListQuery,
    response=Page[ReportOut],
    auth=True,
)
async def my_reports(request: Request, *, query: ListQuery, actor: Principal) -> Page[ReportOut]:
    page = await reports.list_my_reports(
        actor=actor, limit=query.limit, cursor=query.cursor, cipher=request.app.ctx.runtime.cipher
    )
    locale = request.ctx.locale
    links = file_links(request)
    return Page[ReportOut](
        items=[ReportOut.from_domain(v, locale, links=links) for v in page.items],
        next_cursor=page.next_cursor,
    )


@endpoint(summary="One report with its timeline", tag="community", response=ReportOut, auth=True)
async def get_report(request: Request, report_id: str, *, actor: Principal) -> ReportOut:
    view = await reports.get_report(actor=actor, report_id=report_id, cipher=request.app.ctx.runtime.cipher)
    return ReportOut.from_domain(view, request.ctx.locale, links=file_links(request))


@endpoint(
    summary="'Me too': follow an open report instead of filing another",
    tag="community",
    response=ReportOut,
    auth=True,
)
async def me_too(request: Request, report_id: str, *, actor: Principal) -> ReportOut:
    view = await reports.me_too(actor=actor, report_id=report_id, cipher=request.app.ctx.runtime.cipher)
    return ReportOut.from_domain(view, request.ctx.locale, links=file_links(request))


@endpoint(
    summary="Was it fixed? yes closes a resolved report, no reopens it",
    tag="community",
    body=ReportFeedbackIn,
    response=ReportOut,
    auth=True,
)
async def feedback(
    request: Request, report_id: str, *, body: ReportFeedbackIn, actor: Principal
) -> ReportOut:
    view = await reports.report_feedback(
        actor=actor,
        report_id=report_id,
        fixed=body.fixed,
        note=body.note,
        cipher=request.app.ctx.runtime.cipher,
    )
    return ReportOut.from_domain(view, request.ctx.locale, links=file_links(request))


@endpoint(
    summary="Keep my report off the public Open311 feed (or put it back)",
    tag="community",
    body=ReportPrivacyIn,
    response=ReportOut,
    auth=True,
)
async def report_privacy(
    request: Request, report_id: str, *, body: ReportPrivacyIn, actor: Principal
) -> ReportOut:
    view = await publication.set_private(
        actor=actor, report_id=report_id, private=body.private, cipher=request.app.ctx.runtime.cipher
    )
    return ReportOut.from_domain(view, request.ctx.locale, links=file_links(request))


@endpoint(
    summary="Decide what the public Open311 feed shows of a report: description (scrubbed), photos",
    tag="community staff",
    body=PublicationIn,
    response=ReportOut,
    roles=STAFF,
)
async def publish_report(
    request: Request, report_id: str, *, body: PublicationIn, actor: Principal
) -> ReportOut:
    view = await publication.publish_report(
        actor=actor,
        report_id=report_id,
        description=body.description,
        photos=body.photos,
        cipher=request.app.ctx.runtime.cipher,
    )
    return ReportOut.from_domain(view, request.ctx.locale, links=file_links(request))


@endpoint(
    summary="Reports in my community",
    tag="community staff",
    query=ReportListQuery,
    response=Page[ReportOut],
    roles=STAFF,
)
async def staff_reports(
    request: Request, community_id: str, *, query: ReportListQuery, actor: Principal
) -> Page[ReportOut]:
    page = await reports.list_staff_reports(
        actor=actor,
        community_id=community_id,
        status=query.status,
        category=query.category,
        limit=query.limit,
        cursor=query.cursor,
        cipher=request.app.ctx.runtime.cipher,
    )
    locale = request.ctx.locale
    links = file_links(request)
    return Page[ReportOut](
        items=[ReportOut.from_domain(v, locale, links=links) for v in page.items],
        next_cursor=page.next_cursor,
    )


@endpoint(
    summary="Move a report: in_progress, resolved, closed (with a note) or duplicate (duplicate_of)",
    tag="community staff",
    body=ReportStatusIn,
    response=ReportOut,
    roles=STAFF,
)
async def change_status(
    request: Request, report_id: str, *, body: ReportStatusIn, actor: Principal
) -> ReportOut:
    view = await reports.change_report_status(
        actor=actor,
        report_id=report_id,
        status=body.status,
        note=body.note,
        duplicate_of=body.duplicate_of,
        cipher=request.app.ctx.runtime.cipher,
    )
    return ReportOut.from_domain(view, request.ctx.locale, links=file_links(request))


# (method, path under /api/v1, handler): attached to a fresh blueprint per app by create_blueprint.

# (method, path, handler): attached to a fresh blueprint per app by create_blueprint.
ROUTES = (
    ("GET", "/community/reports/similar", similar),
    ("POST", "/community/reports", create_report),
    ("GET", "/community/reports", my_reports),
    ("GET", "/community/reports/<report_id:str>", get_report),
    ("POST", "/community/reports/<report_id:str>/me-too", me_too),
    ("POST", "/community/reports/<report_id:str>/feedback", feedback),
    ("POST", "/community/reports/<report_id:str>/privacy", report_privacy),
    ("GET", "/staff/communities/<community_id:str>/reports", staff_reports),
    ("POST", "/staff/reports/<report_id:str>/status", change_status),
    ("POST", "/staff/reports/<report_id:str>/publication", publish_report),
)


def create_blueprint() -> Blueprint:
    """The report routes on a new blueprint (one per app), mounted under /api/v1 by the composition."""
    bp = Blueprint("community_reports")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp
