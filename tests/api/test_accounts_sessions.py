from __future__ import annotations

import httpx

from services.common.audit import verify_chain
from services.common.models import AuditEntry
from tests.api.accounts_helpers import bearer, login_code, sign_in


async def test_wechat_login__creates_account_and_returns_session(client: httpx.AsyncClient, settings) -> None:
    body = await sign_in(client)
    assert body["access_token"] and body["refresh_token"]
    assert body["expires_in"] == settings.access_token_ttl_s
    user = body["user"]
    assert user["level"] == "wechat"
    assert user["privacy_policy_version"] == settings.privacy_policy_version
    assert "session_key" not in str(body)
    me = await client.get("/api/v1/me", headers=bearer(body))
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]


async def test_wechat_login__same_openid_finds_same_account(client: httpx.AsyncClient) -> None:
    first = await sign_in(client, openid="o-same-person-000000000000001")
    second = await sign_in(client, openid="o-same-person-000000000000001")
    assert first["user"]["id"] == second["user"]["id"]


async def test_wechat_login__unionid_finds_account(client: httpx.AsyncClient) -> None:
    first = await sign_in(client, openid="o-app-a-00000000000000000001", unionid="u-union-1")
    again = await sign_in(client, openid="o-app-a-00000000000000000001", unionid="u-union-1")
    assert first["user"]["id"] == again["user"]["id"]


async def test_wechat_login__records_sign_in_and_consent_in_audit(client: httpx.AsyncClient, db) -> None:
    body = await sign_in(client)
    actions = (
        await AuditEntry.filter(actor_id=body["user"]["id"]).order_by("seq").values_list("action", flat=True)
    )
    assert actions == ["auth.signed_in", "privacy.consented"]
    assert (await verify_chain()).ok


async def test_wechat_login__used_code_is_400(client: httpx.AsyncClient) -> None:
    code = await login_code(client)
    assert (await client.post("/api/v1/auth/wechat-login", json={"code": code})).status_code == 200
    again = await client.post("/api/v1/auth/wechat-login", json={"code": code})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "wechat.code_invalid"


async def test_wechat_login__unknown_field_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/wechat-login", json={"code": "x", "openid": "forged"})
    assert response.status_code == 422


async def test_wechat_login__same_code_repeated_is_rate_limited(client: httpx.AsyncClient) -> None:
    statuses = [
        (await client.post("/api/v1/auth/wechat-login", json={"code": "hammered-code"})).status_code
        for _ in range(4)
    ]
    assert statuses[:3] == [400, 400, 400]
    limited = await client.post("/api/v1/auth/wechat-login", json={"code": "hammered-code"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "auth.signin_rate_limited"


async def test_refresh__rotates_tokens(client: httpx.AsyncClient) -> None:
    body = await sign_in(client)
    rotated = await client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert rotated.status_code == 200
    new = rotated.json()
    assert new["refresh_token"] != body["refresh_token"]
    assert new["user"]["id"] == body["user"]["id"]
    assert (await client.get("/api/v1/me", headers=bearer(new))).status_code == 200
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert again.status_code == 200


async def test_refresh__reuse_of_rotated_token_revokes_whole_family(client: httpx.AsyncClient, db) -> None:
    body = await sign_in(client)
    stolen = body["refresh_token"]
    legit = (await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})).json()
    reused = await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "auth.refresh_reused"
    # The legitimate holder's newer tokens of the same session are dead too.
    after = await client.post("/api/v1/auth/refresh", json={"refresh_token": legit["refresh_token"]})
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "auth.refresh_invalid"
    me = await client.get("/api/v1/me", headers=bearer(legit))
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "auth.token_revoked"
    assert await AuditEntry.filter(action="auth.refresh_reused").count() == 1


async def test_refresh__other_sessions_survive_reuse(client: httpx.AsyncClient) -> None:
    phone_session = await sign_in(client, openid="o-two-devices-000000000000001")
    other = await sign_in(client, openid="o-two-devices-000000000000001")
    stolen = phone_session["refresh_token"]
    await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})
    await client.post("/api/v1/auth/refresh", json={"refresh_token": stolen})
    assert (await client.get("/api/v1/me", headers=bearer(other))).status_code == 200
    assert (
        await client.post("/api/v1/auth/refresh", json={"refresh_token": other["refresh_token"]})
    ).status_code == 200


async def test_refresh__unknown_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 43})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.refresh_invalid"


async def test_logout__revokes_access_and_refresh_tokens(client: httpx.AsyncClient) -> None:
    body = await sign_in(client)
    out = await client.post("/api/v1/auth/logout", json={}, headers=bearer(body))
    assert out.status_code == 204
    me = await client.get("/api/v1/me", headers=bearer(body))
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "auth.token_revoked"
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 401


async def test_logout__jti_deny_listed_in_redis_until_expiry(client: httpx.AsyncClient, runtime) -> None:
    from services.accounts.tokens import verify_access_token

    body = await sign_in(client)
    claims = verify_access_token(body["access_token"], secret=runtime.settings.secret_key.get_secret_value())
    await client.post("/api/v1/auth/logout", json={}, headers=bearer(body))
    ttl = await runtime.redis.ttl(runtime.keys("revoked-jti", claims.jti))
    assert 0 < ttl <= runtime.settings.access_token_ttl_s + 1


async def test_logout__requires_sign_in(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/auth/logout", json={})).status_code == 401


async def test_wechat_login__high_risk_user_is_403(client: httpx.AsyncClient) -> None:
    code = await login_code(client)
    await client.post("/sandbox/wechat/__control/config", json={"high_risk_codes": [code]})
    try:
        response = await client.post("/api/v1/auth/wechat-login", json={"code": code})
    finally:
        await client.post("/sandbox/wechat/__control/config", json={"high_risk_codes": []})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "wechat.high_risk_user"


async def test_wechat_login__wechat_quota_is_429(client: httpx.AsyncClient) -> None:
    code = await login_code(client)
    await client.post(
        "/sandbox/wechat/__control/config", json={"inject": [{"errcode": 45011, "api": "jscode2session"}]}
    )
    response = await client.post("/api/v1/auth/wechat-login", json={"code": code})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "wechat.quota"
    # Nothing was created, and the code still works once WeChat answers again.
    assert (await client.post("/api/v1/auth/wechat-login", json={"code": code})).status_code == 200


async def test_wechat_login__per_ip_limit(client: httpx.AsyncClient) -> None:
    from services.accounts.service import SIGN_IN_PER_IP

    allowed = SIGN_IN_PER_IP.item.amount
    statuses = [
        (await client.post("/api/v1/auth/wechat-login", json={"code": f"never-issued-{i}"})).status_code
        for i in range(allowed + 1)
    ]
    assert set(statuses[:allowed]) == {400}
    assert statuses[allowed] == 429


async def test_session__access_token_of_deleted_user_is_refused(client: httpx.AsyncClient) -> None:
    body = await sign_in(client)
    assert (await client.delete("/api/v1/me", headers=bearer(body))).status_code == 204
    response = await client.get("/api/v1/me", headers=bearer(body))
    assert response.status_code == 401


async def test_openapi__documents_accounts_routes(openapi_document: dict) -> None:
    paths = openapi_document["paths"]
    for path in (
        "/api/v1/auth/wechat-login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/me/phone",
        "/api/v1/me/identity",
        "/api/v1/me/family",
        "/api/v1/me/proxy-log",
        "/api/v1/me/export",
    ):
        assert path in paths, path
    login = paths["/api/v1/auth/wechat-login"]["post"]
    assert "requestBody" in login and "200" in login["responses"]
