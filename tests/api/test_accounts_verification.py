from __future__ import annotations

import httpx

from integrations.sandbox.identity import make_id_number
from services.accounts.enums import VerificationLevel
from services.accounts.models import User
from tests.api.accounts_helpers import bearer, bind_phone, sign_in, verified_user


async def test_me_patch__updates_preferences(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    response = await client.patch(
        "/api/v1/me",
        json={"locale": "en", "elder_mode": True, "notification_prefs": {"booking_reminders": False}},
        headers=bearer(session),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["locale"] == "en" and body["elder_mode"] is True
    assert body["notification_prefs"] == {"booking_reminders": False}
    # Preferences merge key by key.
    again = await client.patch(
        "/api/v1/me", json={"notification_prefs": {"case_updates": True}}, headers=bearer(session)
    )
    assert again.json()["notification_prefs"] == {"booking_reminders": False, "case_updates": True}
    assert (await client.get("/api/v1/me", headers=bearer(session))).json()["locale"] == "en"


async def test_me_patch__unknown_fields_are_422(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    for body in ({"level": "real_name"}, {"notification_prefs": {"spam": True}}, {"locale": "fr"}):
        response = await client.patch("/api/v1/me", json=body, headers=bearer(session))
        assert response.status_code == 422, body
    assert (await client.get("/api/v1/me", headers=bearer(session))).json()["level"] == "wechat"


async def test_me_patch__locale_preference_translates_errors(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    await client.patch("/api/v1/me", json={"locale": "en"}, headers=bearer(session))
    response = await client.post(
        "/api/v1/me/identity", json={"name": "Li Lei", "id_number": make_id_number()}, headers=bearer(session)
    )
    assert response.status_code == 403
    assert "verification" in response.json()["error"]["message"]


async def test_me__requires_sign_in(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/v1/me")).status_code == 401
    forged = await client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401


async def test_phone__code_flow_binds_masked_phone_and_raises_level(client: httpx.AsyncClient, db) -> None:
    session = await sign_in(client)
    response = await bind_phone(client, session, "13812345678")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["phone"] == "138****5678"
    assert body["level"] == "phone"
    user = await User.get(id=body["id"])
    assert user.phone_enc and "13812345678" not in user.phone_enc


async def test_phone__legacy_encrypted_flow(client: httpx.AsyncClient) -> None:
    session = await sign_in(client, openid="o-legacy-flow-00000000000000001")
    sealed = await client.post(
        "/sandbox/wechat/__control/encrypt",
        json={
            "openid": "o-legacy-flow-00000000000000001",
            "data": {"phoneNumber": "13700001111", "purePhoneNumber": "13700001111", "countryCode": "86"},
        },
    )
    assert sealed.status_code == 200, sealed.text
    response = await client.post("/api/v1/me/phone", json=sealed.json(), headers=bearer(session))
    assert response.status_code == 200, response.text
    assert response.json()["phone"] == "137****1111"


async def test_phone__legacy_flow_rejects_foreign_watermark(client: httpx.AsyncClient) -> None:
    session = await sign_in(client, openid="o-legacy-foreign-0000000000001")
    sealed = await client.post(
        "/sandbox/wechat/__control/encrypt",
        json={"openid": "o-legacy-foreign-0000000000001", "watermark_appid": "wx-someone-else"},
    )
    response = await client.post("/api/v1/me/phone", json=sealed.json(), headers=bearer(session))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wechat.decrypt_failed"
    assert (await client.get("/api/v1/me", headers=bearer(session))).json()["phone"] is None


async def test_phone__needs_code_or_encrypted_data(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    for body in ({}, {"encrypted_data": "abc"}, {"code": "x", "encrypted_data": "a", "iv": "b"}):
        assert (await client.post("/api/v1/me/phone", json=body, headers=bearer(session))).status_code == 422


async def test_phone__invalid_code_is_400(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    response = await client.post("/api/v1/me/phone", json={"code": "never-issued"}, headers=bearer(session))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wechat.code_invalid"


async def test_identity__needs_phone_first_with_next_step(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    response = await client.post(
        "/api/v1/me/identity", json={"name": "张三", "id_number": make_id_number()}, headers=bearer(session)
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "auth.verification_required"
    assert error["details"] == {"required": "phone", "current": "wechat", "next": "/api/v1/me/phone"}


async def test_identity__verified_account_shows_masked_identity(client: httpx.AsyncClient, db) -> None:
    id_number = make_id_number(serial="456")
    session = await verified_user(client, name="王小明", id_number=id_number)
    me = (await client.get("/api/v1/me", headers=bearer(session))).json()
    assert me["level"] == "real_name"
    assert me["name"] == "王**"
    assert me["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    stored = await User.get(id=me["id"])
    assert id_number not in (stored.id_number_enc or "") and "王小明" not in (stored.name_enc or "")


async def test_identity__bad_checksum_is_422(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    await bind_phone(client, session, "13812340000")
    good = make_id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    response = await client.post(
        "/api/v1/me/identity", json={"name": "张三", "id_number": bad}, headers=bearer(session)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "identity.id_number_invalid"


async def test_identity__impossible_birth_date_is_422(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    await bind_phone(client, session, "13812340001")
    first17 = "41900119900230123"  # 30 February
    from integrations.sandbox.identity import check_character

    response = await client.post(
        "/api/v1/me/identity",
        json={"name": "张三", "id_number": first17 + check_character(first17)},
        headers=bearer(session),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "identity.id_number_invalid"


async def test_identity__malformed_number_is_422(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    await bind_phone(client, session, "13812340002")
    response = await client.post(
        "/api/v1/me/identity", json={"name": "张三", "id_number": "12345"}, headers=bearer(session)
    )
    assert response.status_code == 422


async def test_identity__configured_mismatch_is_refused(client: httpx.AsyncClient) -> None:
    id_number = make_id_number(serial="777")
    await client.post("/sandbox/identity/__reject", json={"name": "李四", "id_number": id_number})
    try:
        session = await sign_in(client)
        await bind_phone(client, session, "13812340003")
        response = await client.post(
            "/api/v1/me/identity", json={"name": "李四", "id_number": id_number}, headers=bearer(session)
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "identity.mismatch"
        me = (await client.get("/api/v1/me", headers=bearer(session))).json()
        assert me["level"] == "phone" and me["id_number"] is None
    finally:
        await client.delete("/sandbox/identity/__reject")


async def test_identity__one_id_number_verifies_one_account(client: httpx.AsyncClient) -> None:
    id_number = make_id_number(serial="888")
    await verified_user(client, id_number=id_number)
    other = await sign_in(client)
    await bind_phone(client, other, "13812340004")
    response = await client.post(
        "/api/v1/me/identity", json={"name": "张三丰", "id_number": id_number}, headers=bearer(other)
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "identity.already_bound"


async def test_identity__attempts_are_rate_limited(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    await bind_phone(client, session, "13812340005")
    good = make_id_number()
    wrong = good[:17] + ("1" if good[17] != "1" else "2")  # a failed check character
    statuses = []
    for _ in range(6):
        response = await client.post(
            "/api/v1/me/identity", json={"name": "张三", "id_number": wrong}, headers=bearer(session)
        )
        statuses.append(response.status_code)
    assert statuses == [422] * 5 + [429]
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "identity.rate_limited"


async def test_identity__system_down_is_503_and_nothing_stored(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    await bind_phone(client, session, "13812340006")
    await client.post("/sandbox/identity/__faults", json={"down": True})
    try:
        response = await client.post(
            "/api/v1/me/identity",
            json={"name": "张三", "id_number": make_id_number()},
            headers=bearer(session),
        )
    finally:
        await client.delete("/sandbox/identity/__faults")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "integration.unavailable"
    assert (await client.get("/api/v1/me", headers=bearer(session))).json()["level"] == "phone"


async def test_verified_identity__for_other_domains(client: httpx.AsyncClient, runtime) -> None:
    from services.accounts.service import verified_identity

    id_number = make_id_number(serial="369")
    session = await verified_user(client, phone="13898765432", name="韦小宝", id_number=id_number)
    identity = await verified_identity(user_id=session["user"]["id"], cipher=runtime.cipher)
    assert identity is not None
    assert (identity.name, identity.id_number, identity.phone) == ("韦小宝", id_number, "13898765432")
    assert id_number not in repr(identity) and "韦小宝" not in repr(identity)
    unverified = await sign_in(client)
    assert await verified_identity(user_id=unverified["user"]["id"], cipher=runtime.cipher) is None


async def test_phone__non_mainland_number_is_422(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    code = (
        await client.post(
            "/sandbox/wechat/__control/phone-codes", json={"phone_number": "91234567", "country_code": "852"}
        )
    ).json()["code"]
    response = await client.post("/api/v1/me/phone", json={"code": code}, headers=bearer(session))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "phone.data_invalid"


async def test_phone__legacy_flow_needs_a_wechat_session(client: httpx.AsyncClient, settings) -> None:
    from tests.factories import auth_headers, make_user

    user = await make_user(level=VerificationLevel.WECHAT)  # never signed in through WeChat: no session key
    response = await client.post(
        "/api/v1/me/phone", json={"encrypted_data": "abc", "iv": "def"}, headers=auth_headers(user, settings)
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "phone.session_expired"


async def test_phone__attempts_are_rate_limited(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    statuses = [
        (
            await client.post("/api/v1/me/phone", json={"code": f"bogus-{i}"}, headers=bearer(session))
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
    assert (await client.post("/api/v1/me/phone", json={"code": "bogus"}, headers=bearer(session))).json()[
        "error"
    ]["code"] == "phone.rate_limited"


async def test_identity__verified_account_cannot_switch_identity(client: httpx.AsyncClient) -> None:
    session = await verified_user(client, id_number=make_id_number(serial="201"))
    response = await client.post(
        "/api/v1/me/identity",
        json={"name": "张三丰", "id_number": make_id_number(serial="202")},
        headers=bearer(session),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "identity.already_verified"
    # Repeating the same identity is harmless.
    same = await client.post(
        "/api/v1/me/identity",
        json={"name": "张三丰", "id_number": make_id_number(serial="201")},
        headers=bearer(session),
    )
    assert same.status_code == 200
