"""WeChat mini-program APIs, called asynchronously over httpx; wechatpy supplies only crypto and signatures."""

from __future__ import annotations

from integrations.wechat.client import MiniProgramApi
from integrations.wechat.errors import (
    AccessTokenExpired,
    DecryptFailed,
    HighRiskUser,
    LoginCodeInvalid,
    QuotaExceeded,
    SubscribeConsentMissing,
    WeChatBusy,
    WeChatError,
    WeChatRejected,
)
from integrations.wechat.types import SecCheckResult, WxPhone, WxSession

__all__ = [
    "AccessTokenExpired",
    "DecryptFailed",
    "HighRiskUser",
    "LoginCodeInvalid",
    "QuotaExceeded",
    "SecCheckResult",
    "SubscribeConsentMissing",
    "WeChatBusy",
    "MiniProgramApi",
    "WeChatError",
    "WeChatRejected",
    "WxPhone",
    "WxSession",
]
