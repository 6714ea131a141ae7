"""Access-token verification (services/accounts/tokens.py) is our own HS256 check (issue 12): it accepts
what we issue and never accepts what jwt.decode with the previous options refuses."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from services.accounts.tokens import issue_access_token, verify_access_token
from services.common.errors import Unauthenticated

SECRET = "s" * 64


def _reference(token: str, secret: str = SECRET) -> str:
    # What authentication did before: jwt.decode with these options.
    try:
        jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            audience="citizen-api",
            options={"require": ["exp", "sub", "jti"]},
        )
        return "ok"
    except jwt.ExpiredSignatureError:
        return "auth.token_expired"
    except jwt.InvalidTokenError:
        return "auth.token_invalid"


def _ours(token: str, secret: str = SECRET) -> str:
    try:
        verify_access_token(token, secret=secret)
        return "ok"
    except Unauthenticated as error:
        return error.code


def _sign(
    claims: dict, *, secret: str = SECRET, algorithm: str = "HS256", headers: dict | None = None
) -> str:
    return jwt.encode(claims, None if algorithm == "none" else secret, algorithm=algorithm, headers=headers)


def _claims(**changes) -> dict:
    now = int(time.time())
    claims = {
        "sub": str(uuid.uuid4()),
        "aud": "citizen-api",
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def test_issued_tokens_verify_with_their_claims() -> None:
    user_id = uuid.uuid4()
    token = issue_access_token(user_id=user_id, secret=SECRET, ttl_s=600, session_id="family-1")
    claims = verify_access_token(token, secret=SECRET)
    assert (claims.user_id, claims.session_id) == (user_id, "family-1")
    assert claims.jti == jwt.decode(token, SECRET, algorithms=["HS256"], audience="citizen-api")["jti"]
    assert (
        verify_access_token(
            issue_access_token(user_id=user_id, secret=SECRET, ttl_s=60), secret=SECRET
        ).session_id
        is None
    )


def _cases() -> list[tuple[str, str]]:
    good = _sign(_claims())
    head, payload, sig = good.split(".")
    now = int(time.time())
    return [
        ("valid", good),
        ("aud list", _sign(_claims(aud=["other", "citizen-api"]))),
        ("expired", _sign(_claims(exp=now - 1))),
        ("expires now", _sign(_claims(exp=now - 0))),
        ("wrong audience", _sign(_claims(aud="other"))),
        ("no audience", _sign(_claims(aud=None))),
        ("no exp", _sign(_claims(exp=None))),
        ("no sub", _sign(_claims(sub=None))),
        ("no jti", _sign(_claims(jti=None))),
        ("sub not a uuid", _sign(_claims(sub="root"))),
        ("exp a string", _sign(_claims(exp="9999999999"))),
        ("not yet valid", _sign(_claims(nbf=now + 600))),
        ("issued in the future", _sign(_claims(iat=now + 600))),
        ("other secret", _sign(_claims(), secret="t" * 64)),
        ("HS512", _sign(_claims(), algorithm="HS512")),
        ("alg none", _sign(_claims(), algorithm="none")),
        ("kid header", _sign(_claims(), headers={"kid": "x"})),
        ("tampered payload", f"{head}.{_sign(_claims(sub=str(uuid.uuid4()))).split('.')[1]}.{sig}"),
        ("signature cut", f"{head}.{payload}.{sig[:-2]}"),
        ("signature junk", f"{head}.{payload}.{sig[:-1]}!"),
        ("two parts", f"{head}.{payload}"),
        ("empty", ""),
        ("garbage", "not.a.token"),
    ]


@pytest.mark.parametrize(("name", "token"), _cases(), ids=[name for name, _ in _cases()])
def test_never_more_permissive_than_jwt_decode(name: str, token: str) -> None:
    ours, reference = _ours(token), _reference(token)
    if ours == "ok":
        assert reference == "ok", name
    if reference != "ok" and name not in {"sub not a uuid"}:
        assert ours == reference or ours == "auth.token_invalid", name
    if name in {"valid", "aud list"}:
        assert ours == "ok"
    if name in {"expired", "expires now"}:
        assert ours == "auth.token_expired"
    if name not in {"valid", "aud list"}:
        assert ours != "ok", name
