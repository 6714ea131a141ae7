"""GET /api/v1/me/cases: one timeline of my applications, reports, care orders and enrollments."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import endpoint
from citizen_api.schemas.common import ListQuery
from citizen_api.schemas.timeline import TimelineItemOut, TimelinePage
from services.accounts import family
from services.accounts.principal import Principal
from services.common import timeline

__all__ = ["create_blueprint"]


@endpoint(
    summary="My cases across every domain, newest first (and those of the people I act for)",
    tag="me",
    query=ListQuery,
    response=TimelinePage,
    auth=True,
    proxy_scope="cases",
    description="Government cases, community reports, care orders and enrollments in one list. Acting for "
    "someone (X-Acting-For), only what the grant's scopes cover is shown.",
)
async def my_cases(request: Request, *, query: ListQuery, actor: Principal) -> TimelinePage:
    page = await timeline.my_cases(
        actor=actor,
        sources=request.app.ctx.runtime.timeline_sources,
        family=family,
        locale=request.ctx.locale,
        limit=query.limit,
        cursor=query.cursor,
    )
    return TimelinePage(
        items=[TimelineItemOut.from_domain(e) for e in page.items], next_cursor=page.next_cursor
    )


def create_blueprint() -> Blueprint:
    bp = Blueprint("timeline")
    bp.add_route(my_cases, "/me/cases", methods=["GET"])
    return bp
