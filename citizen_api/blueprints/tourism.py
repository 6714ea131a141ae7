"""Tourism: scenic areas in the tourist's language, nearest first, live crowd, timed entry."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse

from citizen_api.blueprints.bookings import booking_policies, visitor_conflict_budget
from citizen_api.endpoint import endpoint
from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent
from citizen_api.response_headers import EncodedHeadResponse, WireHeaders, wire_value
from citizen_api.schemas.bookings import SlotOut
from citizen_api.schemas.tourism import (
    Crowd,
    EntryBookingIn,
    EntryBookingOut,
    ScenicAreaDetail,
    ScenicAreaList,
    ScenicAreaListQuery,
    SlotPage,
    SlotsQuery,
    TicketOut,
    TicketQuery,
)
from services.accounts.principal import Principal
from services.tourism import service
from services.tourism.cache import LocalTier, Rendered

__all__ = ["create_blueprint"]

# Shared caches may keep an anonymous answer briefly; clients revalidate with If-None-Match.
_CACHE_CONTROL = "public, max-age=5"


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match semantics: '*' or any listed tag equal to ours (weak comparison)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


# A document's ETag, Cache-Control and Vary encoded for the wire, by ETag: built once per document,
# not per request (issue 12). Bounded like the process copy; a full table is dropped and refilled.
_HEADS: dict[str, WireHeaders] = {}
_MAX_HEADS = 4096
_CACHE_CONTROL_WIRE = (b"Cache-Control", wire_value(_CACHE_CONTROL))
_VARY_WIRE = (b"Vary", b"Accept-Language")


def _head(etag: str) -> WireHeaders:
    head = _HEADS.get(etag)
    if head is None:
        if len(_HEADS) >= _MAX_HEADS:
            _HEADS.clear()
        head = _HEADS[etag] = ((b"ETag", wire_value(etag)), _CACHE_CONTROL_WIRE, _VARY_WIRE)
    return head


def conditional(request: Request, document: Rendered) -> HTTPResponse:
    """304 when the client already has this document, else the JSON with its ETag.

    Either carries ETag, Cache-Control and Vary (in that order, first), already encoded.
    """
    head = _head(document.etag)
    if etag_matches(request.headers.get("if-none-match"), document.etag):
        return EncodedHeadResponse(b"", status=304, content_type=None, head=head)
    return EncodedHeadResponse(document.body, status=200, content_type="application/json", head=head)


def _local(request: Request) -> LocalTier | None:
    """This blueprint's in-process copy of rendered documents (none in tests).

    Tests truncate tables behind the cache's back and expect the next read to see it at once.
    """
    if request.app.ctx.runtime.settings.profile == "test":
        return None
    return request.route.ctx.local


@endpoint(
    summary="Scenic areas, nearest first when near=lat,lng is given",
    tag="tourism",
    query=ScenicAreaListQuery,
    response=ScenicAreaList,
    headers=["If-None-Match"],
)
async def list_areas(request: Request, *, query: ScenicAreaListQuery) -> HTTPResponse:
    rt = request.app.ctx.runtime
    document = await service.list_scenic_areas(
        locale=request.ctx.locale, near=query.near, redis=rt.redis, keys=rt.keys, local=_local(request)
    )
    return conditional(request, document)


@endpoint(
    summary="A scenic area: text, hours, tickets, today's availability and live crowd",
    tag="tourism",
    query=ScenicAreaListQuery,
    response=ScenicAreaDetail,
    headers=["If-None-Match"],
)
async def show_area(request: Request, area_id: str, *, query: ScenicAreaListQuery) -> HTTPResponse:
    rt = request.app.ctx.runtime
    document = await service.get_scenic_area(
        area_id=area_id, locale=request.ctx.locale, redis=rt.redis, keys=rt.keys, local=_local(request)
    )
    return conditional(request, document)


@endpoint(
    summary="Live crowd: level green/yellow/orange/red at 80/90/100% of instantaneous capacity",
    tag="tourism",
    response=Crowd,
    headers=["If-None-Match"],
)
async def crowd(request: Request, area_id: str) -> HTTPResponse:
    rt = request.app.ctx.runtime
    document = await service.get_crowd(area_id=area_id, redis=rt.redis, keys=rt.keys, local=_local(request))
    return conditional(request, document)


@endpoint(
    summary="Timed-entry slots of a day (book them with POST /api/v1/bookings)",
    tag="tourism",
    query=SlotsQuery,
    response=SlotPage,
)
async def slots(request: Request, area_id: str, *, query: SlotsQuery) -> SlotPage:
    slots = await service.entry_slots(area_id=area_id, date=query.date)
    return SlotPage(items=[SlotOut.from_domain(slot) for slot in slots])


@endpoint(
    limit="tourism.bookings.create",
    summary="Book timed entry for 1–5 real-name visitors (an alias of POST /api/v1/bookings for an entry slot)",
    tag="tourism",
    body=EntryBookingIn,
    response=EntryBookingOut,
    status=201,
    auth=True,
    proxy_scope="bookings",
    headers=[IDEMPOTENCY_HEADER],
    description="Send an Idempotency-Key: a retry with the same key and body returns the first answer.",
)
async def book(request: Request, *, body: EntryBookingIn, actor: Principal) -> HTTPResponse:
    cipher = request.app.ctx.runtime.cipher
    policies = booking_policies(request)
    # "A visitor already holds an entry that day" says something about another person: budgeted, audited
    # (the same budget as POST /api/v1/bookings).
    async with visitor_conflict_budget(request, actor, names_visitors=True):
        return await idempotent(
            request,
            actor=actor,
            route="tourism.book_entry",
            payload=body,
            status=201,
            run=lambda: service.book_entry(
                actor=actor, slot_id=body.slot_id, visitors=body.visitors, cipher=cipher, policies=policies
            ),
            render=lambda booked: EntryBookingOut.from_domain(booked, request.ctx.locale),
        )


@endpoint(
    summary="The ticket of an entry booking: pending until the ticketing system issues its id",
    tag="tourism",
    query=TicketQuery,
    response=TicketOut,
    auth=True,
    proxy_scope="bookings",
)
async def ticket(request: Request, *, query: TicketQuery, actor: Principal) -> TicketOut:
    return TicketOut.from_domain(await service.get_ticket(actor=actor, booking_id=query.booking_id))


def create_blueprint() -> Blueprint:
    """A fresh blueprint (the composition's API group puts its routes under /api/v1)."""
    bp = Blueprint("tourism")
    process_copy = LocalTier(ttl_s=1.0)  # one per blueprint, i.e. per app
    bp.add_route(list_areas, "/tourism/scenic-areas", methods=["GET"], ctx_local=process_copy)
    bp.add_route(show_area, "/tourism/scenic-areas/<area_id:str>", methods=["GET"], ctx_local=process_copy)
    bp.add_route(crowd, "/tourism/scenic-areas/<area_id:str>/crowd", methods=["GET"], ctx_local=process_copy)
    bp.add_route(slots, "/tourism/scenic-areas/<area_id:str>/slots", methods=["GET"], ctx_local=process_copy)
    bp.add_route(book, "/tourism/bookings", methods=["POST"], ctx_local=process_copy)
    bp.add_route(ticket, "/tourism/tickets", methods=["GET"], ctx_local=process_copy)
    return bp
