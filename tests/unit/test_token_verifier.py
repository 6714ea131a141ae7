"""TokenVerifier: access tokens verified once, their expiry checked on every use (issue 12)."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from services.accounts.tokens import TokenVerifier, issue_access_token
from services.common.errors import Unauthenticated

SECRET = "s" * 32


def _token(ttl_s: int = 60, *, secret: str = SECRET) -> str:
    return issue_access_token(user_id=uuid.uuid4(), secret=secret, ttl_s=ttl_s, session_id="sid-1")


def _tampered(token: str) -> str:
    # A character well inside the signature (the last one's low bits are padding, ignored when decoded).
    at = len(token) - 10
    return token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]


def test_verify__valid_token_gives_its_claims_every_time() -> None:
    verifier = TokenVerifier(SECRET)
    token = _token()
    first = verifier.verify(token)
    again = verifier.verify(token)
    assert again is first and first.session_id == "sid-1"
    assert len(verifier) == 1


def test_verify__a_remembered_token_still_expires() -> None:
    verifier = TokenVerifier(SECRET)
    token = _token(ttl_s=1)
    verifier.verify(token)
    time.sleep(max(0.0, jwt.decode(token, options={"verify_signature": False})["exp"] - time.time()) + 0.05)
    with pytest.raises(Unauthenticated) as expired:
        verifier.verify(token)
    assert expired.value.code == "auth.token_expired"
    assert len(verifier) == 0
    with pytest.raises(Unauthenticated):
        verifier.verify(token)  # and again, now decoded afresh


@pytest.mark.parametrize(
    "token",
    ["garbage", _token(secret="t" * 32), _tampered(_token())],
    ids=["malformed", "other-secret", "tampered-signature"],
)
def test_verify__invalid_tokens_are_refused_and_never_kept(token: str) -> None:
    verifier = TokenVerifier(SECRET)
    for _ in range(2):
        with pytest.raises(Unauthenticated) as refused:
            verifier.verify(token)
        assert refused.value.code == "auth.token_invalid"
    assert len(verifier) == 0


def test_verify__keeps_at_most_size_tokens_forgetting_the_oldest() -> None:
    verifier = TokenVerifier(SECRET, size=2)
    tokens = [_token() for _ in range(3)]
    claims = [verifier.verify(t) for t in tokens]
    assert len(verifier) == 2
    assert verifier.verify(tokens[2]) is claims[2]  # still remembered
    fresh = verifier.verify(tokens[0])  # forgotten: decoded again, same claims
    assert fresh is not claims[0] and fresh.jti == claims[0].jti
