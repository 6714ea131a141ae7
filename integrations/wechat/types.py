"""What the WeChat adapter returns: plain values, never raw responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["SecCheckResult", "Suggest", "WxPhone", "WxSession"]

Suggest = Literal["pass", "review", "risky"]


@dataclass(frozen=True, slots=True)
class WxSession:
    """The answer of code2Session. `session_key` is a secret: keep it server-side, encrypted."""

    openid: str
    unionid: str | None
    session_key: str

    def __repr__(self) -> str:
        # The session key decrypts the user's data; keep it out of logs and tracebacks.
        return f"WxSession(openid={self.openid!r}, unionid={self.unionid!r}, session_key='***')"


@dataclass(frozen=True, slots=True)
class WxPhone:
    """A phone number WeChat vouches for (getuserphonenumber, or the legacy encrypted flow)."""

    phone_number: str
    pure_phone_number: str
    country_code: str

    def __repr__(self) -> str:
        return f"WxPhone(country_code={self.country_code!r}, phone_number='***')"


@dataclass(frozen=True, slots=True)
class SecCheckResult:
    """msg_sec_check v2 verdict: `suggest` pass/review/risky, `label` WeChat's category (100 = normal)."""

    suggest: Suggest
    label: int
    trace_id: str | None = None

    @property
    def passed(self) -> bool:
        return self.suggest == "pass"
