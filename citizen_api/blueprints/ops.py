"""Operations: the dashboard, undelivered submissions (the outbox) and their retry."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import endpoint
from citizen_api.schemas.gov import CaseOut
from citizen_api.schemas.ops import (
    CaseAcceptIn,
    CaseDecisionIn,
    CaseQueueItem,
    CaseQueuePage,
    CaseQueueQuery,
    CaseReplyIn,
    CaseSupplementRequestIn,
    DashboardOut,
    DashboardQuery,
    OutboxItem,
    OutboxPage,
    OutboxQuery,
)
from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import outbox
from services.gov import decisions
from services.gov import queue as gov_queue
from services.gov.enums import CaseStatus
from services.ops import dashboard as ops_dashboard

__all__ = ["create_blueprint"]


@endpoint(
    summary="Operations dashboard: each domain's figures per local day, and figures now",
    description="ops_viewer and admin see the whole city; a dept_operator sees its departments. "
    "No personal data; cached for a few seconds.",
    tag="ops",
    query=DashboardQuery,
    response=DashboardOut,
    roles=[Role.OPS_VIEWER, Role.DEPT_OPERATOR],
)
async def get_dashboard(request: Request, *, query: DashboardQuery, actor: Principal) -> DashboardOut:
    rt = request.app.ctx.runtime
    answer = await ops_dashboard.dashboard(
        actor=actor,
        start=query.start,
        end=query.end,
        figures=rt.dashboard_figures,
        redis=rt.redis,
        cache_key=rt.keys,
        ttl_s=rt.settings.ops_dashboard_cache_s,
    )
    return DashboardOut.model_validate(answer)


@endpoint(
    summary="My departments' open cases, earliest due first (overdue ones lead)",
    tag="ops",
    query=CaseQueueQuery,
    response=CaseQueuePage,
    roles=[Role.DEPT_OPERATOR],
)
async def case_queue(request: Request, *, query: CaseQueueQuery, actor: Principal) -> CaseQueuePage:
    page = await gov_queue.department_queue(
        actor=actor, status=query.status, limit=query.limit, cursor=query.cursor
    )
    return CaseQueuePage(
        items=[CaseQueueItem.model_validate(item, from_attributes=True) for item in page.items],
        next_cursor=page.next_cursor,
    )


_DECISION_NOTE = (
    "Only operators of the case's department (another department's case is a 404). A move the state "
    "machine does not draw from the case's status is a 409. Audited; the applicant is notified; the "
    "government-service platform is told through the outbox."
)


@endpoint(
    summary="One case of my departments: materials (metadata), form field names, timeline",
    tag="ops",
    response=CaseOut,
    roles=[Role.DEPT_OPERATOR],
)
async def get_case(request: Request, case_id: str, *, actor: Principal) -> CaseOut:
    rt = request.app.ctx.runtime
    view = await decisions.operator_case_view(
        actor=actor, case_id=case_id, locale=request.ctx.locale, cipher=rt.cipher
    )
    return CaseOut.from_domain(view, request.ctx.locale)


@endpoint(
    summary="Accept a submitted case (受理)",
    description=_DECISION_NOTE,
    tag="ops",
    body=CaseAcceptIn,
    response=CaseOut,
    roles=[Role.DEPT_OPERATOR],
)
async def accept_case(request: Request, case_id: str, *, body: CaseAcceptIn, actor: Principal) -> CaseOut:
    rt = request.app.ctx.runtime
    view = await decisions.accept_case(
        actor=actor, case_id=case_id, note=body.note, locale=request.ctx.locale, cipher=rt.cipher
    )
    return CaseOut.from_domain(view, request.ctx.locale)


@endpoint(
    summary="Ask the applicant for missing materials (补正)",
    description=_DECISION_NOTE,
    tag="ops",
    body=CaseSupplementRequestIn,
    response=CaseOut,
    roles=[Role.DEPT_OPERATOR],
)
async def request_supplement(
    request: Request, case_id: str, *, body: CaseSupplementRequestIn, actor: Principal
) -> CaseOut:
    rt = request.app.ctx.runtime
    view = await decisions.request_supplement(
        actor=actor,
        case_id=case_id,
        materials=body.materials,
        message=body.message,
        locale=request.ctx.locale,
        cipher=rt.cipher,
    )
    return CaseOut.from_domain(view, request.ctx.locale)


@endpoint(
    summary="Approve or reject a case, with the reason (批准 / 不予批准)",
    description=_DECISION_NOTE,
    tag="ops",
    body=CaseDecisionIn,
    response=CaseOut,
    roles=[Role.DEPT_OPERATOR],
)
async def decide_case(request: Request, case_id: str, *, body: CaseDecisionIn, actor: Principal) -> CaseOut:
    rt = request.app.ctx.runtime
    view = await decisions.decide_case(
        actor=actor,
        case_id=case_id,
        outcome=CaseStatus(body.outcome),
        reason=body.reason,
        locale=request.ctx.locale,
        cipher=rt.cipher,
    )
    return CaseOut.from_domain(view, request.ctx.locale)


@endpoint(
    summary="Reply to the applicant on their case (答复; no status change)",
    description=_DECISION_NOTE,
    tag="ops",
    body=CaseReplyIn,
    response=CaseOut,
    roles=[Role.DEPT_OPERATOR],
)
async def reply_case(request: Request, case_id: str, *, body: CaseReplyIn, actor: Principal) -> CaseOut:
    rt = request.app.ctx.runtime
    view = await decisions.reply_to_applicant(
        actor=actor, case_id=case_id, message=body.message, locale=request.ctx.locale, cipher=rt.cipher
    )
    return CaseOut.from_domain(view, request.ctx.locale)


@endpoint(
    summary="Undelivered submissions: waiting, in flight and dead-lettered",
    tag="ops",
    query=OutboxQuery,
    response=OutboxPage,
    roles=[Role.ADMIN],
)
async def list_outbox(request: Request, *, query: OutboxQuery, actor: Principal) -> OutboxPage:
    page = await outbox.list_messages(statuses=query.status, limit=query.limit, cursor=query.cursor)
    return OutboxPage(items=[OutboxItem.of(row) for row in page.items], next_cursor=page.next_cursor)


@endpoint(
    summary="Retry a dead-lettered (or waiting) submission now",
    tag="ops",
    response=OutboxItem,
    roles=[Role.ADMIN],
)
async def retry(request: Request, message_id: str, *, actor: Principal) -> OutboxItem:
    return OutboxItem.of(await outbox.retry_dead(message_id, actor_id=actor.user_id))


# (method, path, handler): attached to a fresh blueprint per app by create_blueprint.
ROUTES = (
    ("GET", "/dashboard", get_dashboard),
    ("GET", "/cases", case_queue),
    ("GET", "/cases/<case_id:str>", get_case),
    ("POST", "/cases/<case_id:str>/accept", accept_case),
    ("POST", "/cases/<case_id:str>/supplement-request", request_supplement),
    ("POST", "/cases/<case_id:str>/decision", decide_case),
    ("POST", "/cases/<case_id:str>/reply", reply_case),
    ("GET", "/outbox", list_outbox),
    ("POST", "/outbox/<message_id:str>/retry", retry),
)


def create_blueprint() -> Blueprint:
    bp = Blueprint("ops", url_prefix="/ops")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp
