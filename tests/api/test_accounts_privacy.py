"""PIPL rights and personal-data protection: export, deletion, key rotation, nothing personal in logs."""

from __future__ import annotations

import base64
import logging

import httpx
from pydantic import SecretStr

from citizen_api.runtime import build_cipher
from integrations.sandbox.identity import make_id_number
from services.accounts import service
from services.accounts.models import RefreshToken, User
from services.common.audit import verify_chain
from services.common.models import AuditEntry
from tests.api.accounts_helpers import bearer, bind_phone, sign_in, verified_user


async def test_export__returns_my_data_in_clear(client: httpx.AsyncClient, settings) -> None:
    id_number = make_id_number(serial="321")
    session = await verified_user(client, phone="13611112222", name="赵敏", id_number=id_number)
    response = await client.get("/api/v1/me/export", headers=bearer(session))
    assert response.status_code == 200
    data = response.json()
    account = data["account"]
    assert account["id"] == session["user"]["id"]
    assert (account["phone"], account["name"], account["id_number"]) == ("13611112222", "赵敏", id_number)
    assert data["consent"]["privacy_policy_version"] == settings.privacy_policy_version
    assert len(data["sessions"]) == 1 and "token_hash" not in str(data)
    actions = [e["action"] for e in data["audit_entries"]]
    assert {"auth.signed_in", "privacy.consented", "phone.bound", "identity.verified"} <= set(actions)
    assert "session_key" not in str(data)
    # Every domain holding personal data contributes its part (declared in the composition).
    assert {"bookings", "community", "gov", "notifications", "tourism"} <= set(data["domains"])


async def test_export__never_contains_another_users_data(client: httpx.AsyncClient) -> None:
    alice = await verified_user(
        client, phone="13611113333", name="爱丽丝", id_number=make_id_number(serial="111")
    )
    bob = await sign_in(client)
    data = (await client.get("/api/v1/me/export", headers=bearer(bob))).json()
    text = str(data)
    assert "13611113333" not in text and "爱丽丝" not in text and alice["user"]["id"] not in text


async def test_delete_me__anonymises_and_ends_sessions(client: httpx.AsyncClient, db) -> None:
    id_number = make_id_number(serial="654")
    session = await verified_user(client, phone="13622223333", name="周芷若", id_number=id_number)
    user_id = session["user"]["id"]
    openid = (await User.get(id=user_id)).openid
    response = await client.delete("/api/v1/me", headers=bearer(session))
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer(session))).status_code == 401
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 401
    row = await User.get(id=user_id)
    assert row.deleted_at is not None and row.openid != openid
    assert not any([row.phone_enc, row.phone_index, row.name_enc, row.id_number_enc, row.id_number_index])
    assert row.unionid is None and row.session_key_enc is None
    assert await RefreshToken.filter(user_id=user_id, revoked_at=None).count() == 0
    assert await AuditEntry.filter(action="account.deleted", actor_id=user_id).count() == 1
    report = await verify_chain()
    assert report.ok, report.describe()


async def test_delete_me__same_wechat_user_starts_afresh(client: httpx.AsyncClient) -> None:
    id_number = make_id_number(serial="655")
    first = await verified_user(client, id_number=id_number)
    openid = (await User.get(id=first["user"]["id"])).openid
    await client.delete("/api/v1/me", headers=bearer(first))
    again = await sign_in(client, openid=openid)
    assert again["user"]["id"] != first["user"]["id"]
    assert again["user"]["level"] == "wechat"
    # The identity is free again: the deleted account no longer holds its blind index.
    await bind_phone(client, again, "13622224444")
    reverified = await client.post(
        "/api/v1/me/identity", json={"name": "张三丰", "id_number": id_number}, headers=bearer(again)
    )
    assert reverified.status_code == 200


async def test_pii__old_rows_readable_after_key_rotation(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    id_number = make_id_number(serial="999")
    session = await verified_user(client, phone="13633334444", name="张无忌", id_number=id_number)
    user_id = session["user"]["id"]
    assert (await User.get(id=user_id)).id_number_enc.startswith("k1:")
    original = runtime.cipher
    new_key = SecretStr(base64.b64encode(b"new-key-32-bytes-for-testing-000").decode())
    keys = {"k1": settings.pii_keys["k1"], "k2": new_key}
    try:
        runtime.cipher = build_cipher(
            settings.model_copy(update={"pii_keys": keys, "pii_active_key_id": "k2"})
        )
        export = (await client.get("/api/v1/me/export", headers=bearer(session))).json()["account"]
        assert (export["phone"], export["name"], export["id_number"]) == ("13633334444", "张无忌", id_number)
        assert (await bind_phone(client, session, "13633335555")).status_code == 200
        row = await User.get(id=user_id)
        assert row.phone_enc.startswith("k2:") and row.id_number_enc.startswith("k1:")
        # The blind index does not depend on the encryption key: lookups keep working.
        assert row.id_number_index == original.blind_index(id_number, purpose="id_number")
        assert await service.reencrypt_pii(cipher=runtime.cipher) >= 1
        row = await User.get(id=user_id)
        assert all(v.startswith("k2:") for v in (row.phone_enc, row.name_enc, row.id_number_enc))
        # Once everything is re-encrypted the old key can be removed.
        only_new = {"k2": new_key}
        runtime.cipher = build_cipher(
            settings.model_copy(update={"pii_keys": only_new, "pii_active_key_id": "k2"})
        )
        me = (await client.get("/api/v1/me", headers=bearer(session))).json()
        assert me["phone"] == "136****5555" and me["name"] == "张**"
    finally:
        runtime.cipher = original


class _RawRecords(logging.Handler):
    """Sees every record before the PII scrubber rewrites it: our code must not even try to log PII."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        extras = " ".join(str(v) for v in record.__dict__.values())
        self.texts.append(f"{record.name}: {record.getMessage()} {extras}")


async def test_pii__absent_from_logs(client: httpx.AsyncClient) -> None:
    phone, legacy_phone, name, id_number = (
        "13644445555",
        "13644446666",
        "欧阳锋",
        make_id_number(serial="246"),
    )
    rejected_name, rejected_number = "黄药师", make_id_number(serial="135")
    root = logging.getLogger()
    raw = _RawRecords()
    previous_level = root.level
    root.handlers.insert(0, raw)
    root.setLevel(logging.DEBUG)
    try:
        session = await verified_user(client, phone=phone, name=name, id_number=id_number)
        sealed = await client.post(
            "/sandbox/wechat/__control/encrypt",
            json={
                "openid": (await User.get(id=session["user"]["id"])).openid,
                "data": {"phoneNumber": legacy_phone, "purePhoneNumber": legacy_phone, "countryCode": "86"},
            },
        )
        legacy = await client.post("/api/v1/me/phone", json=sealed.json(), headers=bearer(session))
        assert legacy.status_code == 200
        other = await sign_in(client)
        await bind_phone(client, other, "13644447777")
        await client.post(
            "/sandbox/identity/__reject", json={"name": rejected_name, "id_number": rejected_number}
        )
        refused = await client.post(
            "/api/v1/me/identity",
            json={"name": rejected_name, "id_number": rejected_number},
            headers=bearer(other),
        )
        assert refused.status_code == 422
        assert (await client.get("/api/v1/me/export", headers=bearer(session))).status_code == 200
    finally:
        root.removeHandler(raw)
        root.setLevel(previous_level)
        await client.delete("/sandbox/identity/__reject")
    assert raw.texts, "nothing was logged at all: the capture is not working"
    for secret in (phone, legacy_phone, name, id_number, rejected_name, rejected_number, "13644447777"):
        leaks = [text for text in raw.texts if secret in text]
        assert not leaks, f"{secret!r} reached the logs: {leaks[:2]}"
