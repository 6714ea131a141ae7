"""Operations: the dashboard, undelivered submissions (the outbox) and their retry."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import endpoint
from citizen_api.schemas.ops import (
    CaseQueueItem,
    CaseQueuePage,
    CaseQueueQuery,
    DashboardOut,
    DashboardQuery,
    OutboxItem,
    OutboxPage,
    OutboxQuery,
)
from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import outbox
from services.gov import queue as gov_queue
from services.ops import dashboard as ops_dashboard

__all__ = ["create_blueprint"]


def create_blueprint() -> Blueprint:
    bp = Blueprint("ops", url_prefix="/ops")

    @bp.get("/dashboard")
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

    @bp.get("/cases")
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

    @bp.get("/outbox")
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

    @bp.post("/outbox/<message_id:str>/retry")
    @endpoint(
        summary="Retry a dead-lettered (or waiting) submission now",
        tag="ops",
        response=OutboxItem,
        roles=[Role.ADMIN],
    )
    async def retry(request: Request, message_id: str, *, actor: Principal) -> OutboxItem:
        return OutboxItem.of(await outbox.retry_dead(message_id, actor_id=actor.user_id))

    return bp
