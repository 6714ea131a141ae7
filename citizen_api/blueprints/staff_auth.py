"""Staff sign-in for the web console (password + TOTP); refresh and logout are the API's own."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import client_ip, endpoint, rate_limiter
from citizen_api.schemas.accounts import SignInOut
from citizen_api.schemas.ops import StaffSignInIn
from services.accounts import service as accounts
from services.ops import staff_auth

__all__ = ["create_blueprint"]


@endpoint(
    limited=True,
    summary="Staff sign-in for the console: username, password and authenticator code",
    description="Returns the same token pair as the mini-program's sign-in; refresh with /api/v1/auth/refresh "
    "and sign out with /api/v1/auth/logout. Five refused attempts in a row lock the account for 15 minutes.",
    tag="staff auth",
    body=StaffSignInIn,
    response=SignInOut,
)
async def staff_sign_in(request: Request, *, body: StaffSignInIn) -> SignInOut:
    rt = request.app.ctx.runtime
    settings = rt.settings
    signed = await staff_auth.sign_in(
        username=body.username,
        password=body.password,
        code=body.code,
        cipher=rt.cipher,
        tokens=accounts.SessionTokens(
            secret=settings.secret_key.get_secret_value(),
            access_ttl_s=settings.access_token_ttl_s,
            refresh_ttl_s=settings.refresh_token_ttl_s,
            principals=rt.principals,
        ),
        limiter=rate_limiter(request),
        client_ip=client_ip(request),
    )
    return SignInOut.from_domain(signed)


def create_blueprint() -> Blueprint:
    bp = Blueprint("staff_auth")
    bp.add_route(staff_sign_in, "/staff/auth/sign-in", methods=["POST"])
    return bp
