"""The WeChat adapter against the WeChat sandbox on loopback: every errcode path, crypto, token refresh."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio as aioredis

from integrations.errors import IntegrationUnavailable
from integrations.sandbox import SandboxOptions, create_sandbox_app
from integrations.sandbox.wechat import derive_openid, derive_phone
from integrations.wechat import (
    DecryptFailed,
    HighRiskUser,
    LoginCodeInvalid,
    MiniProgramApi,
    QuotaExceeded,
    SubscribeConsentMissing,
    WeChatBusy,
    WxSession,
)
from services.common.cache import Keys, create_redis
from tests.conftest import free_port, start_server, stop_server

APPID = "wx0000000000demo"


@dataclass
class Rig:
    client: MiniProgramApi
    control: httpx.AsyncClient
    redis: object
    keys: Keys

    async def login_code(self, **body: str) -> dict:
        response = await self.control.post("/__control/login-codes", json=body)
        assert response.status_code == 201
        return response.json()

    async def phone_code(self, **body: str) -> dict:
        response = await self.control.post("/__control/phone-codes", json=body)
        assert response.status_code == 201
        return response.json()

    async def configure(self, **body: object) -> dict:
        return (await self.control.post("/__control/config", json=body)).json()

    async def counters(self) -> dict:
        return (await self.control.get("/__control/state")).json()["counters"]


@pytest.fixture
async def rig(redis_url: str | None) -> AsyncIterator[Rig]:
    """A standalone (strict, non-permissive) WeChat sandbox, a client for it, and real Redis.

    No database: the adapter needs none, so these run without the schema.
    """
    async with _rig(redis_url, permissive=False) as built:
        yield built


@pytest.fixture
async def permissive_rig(redis_url: str | None) -> AsyncIterator[Rig]:
    """The sandbox as the embedded profile mounts it: any code is accepted."""
    async with _rig(redis_url, permissive=True) as built:
        yield built


@contextlib.asynccontextmanager
async def _rig(redis_url: str | None, *, permissive: bool) -> AsyncIterator[Rig]:
    port = free_port()
    options = SandboxOptions(appid=APPID, secret="s3cret", permissive=permissive)
    server = await start_server(create_sandbox_app("wechat", options), port)
    base_url = f"http://127.0.0.1:{port}"
    redis = create_redis(redis_url)
    keys = Keys(f"twx-{uuid.uuid4().hex[:10]}:")
    try:
        async with httpx.AsyncClient(timeout=10) as http, httpx.AsyncClient(base_url=base_url) as control:
            client = MiniProgramApi(
                base_url=base_url, http=http, appid=APPID, secret="s3cret", redis=redis, keys=keys
            )
            yield Rig(client=client, control=control, redis=redis, keys=keys)
    finally:
        stale = [key async for key in redis.scan_iter(match=keys.prefix + "*")]
        if stale:
            await redis.delete(*stale)
        await redis.aclose()
        await stop_server(server)


async def test_code2session__registered_code_gives_openid_unionid_and_session_key(rig: Rig) -> None:
    minted = await rig.login_code(openid="o-alice", unionid="u-alice")
    session = await rig.client.code2session(minted["code"])
    assert isinstance(session, WxSession)
    assert (session.openid, session.unionid) == ("o-alice", "u-alice")
    assert len(base64.b64decode(session.session_key)) == 16
    assert "session_key='***'" in repr(session)


async def test_code2session__reused_code_is_code_invalid_400(rig: Rig) -> None:
    minted = await rig.login_code()
    await rig.client.code2session(minted["code"])
    with pytest.raises(LoginCodeInvalid) as caught:
        await rig.client.code2session(minted["code"])
    assert caught.value.errcode == 40029
    assert (caught.value.public_status, caught.value.public_code) == (400, "wechat.code_invalid")


async def test_code2session__unknown_code_is_code_invalid(rig: Rig) -> None:
    with pytest.raises(LoginCodeInvalid):
        await rig.client.code2session("never-issued")


async def test_code2session__high_risk_user_is_403(rig: Rig) -> None:
    minted = await rig.login_code()
    await rig.configure(high_risk_codes=[minted["code"]])
    with pytest.raises(HighRiskUser) as caught:
        await rig.client.code2session(minted["code"])
    assert caught.value.errcode == 40226
    assert (caught.value.public_status, caught.value.public_code) == (403, "wechat.high_risk_user")


async def test_code2session__quota_is_429_and_not_retried(rig: Rig) -> None:
    minted = await rig.login_code()
    await rig.configure(inject=[{"errcode": 45011, "times": 1, "api": "jscode2session"}])
    with pytest.raises(QuotaExceeded) as caught:
        await rig.client.code2session(minted["code"])
    assert (caught.value.public_status, caught.value.public_code) == (429, "wechat.quota")
    assert (await rig.counters())["jscode2session"] == 1
    # The quota recovers; the code was not consumed by the refused call.
    assert (await rig.client.code2session(minted["code"])).openid == minted["openid"]


async def test_call__busy_is_retried_then_succeeds(rig: Rig) -> None:
    minted = await rig.login_code()
    await rig.configure(inject=[{"errcode": -1, "times": 2, "api": "jscode2session"}])
    session = await rig.client.code2session(minted["code"])
    assert session.openid == minted["openid"]
    assert (await rig.counters())["jscode2session"] == 3


async def test_call__busy_for_too_long_is_unavailable(rig: Rig) -> None:
    minted = await rig.login_code()
    await rig.configure(inject=[{"errcode": -1, "times": 10, "api": "jscode2session"}])
    with pytest.raises(WeChatBusy) as caught:
        await rig.client.code2session(minted["code"])
    assert isinstance(caught.value, IntegrationUnavailable)
    assert (await rig.counters())["jscode2session"] == 1 + rig.client.busy_retries


async def test_get_phone_number__code_flow(rig: Rig) -> None:
    minted = await rig.phone_code(phone_number="13800138000")
    phone = await rig.client.get_phone_number(minted["code"])
    assert (phone.phone_number, phone.pure_phone_number, phone.country_code) == (
        "13800138000",
        "13800138000",
        "86",
    )
    assert "13800138000" not in repr(phone)
    with pytest.raises(LoginCodeInvalid):
        await rig.client.get_phone_number(minted["code"])


async def test_access_token__cached_in_redis_and_fetched_once(rig: Rig) -> None:
    first = await rig.client.get_access_token()
    again = await rig.client.get_access_token()
    assert first == again
    stored = await rig.redis.get(rig.keys("wechat", "access_token"))
    assert stored.decode() == first
    assert 0 < await rig.redis.ttl(rig.keys("wechat", "access_token")) <= 7200
    assert (await rig.counters())["stable_token"] == 1


async def test_access_token__concurrent_callers_in_one_loop_fetch_once(rig: Rig) -> None:
    await rig.control.post("/__faults", json={"latency_ms": 100})
    tokens = await asyncio.gather(*(rig.client.get_access_token() for _ in range(20)))
    await rig.control.delete("/__faults")
    assert len(set(tokens)) == 1
    assert (await rig.counters())["stable_token"] == 1


async def test_access_token__expired_token_refreshed_once_and_call_retried(rig: Rig) -> None:
    old = await rig.client.get_access_token()
    await rig.control.post("/__control/expire-token")
    minted = await rig.phone_code(phone_number="13900139000")
    phone = await rig.client.get_phone_number(minted["code"])
    assert phone.pure_phone_number == "13900139000"
    new = await rig.client.get_access_token()
    assert new != old
    counters = await rig.counters()
    assert counters["stable_token"] == 2
    assert counters["getuserphonenumber"] == 2  # the rejected call and its one retry


async def test_access_token__invalid_twice_gives_up_after_one_refresh(rig: Rig) -> None:
    await rig.client.get_access_token()
    await rig.configure(inject=[{"errcode": 40001, "times": 5, "api": "msg_sec_check"}])
    with pytest.raises(Exception) as caught:
        await rig.client.msg_sec_check(openid="o-x", content="hello")
    assert getattr(caught.value, "errcode", None) == 40001
    counters = await rig.counters()
    assert counters["msg_sec_check"] == 2
    assert counters["stable_token"] == 2


async def test_msg_sec_check__pass_review_risky(rig: Rig) -> None:
    await rig.configure(risky_words=["赌博"], review_words=["广告"])
    ok = await rig.client.msg_sec_check(openid="o-x", content="社区活动周六举行")
    assert (ok.suggest, ok.label, ok.passed) == ("pass", 100, True)
    review = await rig.client.msg_sec_check(openid="o-x", content="这里有广告")
    assert review.suggest == "review"
    risky = await rig.client.msg_sec_check(openid="o-x", content="网上赌博", scene=3)
    assert risky.suggest == "risky" and risky.label != 100 and not risky.passed
    assert risky.trace_id


async def test_send_subscribe_message__uses_up_consent_then_43101(rig: Rig) -> None:
    granted = await rig.control.post(
        "/__control/consents", json={"openid": "o-bob", "template_id": "TPL-1", "count": 1}
    )
    assert granted.json()["remaining"] == 1
    await rig.client.send_subscribe_message(
        openid="o-bob", template_id="TPL-1", data={"thing1": {"value": "预约成功"}}, page="pages/index"
    )
    with pytest.raises(SubscribeConsentMissing) as caught:
        await rig.client.send_subscribe_message(
            openid="o-bob", template_id="TPL-1", data={"thing1": {"value": "again"}}
        )
    assert caught.value.errcode == 43101
    state = (await rig.control.get("/__control/state")).json()
    assert len(state["sent"]) == 1
    assert state["sent"][0]["miniprogram_state"] == "formal" and state["sent"][0]["lang"] == "zh_CN"


async def test_decrypt_user_data__own_watermark_decrypts(rig: Rig) -> None:
    minted = await rig.login_code(openid="o-carol")
    session = await rig.client.code2session(minted["code"])
    blob = (
        await rig.control.post(
            "/__control/encrypt", json={"openid": "o-carol", "data": {"purePhoneNumber": "13700137000"}}
        )
    ).json()
    data = rig.client.decrypt_user_data(
        session_key=session.session_key, encrypted_data=blob["encrypted_data"], iv=blob["iv"]
    )
    assert data["purePhoneNumber"] == "13700137000"
    assert data["watermark"]["appid"] == APPID


async def test_decrypt_user_data__foreign_watermark_rejected(rig: Rig) -> None:
    minted = await rig.login_code(openid="o-dave")
    session = await rig.client.code2session(minted["code"])
    blob = (
        await rig.control.post(
            "/__control/encrypt", json={"openid": "o-dave", "watermark_appid": "wxSomeoneElse0000"}
        )
    ).json()
    with pytest.raises(DecryptFailed) as caught:
        rig.client.decrypt_user_data(
            session_key=session.session_key, encrypted_data=blob["encrypted_data"], iv=blob["iv"]
        )
    assert caught.value.public_status == 400


async def test_decrypt_user_data__garbage_and_wrong_key_rejected(rig: Rig) -> None:
    minted = await rig.login_code(openid="o-erin")
    session = await rig.client.code2session(minted["code"])
    blob = (await rig.control.post("/__control/encrypt", json={"openid": "o-erin"})).json()
    other_key = base64.b64encode(b"0123456789abcdef").decode()
    for kwargs in (
        {"session_key": other_key, "encrypted_data": blob["encrypted_data"], "iv": blob["iv"]},
        {"session_key": session.session_key, "encrypted_data": "not base64!!", "iv": blob["iv"]},
        {"session_key": session.session_key, "encrypted_data": blob["encrypted_data"], "iv": "short"},
    ):
        with pytest.raises(DecryptFailed):
            rig.client.decrypt_user_data(**kwargs)


async def test_sandbox_down__unavailable(rig: Rig) -> None:
    await rig.control.post("/__faults", json={"down": True})
    try:
        with pytest.raises(IntegrationUnavailable):
            await rig.client.get_access_token()
    finally:
        await rig.control.delete("/__faults")


async def test_permissive__any_login_code_gives_a_stable_openid(permissive_rig: Rig) -> None:
    first = await permissive_rig.client.code2session("alice")
    again = await permissive_rig.client.code2session("alice")
    other = await permissive_rig.client.code2session("bob")
    assert first.openid == again.openid == derive_openid("alice")
    assert other.openid != first.openid
    assert first.session_key == again.session_key


async def test_permissive__any_phone_code_gives_a_stable_mobile_number(permissive_rig: Rig) -> None:
    phone = await permissive_rig.client.get_phone_number("alice-phone")
    assert phone.pure_phone_number == derive_phone("alice-phone")
    assert len(phone.pure_phone_number) == 11 and phone.pure_phone_number.startswith("13")
    assert (
        await permissive_rig.client.get_phone_number("alice-phone")
    ).pure_phone_number == phone.pure_phone_number


async def test_permissive__high_risk_codes_still_refused(permissive_rig: Rig) -> None:
    await permissive_rig.configure(high_risk_codes=["mallory"])
    with pytest.raises(HighRiskUser):
        await permissive_rig.client.code2session("mallory")


async def test_logs__never_carry_the_app_secret_codes_or_access_token(rig: Rig, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    minted = await rig.login_code()
    await rig.client.code2session(minted["code"])
    token = await rig.client.get_access_token()
    await rig.client.msg_sec_check(openid="o-x", content="hello")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "jscode2session" in logged  # httpx did log the calls...
    for secret in ("s3cret", minted["code"], token):
        assert secret not in logged  # ...without what would let a reader act as us


async def test_access_token__redis_down_still_works_with_a_process_local_token(rig: Rig) -> None:
    dead_redis = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.2)
    client = MiniProgramApi(
        base_url=rig.client.base_url,
        http=rig.client.http,
        appid=APPID,
        secret="s3cret",
        redis=dead_redis,
        keys=rig.keys,
    )
    try:
        minted = await rig.phone_code(phone_number="13600136000")
        phone = await client.get_phone_number(minted["code"])
        assert phone.pure_phone_number == "13600136000"
        assert await client.get_access_token() == await client.get_access_token()
        assert (await rig.counters())["stable_token"] == 1
    finally:
        await dead_redis.aclose()


async def test_sandbox__word_lists_from_options_survive_a_reset(redis_url: str | None) -> None:
    port = free_port()
    options = SandboxOptions(
        appid=APPID, secret="s3cret", extra={"risky_words": ["诈骗"], "review_words": []}
    )
    server = await start_server(create_sandbox_app("wechat", options), port)
    redis = create_redis(redis_url)
    keys = Keys(f"twx-{uuid.uuid4().hex[:10]}:")
    try:
        async with httpx.AsyncClient() as http:
            client = MiniProgramApi(
                base_url=f"http://127.0.0.1:{port}",
                http=http,
                appid=APPID,
                secret="s3cret",
                redis=redis,
                keys=keys,
            )
            assert (await client.msg_sec_check(openid="o-x", content="电信诈骗")).suggest == "risky"
            assert (await client.msg_sec_check(openid="o-x", content="违禁词")).suggest == "pass"
            await http.post(f"http://127.0.0.1:{port}/__control/reset")
            await redis.delete(keys("wechat", "access_token"))
            assert (await client.msg_sec_check(openid="o-x", content="电信诈骗")).suggest == "risky"
    finally:
        stale = [key async for key in redis.scan_iter(match=keys.prefix + "*")]
        if stale:
            await redis.delete(*stale)
        await redis.aclose()
        await stop_server(server)
