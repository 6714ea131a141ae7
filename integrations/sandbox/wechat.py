"""A WeChat simulator speaking the mini-program server APIs with their real field names and errcodes.

API routes (as api.weixin.qq.com): GET /sns/jscode2session, POST /cgi-bin/stable_token,
POST /wxa/business/getuserphonenumber, POST /wxa/msg_sec_check (v2), POST /cgi-bin/message/subscribe/send.

Control routes (tests and humans; not part of WeChat):
  POST /__control/login-codes {openid?, unionid?, session_key?}  -> a fresh single-use wx.login code
  POST /__control/phone-codes {phone_number, country_code?}       -> a fresh single-use phone code
  POST /__control/consents {openid, template_id, count?}          -> grant subscribe consents (one per send)
  GET  /__control/consents?openid=&template_id=                   -> consents left
  POST /__control/encrypt {session_key | openid, data?, watermark_appid?} -> legacy {encrypted_data, iv}
  POST /__control/config {risky_words, review_words, high_risk_codes, inject: [{errcode, times, api?}]}
  POST /__control/expire-token                                    -> every issued token now answers 42001
  GET  /__control/state                                           -> counters, sent messages, config
  POST /__control/reset                                           -> forget everything

Permissive mode (embedded profile): any login code and any phone code is accepted, the openid and
phone number derived from the code (sha256), and such a code may be used again (it names the same
person), so a human can sign in with curl. Codes minted through the control routes stay single-use.
Subscribe sends need no consent unless consents were granted for that openid and template.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sanic import Blueprint, Request
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from integrations.sandbox.departments import json_body
from integrations.sandbox.faults import SandboxOptions, install_faults

__all__ = ["WeChatSandboxState", "create_blueprint", "derive_openid", "derive_phone"]

TOKEN_TTL_S = 7200
DEFAULT_RISKY = ("违禁词", "forbidden-word")
DEFAULT_REVIEW = ("待审核", "needs-review")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def derive_openid(code: str) -> str:
    """The stable openid a permissive sandbox gives a login code (28 chars, like WeChat's)."""
    return "o" + _digest("openid:" + code)[:27]


def derive_phone(code: str) -> str:
    """The stable mainland mobile number a permissive sandbox gives a phone code: 13x xxxx xxxx."""
    digits = str(int(_digest("phone:" + code), 16))
    return "13" + digits[:9]


def _session_key(openid: str) -> str:
    # Real session keys are base64 of 16 random bytes; derived here so one openid keeps one key.
    return base64.b64encode(hashlib.sha256(("session:" + openid).encode()).digest()[:16]).decode()


@dataclass
class WeChatSandboxState:
    login_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    phone_codes: dict[str, dict[str, str]] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    sessions: dict[str, str] = field(default_factory=dict)  # openid -> session_key
    tokens: dict[str, float] = field(default_factory=dict)  # access_token -> expires at (epoch)
    current_token: str | None = None
    consents: dict[tuple[str, str], int] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)
    risky_words: list[str] = field(default_factory=lambda: list(DEFAULT_RISKY))
    review_words: list[str] = field(default_factory=lambda: list(DEFAULT_REVIEW))
    high_risk_codes: set[str] = field(default_factory=set)
    inject: list[dict[str, Any]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def count(self, api: str) -> None:
        self.counters[api] = self.counters.get(api, 0) + 1


def _err(errcode: int, errmsg: str) -> HTTPResponse:
    # WeChat answers business errors with HTTP 200 and an errcode.
    return json_response({"errcode": errcode, "errmsg": f"{errmsg} rid: {secrets.token_hex(4)}"})


def create_blueprint(options: SandboxOptions) -> Blueprint:
    """The WeChat sandbox; state lives in this blueprint instance."""
    bp = Blueprint(f"sandbox_wechat_{id(options)}")
    install_faults(bp, options.faults)

    def initial_state() -> WeChatSandboxState:
        fresh = WeChatSandboxState()
        # Word lists may also come with the options (e.g. a test's own), besides POST /__control/config.
        for name in ("risky_words", "review_words"):
            if name in options.extra:
                setattr(fresh, name, [str(word) for word in options.extra[name]])
        return fresh

    state = initial_state()
    options.extra.setdefault("state", state)  # tests running it standalone can look inside

    def injected(api: str) -> HTTPResponse | None:
        for rule in state.inject:
            if rule.get("api") in (None, api) and rule.get("times", 1) > 0:
                rule["times"] = rule.get("times", 1) - 1
                if rule["times"] <= 0:
                    state.inject.remove(rule)
                return _err(int(rule["errcode"]), rule.get("errmsg", "injected"))
        return None

    def check_token(request: Request) -> HTTPResponse | None:
        token = request.args.get("access_token")
        if not token or token not in state.tokens:
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        if state.tokens[token] <= time.time():
            return _err(42001, "access_token expired")
        return None

    # -- WeChat APIs ----------------------------------------------------------------------------

    @bp.get("/sns/jscode2session")
    async def jscode2session(request: Request) -> HTTPResponse:
        state.count("jscode2session")
        if request.args.get("appid") != options.appid:
            return _err(40013, "invalid appid")
        if request.args.get("secret") != options.secret:
            return _err(40125, "invalid appsecret")
        if (blocked := injected("jscode2session")) is not None:
            return blocked
        code = request.args.get("js_code") or ""
        if not code:
            return _err(41008, "missing code")
        if code in state.high_risk_codes:
            return _err(40226, "invalid code, high risk user")
        registered = state.login_codes.pop(code, None)
        if registered is not None:
            state.used_codes.add(code)
        elif options.permissive:
            # Any code is a person: the same code signs the same person in again (curl walk-through).
            registered = {"openid": derive_openid(code)}
        elif code in state.used_codes:
            # WeChat itself says 40163 here; both mean "ask wx.login for a new code".
            return _err(40029, "invalid code, code been used")
        else:
            return _err(40029, "invalid code")
        openid = registered["openid"]
        session_key = registered.get("session_key") or _session_key(openid)
        state.sessions[openid] = session_key
        answer = {"openid": openid, "session_key": session_key}
        if registered.get("unionid"):
            answer["unionid"] = registered["unionid"]
        return json_response(answer)

    @bp.post("/cgi-bin/stable_token")
    async def stable_token(request: Request) -> HTTPResponse:
        state.count("stable_token")
        body = json_body(request)
        if body.get("grant_type") != "client_credential":
            return _err(40002, "invalid grant_type")
        if body.get("appid") != options.appid:
            return _err(40013, "invalid appid")
        if body.get("secret") != options.secret:
            return _err(40125, "invalid appsecret")
        if (blocked := injected("stable_token")) is not None:
            return blocked
        now = time.time()
        current = state.current_token
        if body.get("force_refresh") or current is None or state.tokens.get(current, 0) <= now:
            # As WeChat: a forced refresh issues a new token; the previous one stays valid 5 minutes.
            if current and state.tokens.get(current, 0) > now:
                state.tokens[current] = min(state.tokens[current], now + 300)
            current = secrets.token_urlsafe(48)
            state.tokens[current] = now + TOKEN_TTL_S
            state.current_token = current
            state.count("stable_token_issued")
        return json_response({"access_token": current, "expires_in": int(state.tokens[current] - now)})

    @bp.post("/wxa/business/getuserphonenumber")
    async def getuserphonenumber(request: Request) -> HTTPResponse:
        state.count("getuserphonenumber")
        if (bad := check_token(request)) is not None:
            return bad
        if (blocked := injected("getuserphonenumber")) is not None:
            return blocked
        code = str(json_body(request).get("code") or "")
        registered = state.phone_codes.pop(code, None) if code else None
        if registered is not None:
            state.used_codes.add(code)
        elif code and options.permissive:
            registered = {"phone_number": derive_phone(code), "country_code": "86"}
        else:
            return _err(40029, "invalid code")
        pure, country = registered["phone_number"], registered.get("country_code", "86")
        return json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": pure if country == "86" else f"+{country}{pure}",
                    "purePhoneNumber": pure,
                    "countryCode": country,
                    "watermark": {"timestamp": int(time.time()), "appid": options.appid},
                },
            }
        )

    @bp.post("/wxa/msg_sec_check")
    async def msg_sec_check(request: Request) -> HTTPResponse:
        state.count("msg_sec_check")
        if (bad := check_token(request)) is not None:
            return bad
        if (blocked := injected("msg_sec_check")) is not None:
            return blocked
        body = json_body(request)
        if body.get("version") != 2:
            return _err(47001, "data format error: version must be 2")
        if not body.get("openid") or body.get("scene") not in (1, 2, 3, 4):
            return _err(47001, "data format error")
        content = str(body.get("content") or "")
        hits_risky = [w for w in state.risky_words if w and w in content]
        hits_review = [w for w in state.review_words if w and w in content]
        if hits_risky:
            suggest, label = "risky", 20006
        elif hits_review:
            suggest, label = "review", 21000
        else:
            suggest, label = "pass", 100
        detail = [
            {"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label, "keyword": word}
            for word in hits_risky + hits_review
        ]
        return json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "result": {"suggest": suggest, "label": label},
                "detail": detail,
                "trace_id": secrets.token_hex(12),
            }
        )

    @bp.post("/cgi-bin/message/subscribe/send")
    async def subscribe_send(request: Request) -> HTTPResponse:
        state.count("subscribe_send")
        if (bad := check_token(request)) is not None:
            return bad
        if (blocked := injected("subscribe_send")) is not None:
            return blocked
        body = json_body(request)
        touser, template_id = body.get("touser"), body.get("template_id")
        if not touser or not template_id or not isinstance(body.get("data"), dict):
            return _err(47003, "argument invalid! data.xxx.value invalid")
        if body.get("miniprogram_state", "formal") not in ("developer", "trial", "formal"):
            return _err(47003, "argument invalid! miniprogram_state invalid")
        if body.get("lang", "zh_CN") not in ("zh_CN", "en_US", "zh_HK", "zh_TW"):
            return _err(47003, "argument invalid! lang invalid")
        key = (str(touser), str(template_id))
        if not options.permissive or key in state.consents:
            if state.consents.get(key, 0) <= 0:
                return _err(43101, "user refuse to accept the msg")
            state.consents[key] -= 1
        state.sent.append({**body, "sent_at": int(time.time())})
        return json_response({"errcode": 0, "errmsg": "ok", "msgid": len(state.sent)})

    # -- control routes --------------------------------------------------------------------------

    @bp.post("/__control/login-codes")
    async def new_login_code(request: Request) -> HTTPResponse:
        body = json_body(request)
        code = secrets.token_hex(16)
        openid = str(body.get("openid") or derive_openid(code))
        entry = {"openid": openid, "unionid": body.get("unionid"), "session_key": body.get("session_key")}
        state.login_codes[code] = entry
        return json_response({"code": code, "openid": openid, "unionid": entry["unionid"]}, status=201)

    @bp.post("/__control/phone-codes")
    async def new_phone_code(request: Request) -> HTTPResponse:
        body = json_body(request)
        code = secrets.token_hex(16)
        phone = str(body.get("phone_number") or derive_phone(code))
        state.phone_codes[code] = {"phone_number": phone, "country_code": str(body.get("country_code", "86"))}
        return json_response({"code": code, "phone_number": phone}, status=201)

    @bp.post("/__control/consents")
    async def grant_consents(request: Request) -> HTTPResponse:
        body = json_body(request)
        key = (str(body.get("openid") or ""), str(body.get("template_id") or ""))
        if not all(key):
            return json_response({"error": "openid and template_id are required"}, status=400)
        state.consents[key] = state.consents.get(key, 0) + int(body.get("count", 1))
        return json_response({"openid": key[0], "template_id": key[1], "remaining": state.consents[key]})

    @bp.get("/__control/consents")
    async def show_consents(request: Request) -> HTTPResponse:
        key = (request.args.get("openid", ""), request.args.get("template_id", ""))
        return json_response(
            {"openid": key[0], "template_id": key[1], "remaining": state.consents.get(key, 0)}
        )

    @bp.post("/__control/encrypt")
    async def encrypt(request: Request) -> HTTPResponse:
        body = json_body(request)
        session_key = body.get("session_key") or state.sessions.get(str(body.get("openid") or ""))
        if not session_key:
            return json_response({"error": "unknown session: sign in first or pass session_key"}, status=400)
        data = body.get("data")
        if not isinstance(data, dict):
            phone = derive_phone(str(body.get("openid") or session_key))
            data = {"phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86"}
        watermark_appid = body.get("watermark_appid") or options.appid
        payload = {**data, "watermark": {"timestamp": int(time.time()), "appid": watermark_appid}}
        iv = secrets.token_bytes(16)
        padder = padding.PKCS7(128).padder()
        plain = padder.update(json.dumps(payload, ensure_ascii=False).encode()) + padder.finalize()
        encryptor = Cipher(algorithms.AES(base64.b64decode(session_key)), modes.CBC(iv)).encryptor()
        cipher_text = encryptor.update(plain) + encryptor.finalize()
        return json_response(
            {"encrypted_data": base64.b64encode(cipher_text).decode(), "iv": base64.b64encode(iv).decode()}
        )

    @bp.post("/__control/config")
    async def configure(request: Request) -> HTTPResponse:
        body = json_body(request)
        if "risky_words" in body:
            state.risky_words = [str(w) for w in body["risky_words"]]
        if "review_words" in body:
            state.review_words = [str(w) for w in body["review_words"]]
        if "high_risk_codes" in body:
            state.high_risk_codes = {str(c) for c in body["high_risk_codes"]}
        for rule in body.get("inject", []):
            state.inject.append(
                {"errcode": int(rule["errcode"]), "times": int(rule.get("times", 1)), "api": rule.get("api")}
            )
        return json_response(_state_view())

    @bp.post("/__control/expire-token")
    async def expire_token(request: Request) -> HTTPResponse:
        now = time.time()
        for token in state.tokens:
            state.tokens[token] = min(state.tokens[token], now - 1)
        return json_response(_state_view())

    @bp.get("/__control/state")
    async def show_state(request: Request) -> HTTPResponse:
        return json_response(_state_view())

    @bp.post("/__control/reset")
    async def reset(request: Request) -> HTTPResponse:
        fresh = initial_state()
        for name in fresh.__dataclass_fields__:
            setattr(state, name, getattr(fresh, name))
        return json_response(_state_view())

    def _state_view() -> dict[str, Any]:
        return {
            "permissive": options.permissive,
            "counters": dict(state.counters),
            "sent": list(state.sent),
            "consents": [
                {"openid": o, "template_id": t, "remaining": n} for (o, t), n in state.consents.items()
            ],
            "risky_words": state.risky_words,
            "review_words": state.review_words,
            "high_risk_codes": sorted(state.high_risk_codes),
            "inject": list(state.inject),
        }

    return bp
