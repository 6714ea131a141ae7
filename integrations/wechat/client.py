"""The WeChat mini-program adapter: async calls over httpx, wechatpy only for the crypto.

wechatpy's own client is synchronous and refreshes the access token per process without a lock, so
it is not used for calls. Here the access token lives in Redis; exactly one process refreshes it
under a Redis lock while the others wait and then read what it stored.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import redis.asyncio as aioredis
from redis.exceptions import LockError, RedisError
from wechatpy.crypto import WeChatWxaCrypto
from wechatpy.exceptions import InvalidAppIdException

from integrations.errors import IntegrationProtocolError, IntegrationUnavailable
from integrations.http import CircuitBreaker, HttpAdapter
from integrations.wechat.errors import (
    SYSTEM,
    AccessTokenExpired,
    DecryptFailed,
    WeChatBusy,
    error_for,
)
from integrations.wechat.types import SecCheckResult, WxPhone, WxSession

__all__ = ["MiniProgramApi"]

log = logging.getLogger(__name__)

_SUGGESTIONS = {"pass", "review", "risky"}

# WeChat puts the app secret, login codes and the access token in query strings, and httpx logs every
# request URL at INFO. This filter blanks those values before any handler sees the record.
_SECRET_QUERY = re.compile(r"((?:secret|access_token|js_code)=)[^&\s\"']+")


class _RedactWeChatSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                _SECRET_QUERY.sub(r"\1***", str(arg)) if "=" in str(arg) else arg
                for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        if isinstance(record.msg, str):
            record.msg = _SECRET_QUERY.sub(r"\1***", record.msg)
        return True


def _redact_http_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactWeChatSecrets) for f in logger.filters):
        logger.addFilter(_RedactWeChatSecrets())


class MiniProgramApi(HttpAdapter):
    """code2Session, stable_token, getuserphonenumber, msg_sec_check v2, subscribeMessage.send."""

    system = SYSTEM

    def __init__(
        self,
        *,
        base_url: str,
        http: httpx.AsyncClient,
        appid: str,
        secret: str,
        redis: aioredis.Redis,
        keys: Callable[..., str],
        timeout_s: float | None = None,
        breaker: CircuitBreaker | None = None,
        busy_retries: int = 2,
        busy_backoff_s: float = 0.1,
        token_margin_s: int = 300,
        lock_timeout_s: float = 15.0,
        lock_wait_s: float = 20.0,
    ):
        # No app_key/app_secret: WeChat authenticates by appid/secret or access_token, not our HMAC scheme.
        super().__init__(base_url=base_url, http=http, timeout_s=timeout_s, breaker=breaker)
        self.appid = appid
        self._secret = secret
        self.redis = redis
        self.keys = keys
        self.busy_retries = busy_retries
        self.busy_backoff_s = busy_backoff_s
        self.token_margin_s = token_margin_s
        self.lock_timeout_s = lock_timeout_s
        self.lock_wait_s = lock_wait_s
        # Used only while Redis is unreachable, so a Redis outage does not mean a fetch per call.
        self._local_token: tuple[str, float] | None = None
        _redact_http_logs()

    def __repr__(self) -> str:
        return f"MiniProgramApi(base_url={self.base_url!r}, appid={self.appid!r})"

    # -- sign-in and phone -------------------------------------------------------------------

    async def code2session(self, code: str) -> WxSession:
        """Exchange a wx.login code for openid, unionid and session_key (sns/jscode2session)."""
        data = await self._call(
            "GET",
            "/sns/jscode2session",
            params={
                "appid": self.appid,
                "secret": self._secret,
                "js_code": code,
                "grant_type": "authorization_code",
            },
            # Login codes are single-use: a transport-level retry after a lost answer could only ever
            # hear "code been used". (errcode -1 busy is still retried: WeChat did not use the code.)
            idempotent=False,
        )
        try:
            return WxSession(
                openid=str(data["openid"]),
                unionid=str(data["unionid"]) if data.get("unionid") else None,
                session_key=str(data["session_key"]),
            )
        except KeyError as error:
            raise IntegrationProtocolError(SYSTEM, "jscode2session answer lacks a field") from error

    async def get_phone_number(self, code: str) -> WxPhone:
        """The phone number behind a getPhoneNumber button code (wxa/business/getuserphonenumber)."""
        data = await self._call(
            "POST", "/wxa/business/getuserphonenumber", json_body={"code": code}, with_token=True
        )
        info = data.get("phone_info")
        if not isinstance(info, dict):
            raise IntegrationProtocolError(SYSTEM, "getuserphonenumber answer lacks phone_info")
        watermark = info.get("watermark") or {}
        if watermark.get("appid") not in (None, self.appid):
            # Not the citizen's doing: WeChat answered for another app, so the answer is unusable.
            raise IntegrationProtocolError(SYSTEM, "phone_info watermark names another app")
        try:
            return WxPhone(
                phone_number=str(info["phoneNumber"]),
                pure_phone_number=str(info["purePhoneNumber"]),
                country_code=str(info["countryCode"]),
            )
        except KeyError as error:
            raise IntegrationProtocolError(SYSTEM, "phone_info lacks a field") from error

    def decrypt_user_data(self, *, session_key: str, encrypted_data: str, iv: str) -> dict:
        """Decrypt legacy encryptedData (AES-128-CBC); refuse data watermarked for another app."""
        try:
            return WeChatWxaCrypto(session_key, iv, self.appid).decrypt_message(encrypted_data)
        except InvalidAppIdException as error:
            raise DecryptFailed("watermark appid is not ours") from error
        except (ValueError, KeyError, TypeError) as error:
            # Bad base64, wrong key/iv length, bad padding, not JSON, no watermark: all "does not decrypt".
            raise DecryptFailed("encryptedData does not decrypt") from error

    # -- access token ------------------------------------------------------------------------

    @property
    def _token_key(self) -> str:
        return self.keys("wechat", "access_token")

    async def get_access_token(self, *, force_refresh: bool = False) -> str:
        """The access token from Redis; fetched (stable_token) by exactly one process when missing."""
        try:
            cached = await self._read_cached_token()
        except RedisError:
            return await self._token_without_redis(force_refresh=force_refresh)
        if cached and not force_refresh:
            return cached
        return await self._refresh(stale=cached if force_refresh else None, force=force_refresh)

    async def _read_cached_token(self) -> str | None:
        value = await self.redis.get(self._token_key)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    async def _refresh(self, *, stale: str | None, force: bool) -> str:
        """Fetch a token under the Redis lock, unless someone else stored a usable one meanwhile.

        `stale` is the token the caller found unusable: any other cached token is newer and is used.
        """
        lock = self.redis.lock(
            self.keys("wechat", "access_token", "lock"),
            timeout=self.lock_timeout_s,
            blocking_timeout=self.lock_wait_s,
            sleep=0.05,
        )
        try:
            async with lock:
                current = await self._read_cached_token()
                if current and current != stale:
                    return current
                token, expires_in = await self._fetch_stable_token(force_refresh=force)
                ttl = max(60, expires_in - self.token_margin_s)
                await self.redis.set(self._token_key, token.encode(), ex=ttl)
                return token
        except LockError as error:
            # The holder took longer than we wait; whatever it stored is what we want.
            current = await self._read_cached_token()
            if current and current != stale:
                return current
            raise IntegrationUnavailable(SYSTEM, "access token refresh is stuck") from error
        except RedisError:
            log.warning("redis unavailable for the wechat access token; using a process-local token")
            return await self._token_without_redis(force_refresh=force)

    async def _token_without_redis(self, *, force_refresh: bool) -> str:
        # stable_token (unlike cgi-bin/token) returns the same token to every caller while it is
        # valid, so processes fetching on their own during a Redis outage do not invalidate each other.
        now = time.monotonic()
        if self._local_token and not force_refresh and self._local_token[1] > now:
            return self._local_token[0]
        token, expires_in = await self._fetch_stable_token(force_refresh=force_refresh)
        self._local_token = (token, now + max(60, expires_in - self.token_margin_s))
        return token

    async def _fetch_stable_token(self, *, force_refresh: bool) -> tuple[str, int]:
        data = await self._call(
            "POST",
            "/cgi-bin/stable_token",
            json_body={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret,
                "force_refresh": force_refresh,
            },
            idempotent=True,
        )
        try:
            return str(data["access_token"]), int(data.get("expires_in", 7200))
        except (KeyError, ValueError) as error:
            raise IntegrationProtocolError(SYSTEM, "stable_token answer lacks access_token") from error

    # -- content security and subscribe messages -------------------------------------------

    async def msg_sec_check(self, *, openid: str, content: str, scene: int = 2) -> SecCheckResult:
        """WeChat's verdict on user text (wxa/msg_sec_check v2); scene 2 = comment, 3 = forum, 4 = social log."""
        data = await self._call(
            "POST",
            "/wxa/msg_sec_check",
            json_body={"content": content, "version": 2, "scene": scene, "openid": openid},
            with_token=True,
            idempotent=True,
        )
        result = data.get("result")
        if not isinstance(result, dict) or result.get("suggest") not in _SUGGESTIONS:
            raise IntegrationProtocolError(SYSTEM, "msg_sec_check answer lacks result.suggest")
        try:
            label = int(result.get("label", 100))
        except (TypeError, ValueError) as error:
            raise IntegrationProtocolError(SYSTEM, "msg_sec_check label is not a number") from error
        return SecCheckResult(suggest=result["suggest"], label=label, trace_id=data.get("trace_id"))

    async def send_subscribe_message(
        self,
        *,
        openid: str,
        template_id: str,
        data: dict,
        page: str | None = None,
        lang: str = "zh_CN",
        miniprogram_state: str = "formal",
    ) -> None:
        """Send one subscribe message; raises SubscribeConsentMissing (43101) when no consent is left."""
        body: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": data,
            "miniprogram_state": miniprogram_state,
            "lang": lang,
        }
        if page:
            body["page"] = page
        await self._call("POST", "/cgi-bin/message/subscribe/send", json_body=body, with_token=True)

    # -- the one call path ---------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        with_token: bool = False,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        """One WeChat call: -1 busy retried, an expired token refreshed once and the call retried once."""
        token_refreshed = False
        busy_attempts = 0
        while True:
            query = dict(params or {})
            token = None
            if with_token:
                token = await self.get_access_token()
                query["access_token"] = token
            data = await self.request_json(
                method, path, params=query or None, json_body=json_body, idempotent=idempotent
            )
            if not isinstance(data, dict):
                raise IntegrationProtocolError(SYSTEM, "answer is not a JSON object")
            try:
                errcode = int(data.get("errcode") or 0)
            except (TypeError, ValueError) as error:
                raise IntegrationProtocolError(SYSTEM, "errcode is not a number") from error
            if errcode == 0:
                return data
            error = error_for(errcode, data.get("errmsg"))
            if isinstance(error, AccessTokenExpired) and with_token and not token_refreshed:
                token_refreshed = True
                await self._refresh_after_rejection(stale=token)
                continue
            if isinstance(error, WeChatBusy) and busy_attempts < self.busy_retries:
                busy_attempts += 1
                await asyncio.sleep(self.busy_backoff_s * (2 ** (busy_attempts - 1)))
                continue
            raise error

    async def _refresh_after_rejection(self, *, stale: str | None) -> None:
        try:
            await self._refresh(stale=stale, force=True)
        except RedisError:
            await self._token_without_redis(force_refresh=True)
