"""The booking engine over HTTP: slots, bookings, waitlists, staff check-in and approval."""

from __future__ import annotations

from sanic import Blueprint, Request, Sanic

from citizen_api.endpoint import endpoint
from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent
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
from services.accounts import access
from services.accounts.principal import Principal
from services.bookings import service

__all__ = ["create_blueprint"]

TAG = "bookings"


def _page(page, locale: str) -> BookingPage:
    return BookingPage(
        items=[BookingOut.from_domain(b, locale) for b in page.items], next_cursor=page.next_cursor
    )


def create_blueprint() -> Blueprint:
    bp = Blueprint("bookings")

    @bp.listener("after_server_start")
    async def _signing_key(app: Sanic) -> None:
        # Waitlist promotions create bookings outside any request; they sign codes with this cipher.
        service.use_cipher(app.ctx.runtime.cipher)

    @bp.get("/api/v1/resources/<resource_id>")
    @endpoint(summary="A bookable resource and its rules", tag=TAG, response=ResourceOut)
    async def get_resource(request: Request, resource_id: str) -> ResourceOut:
        resource = await service.get_resource(resource_id=resource_id)
        return ResourceOut.from_domain(resource, request.ctx.locale)

    @bp.get("/api/v1/resources/<resource_id>/slots")
    @endpoint(summary="A day's slots with the places remaining", tag=TAG, query=SlotsQuery, response=SlotList)
    async def list_slots(request: Request, resource_id: str, *, query: SlotsQuery) -> SlotList:
        slots = await service.list_slots(resource_id=resource_id, date=query.date)
        return SlotList(items=[SlotOut.from_domain(slot) for slot in slots])

    @bp.post("/api/v1/bookings")
    @endpoint(
        limit="bookings.create",
        summary="Book a slot",
        tag=TAG,
        body=BookingIn,
        response=BookingOut,
        status=201,
        auth=True,
        proxy_scope="bookings",
        headers=[IDEMPOTENCY_HEADER],
        description="Send an Idempotency-Key: a retry with the same key and body returns the first answer.",
    )
    async def create_booking(request: Request, *, body: BookingIn, actor: Principal):
        if body.for_member is not None and body.for_member != actor.acting_for:
            # `for_member` in the body is the same request as the X-Acting-For header.
            actor = await access.act_for(actor=actor, subject=str(body.for_member), scope="bookings")
        cipher = request.app.ctx.runtime.cipher
        return await idempotent(
            request,
            actor=actor,
            route="bookings.create",
            payload=body,
            status=201,
            run=lambda: service.book(
                actor=actor,
                slot_id=body.slot_id,
                party_size=body.party_size,
                visitors=body.visitors,
                purpose=body.purpose,
                cipher=cipher,
            ),
            render=lambda booking: BookingOut.from_domain(booking, request.ctx.locale),
        )

    @bp.get("/api/v1/bookings/<booking_id>")
    @endpoint(
        summary="A booking with its check-in code",
        tag=TAG,
        response=BookingOut,
        auth=True,
        proxy_scope="bookings",
    )
    async def get_booking(request: Request, booking_id: str, *, actor: Principal) -> BookingOut:
        booking = await service.get_booking(actor=actor, booking_id=booking_id)
        return BookingOut.from_domain(booking, request.ctx.locale)

    @bp.post("/api/v1/bookings/<booking_id>/cancel")
    @endpoint(summary="Cancel a booking", tag=TAG, response=BookingOut, auth=True, proxy_scope="bookings")
    async def cancel_booking(request: Request, booking_id: str, *, actor: Principal) -> BookingOut:
        booking = await service.cancel(
            actor=actor, booking_id=booking_id, cipher=request.app.ctx.runtime.cipher
        )
        return BookingOut.from_domain(booking, request.ctx.locale)

    @bp.post("/api/v1/bookings/<booking_id>/confirm")
    @endpoint(
        summary="Confirm a held booking before its hold runs out",
        tag=TAG,
        response=BookingOut,
        auth=True,
        proxy_scope="bookings",
    )
    async def confirm_booking(request: Request, booking_id: str, *, actor: Principal) -> BookingOut:
        booking = await service.confirm_hold(
            actor=actor, booking_id=booking_id, cipher=request.app.ctx.runtime.cipher
        )
        return BookingOut.from_domain(booking, request.ctx.locale)

    @bp.post("/api/v1/bookings/<booking_id>/check-in")
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

    @bp.post("/api/v1/bookings/<booking_id>/decision")
    @endpoint(
        summary="Staff: approve or deny a booking that needs approval",
        tag=TAG,
        body=DecisionIn,
        response=BookingOut,
        auth=True,
    )
    async def decide(request: Request, booking_id: str, *, body: DecisionIn, actor: Principal) -> BookingOut:
        booking = await service.decide(
            actor=actor, booking_id=booking_id, approve=body.approve, cipher=request.app.ctx.runtime.cipher
        )
        return BookingOut.from_domain(booking, request.ctx.locale)

    @bp.post("/api/v1/slots/<slot_id>/waitlist")
    @endpoint(
        limit="bookings.create",
        summary="Join the waitlist of a full slot",
        tag=TAG,
        body=WaitlistIn,
        response=WaitlistOut,
        status=201,
        auth=True,
        proxy_scope="bookings",
    )
    async def join_waitlist(
        request: Request, slot_id: str, *, body: WaitlistIn, actor: Principal
    ) -> WaitlistOut:
        entry = await service.join_waitlist(actor=actor, slot_id=slot_id, party_size=body.party_size)
        return WaitlistOut.from_domain(entry)

    @bp.get("/api/v1/me/bookings")
    @endpoint(
        summary="My bookings and those made for me, newest first",
        tag=TAG,
        query=ListQuery,
        response=BookingPage,
        auth=True,
    )
    async def my_bookings(request: Request, *, query: ListQuery, actor: Principal) -> BookingPage:
        page = await service.list_bookings_for(user_id=actor.user_id, limit=query.limit, cursor=query.cursor)
        return _page(page, request.ctx.locale)

    @bp.get("/api/v1/staff/resources/<resource_id>/bookings")
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

    return bp
