"""Helpers shared by the accounts API tests: sign in through the WeChat sandbox, verify, invite."""

from __future__ import annotations

from typing import Any

import httpx

from integrations.sandbox.identity import make_id_number

__all__ = ["bearer", "bind_phone", "make_id_number", "sign_in", "verified_user"]


async def login_code(client: httpx.AsyncClient, **identity: Any) -> str:
    """A fresh single-use wx.login code from the WeChat sandbox (optionally for a given openid/unionid)."""
    response = await client.post("/sandbox/wechat/__control/login-codes", json=identity)
    assert response.status_code == 201, response.text
    return response.json()["code"]


async def sign_in(client: httpx.AsyncClient, **identity: Any) -> dict[str, Any]:
    """Sign in like the mini-program does; returns the sign-in body."""
    code = await login_code(client, **identity)
    response = await client.post("/api/v1/auth/wechat-login", json={"code": code})
    assert response.status_code == 200, response.text
    return response.json()


def bearer(session: dict[str, Any], **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['access_token']}", **extra}


async def bind_phone(client: httpx.AsyncClient, session: dict[str, Any], phone: str) -> httpx.Response:
    code = (await client.post("/sandbox/wechat/__control/phone-codes", json={"phone_number": phone})).json()[
        "code"
    ]
    return await client.post("/api/v1/me/phone", json={"code": code}, headers=bearer(session))


async def verified_user(
    client: httpx.AsyncClient,
    *,
    phone: str = "13912345678",
    name: str = "张三丰",
    id_number: str | None = None,
) -> dict[str, Any]:
    """Sign in, bind a phone and verify identity; returns the sign-in body."""
    session = await sign_in(client)
    assert (await bind_phone(client, session, phone)).status_code == 200
    response = await client.post(
        "/api/v1/me/identity",
        json={"name": name, "id_number": id_number or make_id_number()},
        headers=bearer(session),
    )
    assert response.status_code == 200, response.text
    return session
