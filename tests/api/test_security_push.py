"""The WeChat push signature is only good for a few minutes: an old, valid signature is replayed."""

from __future__ import annotations

import hashlib
import time

import pytest


def _signed(token: str, timestamp: int, nonce: str = "n0nce") -> dict[str, str]:
    signature = hashlib.sha1("".join(sorted([token, str(timestamp), nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": str(timestamp), "nonce": nonce, "echostr": "77123"}


@pytest.fixture
def token(settings) -> str:
    return settings.wechat_push_token.get_secret_value()


async def test_push__fresh_signature_is_accepted(client, token) -> None:
    response = await client.get("/wechat/push", params=_signed(token, int(time.time()) - 30))
    assert response.status_code == 200 and response.text == "77123"


@pytest.mark.parametrize("age_s", [10 * 60, -10 * 60, 10**9])
async def test_push__correctly_signed_but_stale_or_future_is_403(client, token, settings, age_s: int) -> None:
    assert abs(age_s) > settings.wechat_push_max_age_s
    response = await client.get("/wechat/push", params=_signed(token, int(time.time()) - age_s))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wechat.push_signature_expired"


async def test_push__non_numeric_timestamp_is_403(client, token) -> None:
    response = await client.post(
        "/wechat/push", params=_signed(token, 0) | {"timestamp": "soon"}, content=b"{}"
    )
    assert response.status_code == 403
