"""WeChat errcodes as the citizen sees them: status, error code and a message in their language.

Driven through the sign-in endpoint against the WeChat sandbox mounted on the API (strict mode).
"""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
async def wechat(settings) -> httpx.AsyncClient:
    async with httpx.AsyncClient(base_url=settings.sandbox_url("wechat")) as control:
        await control.post("/__control/reset")
        yield control
        await control.post("/__control/reset")


async def _code(wechat: httpx.AsyncClient) -> str:
    return (await wechat.post("/__control/login-codes", json={})).json()["code"]


@pytest.mark.parametrize(
    ("setup", "status", "code", "english"),
    [
        ("high_risk", 403, "wechat.high_risk_user", "high risk"),
        ("quota", 429, "wechat.quota", "too many requests"),
        ("busy", 503, "integration.unavailable", "wechat"),
        ("unknown", 400, "wechat.code_invalid", "invalid or already used"),
    ],
)
async def test_sign_in__wechat_errcodes_become_translated_errors(
    client, wechat, setup, status, code, english
) -> None:
    login_code = await _code(wechat)
    if setup == "high_risk":
        await wechat.post("/__control/config", json={"high_risk_codes": [login_code]})
    elif setup == "quota":
        await wechat.post(
            "/__control/config", json={"inject": [{"errcode": 45011, "times": 1, "api": "jscode2session"}]}
        )
    elif setup == "busy":
        await wechat.post(
            "/__control/config", json={"inject": [{"errcode": -1, "times": 10, "api": "jscode2session"}]}
        )
    else:
        login_code = "never-issued"
    en = await client.post(
        "/api/v1/auth/wechat-login", json={"code": login_code}, headers={"Accept-Language": "en"}
    )
    assert en.status_code == status
    assert en.json()["error"]["code"] == code
    assert english in en.json()["error"]["message"].lower()


async def test_sign_in__zh_cn_message_by_default(client, wechat) -> None:
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "never-issued"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "微信登录凭证无效或已使用，请重新进入小程序后再试。"


async def test_sign_in__busy_twice_is_retried_transparently(client, wechat) -> None:
    login_code = await _code(wechat)
    await wechat.post(
        "/__control/config", json={"inject": [{"errcode": -1, "times": 2, "api": "jscode2session"}]}
    )
    response = await client.post("/api/v1/auth/wechat-login", json={"code": login_code})
    assert response.status_code == 200
    assert response.json()["access_token"]
    assert "session_key" not in response.text
