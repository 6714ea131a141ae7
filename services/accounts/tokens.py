"""Access tokens: short-lived signed JWTs. (Refresh tokens live in the database; see service.py.)"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import jwt

from services.common import clock
from services.common.errors import Unauthenticated
from services.common.ids import new_id

__all__ = ["AccessClaims", "TokenVerifier", "issue_access_token", "verify_access_token"]

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


class TokenVerifier:
    """`verify_access_token` that remembers the tokens it found valid (issue 12: decoding and checking
    the signature was ~8% of an authenticated request's CPU).

    The verdict on a token's signature, audience and claims cannot change, so a token seen valid
    before only has its expiry checked again, against the same clock PyJWT uses. Invalid tokens are
    not kept (nobody can fill the cache by sending garbage), and at most `size` valid ones are: the
    oldest is forgotten first. Revocation is not decided here: the caller still asks the
    RevocationStore on every request.
    """

    __slots__ = ("_secret", "_size", "_valid")

    def __init__(self, secret: str, *, size: int = 4096) -> None:
        self._secret = secret
        self._size = size
        self._valid: dict[str, tuple[float, AccessClaims]] = {}

    def __len__(self) -> int:
        return len(self._valid)

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; anything else is Unauthenticated, as `verify_access_token`."""
        seen = self._valid.get(token)
        if seen is not None:
            expires, claims = seen
            if expires > time.time():  # PyJWT: expired when exp <= now
                return claims
            del self._valid[token]
            raise Unauthenticated("auth.token_expired")
        claims = verify_access_token(token, secret=self._secret)
        if len(self._valid) >= self._size:
            del self._valid[next(iter(self._valid))]
        self._valid[token] = (claims.expires_at.timestamp(), claims)
        return claims
