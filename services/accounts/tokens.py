"""Access tokens: short-lived signed JWTs. (Refresh tokens live in the database; see service.py.)"""

from __future__ import annotations

import datetime as dt
import uuid

import jwt

from services.common import clock
from services.common.errors import Unauthenticated
from services.common.ids import new_id

__all__ = ["AccessClaims", "issue_access_token", "verify_access_token"]

_ALGORITHM = "HS256"
_AUDIENCE = "citizen-api"


class AccessClaims:
    __slots__ = ("expires_at", "jti", "session_id", "user_id")

    def __init__(self, *, user_id: uuid.UUID, jti: str, session_id: str | None, expires_at: dt.datetime):
        self.user_id = user_id
        self.jti = jti
        self.session_id = session_id
        self.expires_at = expires_at


def issue_access_token(*, user_id: uuid.UUID, secret: str, ttl_s: int, session_id: str | None = None) -> str:
    """A signed access token for `user_id`, valid `ttl_s` seconds."""
    now = clock.now()
    claims = {
        "sub": str(user_id),
        "aud": _AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(seconds=ttl_s)).timestamp()),
        "jti": str(new_id()),
    }
    if session_id:
        claims["sid"] = session_id
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def verify_access_token(token: str, *, secret: str) -> AccessClaims:
    """The claims of a valid token; anything else (expired, forged, malformed) is Unauthenticated."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[_ALGORITHM],
            audience=_AUDIENCE,
            options={"require": ["exp", "sub", "jti"]},
        )
        user_id = uuid.UUID(claims["sub"])
    except jwt.ExpiredSignatureError as error:
        raise Unauthenticated("auth.token_expired") from error
    except (jwt.InvalidTokenError, ValueError, KeyError) as error:
        raise Unauthenticated("auth.token_invalid") from error
    return AccessClaims(
        user_id=user_id,
        jti=claims["jti"],
        session_id=claims.get("sid"),
        expires_at=dt.datetime.fromtimestamp(claims["exp"], dt.UTC),
    )
