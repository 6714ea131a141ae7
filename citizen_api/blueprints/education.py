"""Education 教育: schools, school-district lookup, enrollment rounds, applications, public lotteries."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import endpoint
from citizen_api.schemas.common import Page
from citizen_api.schemas.education import (
    DistrictLookupOut,
    DistrictLookupQuery,
    RoundOut,
    RoundQuery,
    SchoolOut,
    SchoolQuery,
)
from services.education import catalogue, rounds
from services.education.districts import DistrictIndexCache

__all__ = ["create_blueprint"]


def district_cache(request: Request) -> DistrictIndexCache:
    """This process's district index cache, kept on the runtime (rebuilt from the DB after 60 s)."""
    extras = request.app.ctx.runtime.extras
    cache = extras.get("education.districts")
    if cache is None:
        cache = extras["education.districts"] = DistrictIndexCache(ttl_s=60.0)
    return cache


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


def create_blueprint() -> Blueprint:
    bp = Blueprint("education")
    bp.get("/api/v1/education/schools")(
        endpoint(
            summary="Schools (primary and junior middle, public and 民办)",
            tag="education",
            query=SchoolQuery,
            response=Page[SchoolOut],
        )(list_schools)
    )
    bp.get("/api/v1/education/schools/<school_id:str>")(
        endpoint(
            summary="One school with its districts and admission plans", tag="education", response=SchoolOut
        )(get_school)
    )
    bp.get("/api/v1/education/districts/lookup")(
        endpoint(
            summary="The school district(s) serving an address or a point, and why",
            tag="education",
            query=DistrictLookupQuery,
            response=DistrictLookupOut,
            description="Give either `address` or `lat`+`lng`. Ambiguous (多校划片, split compounds) and "
            "boundary cases are flagged with a hint.",
        )(lookup_district)
    )
    bp.get("/api/v1/education/rounds")(
        endpoint(
            summary="Enrollment rounds and their phases (Asia/Shanghai)",
            tag="education",
            query=RoundQuery,
            response=Page[RoundOut],
        )(list_rounds)
    )
    bp.get("/api/v1/education/rounds/<round_id:str>")(
        endpoint(summary="One enrollment round", tag="education", response=RoundOut)(get_round)
    )
    return bp
