"""GET /api/v1/home: the home screen, standard or elder mode (适老化)."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import endpoint
from citizen_api.schemas.home import HomeOut, HomeQuery
from services.accounts import family
from services.accounts import service as accounts
from services.accounts.principal import Principal
from services.bookings import service as bookings
from services.common import timeline
from services.home import service

__all__ = ["create_blueprint"]

_LOOKAHEAD = 50  # the reader's newest bookings and cases considered for the next action


@endpoint(
    summary="The home screen: the five domains, or the reduced elder-mode set with the next action first",
    tag="home",
    query=HomeQuery,
    response=HomeOut,
    optional_auth=True,
    description="Anonymous callers choose with ?mode=elder; signed in, the profile's elder_mode flag decides "
    "unless ?mode= is given. Signed in, a booking today or a case waiting for more materials comes first.",
)
async def home(request: Request, *, query: HomeQuery, actor: Principal | None) -> HomeOut:
    locale = request.ctx.locale
    if actor is None:
        mode = service.resolve_mode(query.mode, elder_flag=False)
        return HomeOut.from_domain(service.build_home(mode=mode, locale=locale))
    runtime = request.app.ctx.runtime
    profile = await accounts.get_profile(actor=actor, cipher=runtime.cipher)
    mode = service.resolve_mode(query.mode, elder_flag=profile.elder_mode)
    booking_page = await bookings.list_bookings_for(user_id=actor.user_id, limit=_LOOKAHEAD)
    case_page = await timeline.my_cases(
        actor=actor,
        sources=runtime.timeline_sources,
        family=family,
        locale=locale,
        limit=_LOOKAHEAD,
    )
    view = service.build_home(mode=mode, locale=locale, bookings=booking_page.items, cases=case_page.items)
    return HomeOut.from_domain(view)


def create_blueprint() -> Blueprint:
    bp = Blueprint("home")
    bp.add_route(home, "/home", methods=["GET"])
    return bp
