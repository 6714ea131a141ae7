"""Access tokens: short-lived signed JWTs. (Refresh tokens live in the database; see service.py.)"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import re
import time
import uuid
from functools import lru_cache

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


# Verification is done here rather than by jwt.decode (issue 12: PyJWT's per-call option merging,
# per-character segment checks, key preparation and claim validation were a third of authentication's
# CPU). It is stricter than jwt.decode with our options: the header must be exactly the one
# issue_access_token writes (so HS256, no `alg` or `kid` games), the signature is compared in its
# canonical encoding in constant time, and exp, aud, sub and jti are required (nbf and iat checked
# when present). tests/unit/test_accounts_tokens.py checks it never accepts what jwt.decode refuses.
_HEADER = jwt.encode({}, "k" * 32, algorithm=_ALGORITHM).partition(".")[0]
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


@lru_cache(maxsize=4)
def _signer(secret: str) -> hmac.HMAC:
    return hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def verify_access_token(token: str, *, secret: str) -> AccessClaims:
    """The claims of a valid token; anything else (expired, forged, malformed) is Unauthenticated."""
    header, _, rest = token.partition(".")
    payload, dot, signature = rest.partition(".")
    if header != _HEADER or not dot or not _SEGMENT.fullmatch(payload) or not _SEGMENT.fullmatch(signature):
        raise Unauthenticated("auth.token_invalid")
    mac = _signer(secret).copy()
    mac.update(f"{header}.{payload}".encode("ascii"))
    expected = base64.urlsafe_b64encode(mac.digest()).rstrip(b"=")
    if not hmac.compare_digest(expected, signature.encode("ascii")):
        raise Unauthenticated("auth.token_invalid")
    try:
        claims = json.loads(_b64decode(payload))
        if not isinstance(claims, dict):
            raise ValueError("claims")
        exp, sub, jti, aud = claims["exp"], claims["sub"], claims["jti"], claims["aud"]
        if not (_is_int(exp) and isinstance(sub, str) and isinstance(jti, str)):
            raise ValueError("claims")
        if aud != _AUDIENCE and not (isinstance(aud, list) and _AUDIENCE in aud):
            raise ValueError("audience")
        now = time.time()  # as jwt.decode: the wall clock, not services.common.clock
        nbf, iat = claims.get("nbf"), claims.get("iat")
        if (nbf is not None and not (_is_int(nbf) and nbf <= now)) or (
            iat is not None and not (_is_int(iat) and iat <= now)
        ):
            raise ValueError("not yet valid")
        user_id = uuid.UUID(sub)
        session_id = claims.get("sid")
        if session_id is not None and not isinstance(session_id, str):
            raise ValueError("sid")
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        raise Unauthenticated("auth.token_invalid") from error
    if exp <= now:
        raise Unauthenticated("auth.token_expired")
    return AccessClaims(
        user_id=user_id,
        jti=jti,
        session_id=session_id,
        expires_at=dt.datetime.fromtimestamp(exp, dt.UTC),
    )
