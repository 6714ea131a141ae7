"""WeChat failures, and the one table that maps WeChat `errcode`s to them.

IntegrationError
 ├── IntegrationUnavailable
 │    ├── WeChatBusy                 -1 system busy: the client retries it a few times, then gives up
 │    └── QuotaExceeded              45011 API minute quota reached: 429 wechat.quota (try again later)
 └── IntegrationRejected
      └── WeChatError                any other non-zero errcode (502 to the caller)
           ├── LoginCodeInvalid      40029 / 40163 invalid or used login/phone code: 400 wechat.code_invalid
           ├── HighRiskUser          40226 WeChat flags the user as high risk: 403 wechat.high_risk_user
           ├── AccessTokenExpired    40001 / 42001 / 40014: the client refreshes the token once and retries
           ├── SubscribeConsentMissing 43101 the user has no subscribe consent left: recorded, not shown
           └── DecryptFailed         legacy encryptedData that does not decrypt, or another app's watermark: 400

`error_for(errcode, errmsg)` is the only place an errcode becomes an exception.
"""

from __future__ import annotations

from typing import Any

from integrations.errors import IntegrationRejected, IntegrationUnavailable

__all__ = [
    "AccessTokenExpired",
    "DecryptFailed",
    "ERRCODES",
    "HighRiskUser",
    "LoginCodeInvalid",
    "QuotaExceeded",
    "SubscribeConsentMissing",
    "SYSTEM",
    "WeChatBusy",
    "WeChatError",
    "WeChatRejected",
    "error_for",
]

SYSTEM = "wechat"


class WeChatError(IntegrationRejected):
    """WeChat answered with a business error code; retrying the same request will not help."""

    def __init__(self, message: str = "", *, errcode: int | None = None, **kwargs: Any):
        super().__init__(SYSTEM, message, remote_code=errcode, **kwargs)

    @property
    def errcode(self) -> int | None:
        return self.remote_code if isinstance(self.remote_code, int) else None


# A clearer name where the caller only needs "WeChat said no".
WeChatRejected = WeChatError


class LoginCodeInvalid(WeChatError):
    """The wx.login or phone code is unknown, expired or already used."""

    public_status = 400
    public_code = "wechat.code_invalid"


class HighRiskUser(WeChatError):
    """WeChat refuses to sign this user in (high-risk account)."""

    public_status = 403
    public_code = "wechat.high_risk_user"


class AccessTokenExpired(WeChatError):
    """Our access token is invalid or expired; the client refreshes it once and retries."""


class SubscribeConsentMissing(WeChatError):
    """The user has no subscribe-message consent left for this template; the sender records it."""


class DecryptFailed(WeChatError):
    """Legacy encryptedData could not be decrypted, or its watermark names another app."""

    public_status = 400
    public_code = "wechat.decrypt_failed"


class WeChatBusy(IntegrationUnavailable):
    """errcode -1: WeChat is busy; the same call may succeed in a moment."""

    def __init__(self, message: str = "system busy", *, errcode: int | None = -1, **kwargs: Any):
        super().__init__(SYSTEM, message, remote_code=errcode, **kwargs)


class QuotaExceeded(IntegrationUnavailable):
    """errcode 45011: the API's minute quota is used up; later calls will succeed."""

    public_status = 429
    public_code = "wechat.quota"

    def __init__(
        self, message: str = "api minute-quota reached", *, errcode: int | None = 45011, **kwargs: Any
    ):
        super().__init__(SYSTEM, message, remote_code=errcode, **kwargs)


# The one table: WeChat errcode -> exception class. Anything not listed is a plain WeChatError.
ERRCODES: dict[int, type[WeChatError] | type[WeChatBusy] | type[QuotaExceeded]] = {
    -1: WeChatBusy,
    40001: AccessTokenExpired,  # invalid credential / access_token invalid or not latest
    40014: AccessTokenExpired,  # invalid access_token
    42001: AccessTokenExpired,  # access_token expired
    40029: LoginCodeInvalid,  # invalid code
    40163: LoginCodeInvalid,  # code been used
    40226: HighRiskUser,  # high risk user
    45011: QuotaExceeded,  # api minute-quota reach limit
    43101: SubscribeConsentMissing,  # user refuse to accept the msg
}


def error_for(errcode: int, errmsg: str | None = None) -> WeChatError | WeChatBusy | QuotaExceeded:
    """The exception for a non-zero WeChat `errcode` (errmsg kept for logs; it never reaches users)."""
    cls = ERRCODES.get(errcode, WeChatError)
    return cls(errmsg or "", errcode=errcode)
