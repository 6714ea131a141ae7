"""The HTTP edge refuses what the database cannot store or should never see: NUL bytes."""

from __future__ import annotations

import httpx
import pytest

from tests.api.accounts_helpers import bearer, sign_in
from tests.factories import auth_headers, make_user


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/search?q=park%00",
        "/api/v1/gov/items?q=%00",
        "/api/v1/communities?q=a%00b",
        "/api/v1/gov/items/abc%00def",
        "/api/v1/tourism/scenic-areas?lang=en%00",
    ],
)
async def test_edge__nul_byte_in_url_is_422(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "request.nul_byte"
    assert "NUL" in error["message"]


async def test_edge__nul_byte_in_json_body_is_422_in_chinese(client: httpx.AsyncClient, db, settings) -> None:
    user = await make_user()
    response = await client.post(
        "/api/v1/community/reports",
        content=b'{"category": "road", "description": "pothole\\u0000here", "latitude": 35.09, "longitude": 112.6}',
        headers=auth_headers(user, settings, **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "request.nul_byte"
    assert "NUL" in error["message"] and "请求" in error["message"]


async def test_edge__nul_byte_in_nested_json_and_form_is_422(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    nested = await client.patch(
        "/api/v1/me", json={"notification_prefs": {"x\u0000": True}}, headers=bearer(session)
    )
    assert nested.status_code == 422 and nested.json()["error"]["code"] == "request.nul_byte"
    form = await client.post(
        "/open311/v2/requests.json", data={"service_code": "road", "description": "a\u0000b"}
    )
    assert form.status_code == 422 and form.json()["error"]["code"] == "request.nul_byte"


async def test_edge__escaped_backslash_before_u0000_is_plain_text(client: httpx.AsyncClient) -> None:
    # `\\u0000` in JSON is a backslash followed by the letters u0000, not a NUL byte.
    session = await sign_in(client)
    response = await client.patch(
        "/api/v1/me",
        content=b'{"locale": "\\\\u0000"}',
        headers=bearer(session, **{"Content-Type": "application/json"}),
    )
    assert response.json().get("error", {}).get("code") != "request.nul_byte"
