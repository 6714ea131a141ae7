"""The booking engine over HTTP: slots, bookings, waitlists, staff check-in and approval.

Handlers are module-level functions; `create_blueprint()` attaches them to a fresh blueprint (Sanic
binds a blueprint to the app it is registered on). Routes are written without the "/api/v1"
prefix: citizen_api/composition.py mounts the blueprint in its versioned API group (/api/v1).
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractAsyncContextManager

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from citizen_api.endpoint import endpoint, refusal_budget, serialise
from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent, key_was_used, record_in_work, shielded
from citizen_api.schemas.bookings import (
    BookingIn,
    BookingOut,
    BookingPage,
    CheckInIn,
    DecisionIn,
    ResourceOut,
    SlotList,
    SlotOut,
    SlotsQuery,
    StaffBookingsQuery,
    WaitlistIn,
    WaitlistOut,
)
from citizen_api.schemas.common import ListQuery
from services.accounts import access, family
from services.accounts.principal import Principal
from services.bookings import service
from services.bookings.errors import VisitorAlreadyEntered
from services.bookings.policy import BookingPolicies
from services.common import idempotency
from services.common.errors import DomainError

__all__ = ["VISITOR_CONFLICT", "booking_policies", "create_blueprint", "visitor_conflict_budget"]

# "A visitor already holds an entry that day" says something about another person: one budget of such
# refusals per user (setting `tourism.visitor_conflict.user`), whichever route books the entry.
VISITOR_CONFLICT = "tourism.visitor_conflict"

TAG = "bookings"
ROUTE = "bookings.create"  # the Idempotency-Key scope of POST /bookings
PROXY_SCOPE = "bookings"


def booking_policies(request: Request) -> BookingPolicies:
    """The composition's booking policies (guards, post-booking steps, visibility), from the runtime."""
    return request.app.ctx.runtime.booking_policies


async def record_implicit_proxy(request: Request, *, asked: Principal, used: Principal, status: int) -> None:
    """Log, in the represented person's proxy log, an action taken for them without the header.

    The endpoint decorator logs the principal it resolved from X-Acting-For; a proxy reached through
    the booking itself (body `for_member`, or a booking made for that person) is logged here, once.
    """
    if used.acting_for is None or used.acting_for == asked.acting_for or status >= 400:
        return
    await family.record_proxy_action(actor=used, method=request.method, route=request.path, status=status)


def _page(page, locale: str) -> BookingPage:
    return BookingPage(
        items=[BookingOut.from_domain(b, locale) for b in page.items], next_cursor=page.next_cursor
    )


@endpoint(
    summary="A bookable resource and its rules",
    tag=TAG,
    response=ResourceOut,
    optional_auth=True,
    description="A resource its owning domain does not show to the caller (a members-only event) is 404.",
)
async def get_resource(request: Request, resource_id: str, *, actor: Principal | None) -> ResourceOut:
    resource = await service.get_resource(
        resource_id=resource_id, viewer=actor, policies=booking_policies(request)
    )
    return ResourceOut.from_domain(resource, request.ctx.locale)


@endpoint(
    summary="A day's slots with the places remaining",
    tag=TAG,
    query=SlotsQuery,
    response=SlotList,
    optional_auth=True,
)
async def list_slots(
    request: Request, resource_id: str, *, query: SlotsQuery, actor: Principal | None
) -> SlotList:
    slots = await service.list_slots(
        resource_id=resource_id, date=query.date, viewer=actor, policies=booking_policies(request)
    )
    return SlotList(items=[SlotOut.from_domain(slot) for slot in slots])


def visitor_conflict_budget(
    request: Request, actor: Principal, *, names_visitors: bool
) -> AbstractAsyncContextManager[None]:
    """The refusal budget around a booking that names visitors (only those can meet another's entry)."""
    if not names_visitors:
        return contextlib.nullcontext()
    return refusal_budget(
        request,
        VISITOR_CONFLICT,
        user_id=actor.user_id,
        refusals=(VisitorAlreadyEntered,),
        audit_action=VISITOR_CONFLICT,
    )


@endpoint(
    limit="bookings.create",
    summary="Book a slot",
    tag=TAG,
    body=BookingIn,
    response=BookingOut,
    status=201,
    auth=True,
    proxy_scope=PROXY_SCOPE,
    headers=[IDEMPOTENCY_HEADER],
    description="Send an Idempotency-Key: a retry with the same key and body returns the first answer.",
)
async def create_booking(request: Request, *, body: BookingIn, actor: Principal) -> HTTPResponse:
    acting = actor
    if body.for_member is not None and body.for_member != actor.acting_for:
        # `for_member` in the body is the same request as the X-Acting-For header.
        acting = await access.act_for(actor=actor, subject=str(body.for_member), scope=PROXY_SCOPE)
    runtime = request.app.ctx.runtime
    locale = request.ctx.locale

    def render(booking):
        return BookingOut.from_domain(booking, locale)

    # The Idempotency-Key is written with the answer by the booking's own write (issue 12).
    record = record_in_work(
        request, actor=acting, route=ROUTE, payload=body, render=render, status=201, live=BookingOut.live_sql
    )
    async with visitor_conflict_budget(request, actor, names_visitors=bool(body.visitors)):
        policies = booking_policies(request)

        def book(prepared=None, record=None):
            return service.book(
                actor=acting,
                slot_id=body.slot_id,
                party_size=body.party_size,
                visitors=body.visitors,
                purpose=body.purpose,
                cipher=runtime.cipher,
                policies=policies,
                prepared=prepared,
                record=record,
            )

        try:
            # Refusals (slot full, level, window, ban, cap, guards) first, reading only (issue 12).
            prepared = await service.prepare_booking(
                actor=acting,
                slot_id=body.slot_id,
                party_size=body.party_size,
                visitors=body.visitors,
                purpose=body.purpose,
                policies=policies,
                record=record,
            )
            if record is not None and record.used:
                raise idempotency.KeyRecorded()  # a retry: the first answer is replayed below
            booking = await shielded(book(prepared, record))
        except DomainError:
            if record is None or not await key_was_used(request, actor=acting, route=ROUTE, record=record):
                raise
            # A retry, or a duplicate that lost to the first (its booking or its key row): idempotent()
            # replays the first answer, says 422 for another request, or claims an expired key afresh.
            response = await idempotent(
                request, actor=acting, route=ROUTE, payload=body, status=201, run=book, render=render
            )
        else:
            answer = record.response if record is not None else serialise(render(booking))
            response = json(answer, status=201)
    await record_implicit_proxy(request, asked=actor, used=acting, status=response.status)
    return response


@endpoint(
    summary="A booking with its check-in code",
    tag=TAG,
    response=BookingOut,
    auth=True,
    proxy_scope=PROXY_SCOPE,
)
async def get_booking(request: Request, booking_id: str, *, actor: Principal) -> BookingOut:
    acting = await service.acting_actor(actor=actor, booking_id=booking_id)
    booking = await service.get_booking(actor=acting, booking_id=booking_id)
    await record_implicit_proxy(request, asked=actor, used=acting, status=200)
    return BookingOut.from_domain(booking, request.ctx.locale)


@endpoint(summary="Cancel a booking", tag=TAG, response=BookingOut, auth=True, proxy_scope=PROXY_SCOPE)
async def cancel_booking(request: Request, booking_id: str, *, actor: Principal) -> BookingOut:
    acting = await service.acting_actor(actor=actor, booking_id=booking_id)
    booking = await service.cancel(
        actor=acting,
        booking_id=booking_id,
        cipher=request.app.ctx.runtime.cipher,
        policies=booking_policies(request),
    )
    await record_implicit_proxy(request, asked=actor, used=acting, status=200)
    return BookingOut.from_domain(booking, request.ctx.locale)


@endpoint(
    summary="Confirm a held booking (or a place offered from the waitlist) before it runs out",
    tag=TAG,
    response=BookingOut,
    auth=True,
    proxy_scope=PROXY_SCOPE,
)
async def confirm_booking(request: Request, booking_id: str, *, actor: Principal) -> BookingOut:
    acting = await service.acting_actor(actor=actor, booking_id=booking_id)
    booking = await service.confirm_hold(
        actor=acting,
        booking_id=booking_id,
        cipher=request.app.ctx.runtime.cipher,
        policies=booking_policies(request),
    )
    await record_implicit_proxy(request, asked=actor, used=acting, status=200)
    return BookingOut.from_domain(booking, request.ctx.locale)


@endpoint(
    summary="Staff: check a person in by their code",
    tag=TAG,
    body=CheckInIn,
    response=BookingOut,
    auth=True,
)
async def check_in(request: Request, booking_id: str, *, body: CheckInIn, actor: Principal) -> BookingOut:
    booking = await service.check_in(
        actor=actor, code=body.code, booking_id=booking_id, cipher=request.app.ctx.runtime.cipher
    )
    return BookingOut.from_domain(booking, request.ctx.locale)


@endpoint(
    summary="Staff: approve or deny a booking that needs approval",
    tag=TAG,
    body=DecisionIn,
    response=BookingOut,
    auth=True,
)
async def decide(request: Request, booking_id: str, *, body: DecisionIn, actor: Principal) -> BookingOut:
    booking = await service.decide(
        actor=actor,
        booking_id=booking_id,
        approve=body.approve,
        cipher=request.app.ctx.runtime.cipher,
        policies=booking_policies(request),
    )
    return BookingOut.from_domain(booking, request.ctx.locale)


@endpoint(
    limit="bookings.create",
    summary="Join the waitlist of a full slot",
    tag=TAG,
    body=WaitlistIn,
    response=WaitlistOut,
    status=201,
    auth=True,
    proxy_scope=PROXY_SCOPE,
    description="When a place frees up it is held for the first person waiting, who confirms it.",
)
async def join_waitlist(request: Request, slot_id: str, *, body: WaitlistIn, actor: Principal) -> WaitlistOut:
    entry = await service.join_waitlist(
        actor=actor, slot_id=slot_id, party_size=body.party_size, policies=booking_policies(request)
    )
    return WaitlistOut.from_domain(entry)


@endpoint(
    summary="My bookings and those of the people I act for now, newest first",
    tag=TAG,
    query=ListQuery,
    response=BookingPage,
    auth=True,
)
async def my_bookings(request: Request, *, query: ListQuery, actor: Principal) -> BookingPage:
    page = await service.list_bookings_for(user_id=actor.user_id, limit=query.limit, cursor=query.cursor)
    return _page(page, request.ctx.locale)


@endpoint(
    summary="Staff: the bookings of a resource",
    tag=TAG,
    query=StaffBookingsQuery,
    response=BookingPage,
    auth=True,
)
async def resource_bookings(
    request: Request, resource_id: str, *, query: StaffBookingsQuery, actor: Principal
) -> BookingPage:
    page = await service.list_bookings_of_resource(
        actor=actor,
        resource_id=resource_id,
        date=query.date,
        status=query.status,
        limit=query.limit,
        cursor=query.cursor,
    )
    return _page(page, request.ctx.locale)


def create_blueprint() -> Blueprint:
    """A fresh blueprint with the booking routes (the composition's API group puts them under /api/v1)."""
    bp = Blueprint("bookings")
    bp.add_route(get_resource, "/resources/<resource_id>", methods=["GET"])
    bp.add_route(list_slots, "/resources/<resource_id>/slots", methods=["GET"])
    bp.add_route(create_booking, "/bookings", methods=["POST"])
    bp.add_route(get_booking, "/bookings/<booking_id>", methods=["GET"])
    bp.add_route(cancel_booking, "/bookings/<booking_id>/cancel", methods=["POST"])
    bp.add_route(confirm_booking, "/bookings/<booking_id>/confirm", methods=["POST"])
    bp.add_route(check_in, "/bookings/<booking_id>/check-in", methods=["POST"])
    bp.add_route(decide, "/bookings/<booking_id>/decision", methods=["POST"])
    bp.add_route(join_waitlist, "/slots/<slot_id>/waitlist", methods=["POST"])
    bp.add_route(my_bookings, "/me/bookings", methods=["GET"])
    bp.add_route(resource_bookings, "/staff/resources/<resource_id>/bookings", methods=["GET"])
    return bp
