"""One search over every domain's public things: Chinese, pinyin and pinyin initials."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import endpoint
from citizen_api.schemas.search import SearchPage, SearchQuery
from services.search import service

__all__ = ["create_blueprint"]


@endpoint(
    summary="Search service items, scenic areas, schools, hospitals, notices (wws finds 王屋山)",
    tag="search",
    query=SearchQuery,
    response=SearchPage,
)
async def search(request: Request, *, query: SearchQuery) -> SearchPage:
    kinds = [k.strip() for k in query.kinds.split(",") if k.strip()] if query.kinds else None
    hits = await service.search(q=query.q, locale=request.ctx.locale, kinds=kinds, limit=query.limit)
    return SearchPage.from_hits(hits)


# (method, path, handler): attached to a fresh blueprint per app by create_blueprint.
ROUTES = (("GET", "/search", search),)


def create_blueprint() -> Blueprint:
    bp = Blueprint("search")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp
