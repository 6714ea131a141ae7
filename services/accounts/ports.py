"""What the accounts domain needs from outside systems: WeChat sign-in/phone and real-name checks.

citizen_api/adapters.py wires the adapters (integrations/wechat, integrations/identity) that satisfy
these; services only ever see the Protocols.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["IdentityPort", "IdentityVerdict", "WeChatPhone", "WeChatPort", "WeChatSession"]


class WeChatSession(Protocol):
    """code2Session's answer. The session key is a secret kept encrypted on our side."""

    openid: str
    unionid: str | None
    session_key: str


class WeChatPhone(Protocol):
    phone_number: str
    pure_phone_number: str
    country_code: str


class WeChatPort(Protocol):
    async def code2session(self, code: str) -> WeChatSession: ...

    async def get_phone_number(self, code: str) -> WeChatPhone: ...

    def decrypt_user_data(self, *, session_key: str, encrypted_data: str, iv: str) -> dict[str, Any]:
        """Legacy encryptedData; rejects data whose watermark names another app."""
        ...


class IdentityVerdict(Protocol):
    """The identity system's answer: outcome is match | mismatch | invalid_id_number | not_found."""

    outcome: str
    reference: str | None

    @property
    def matched(self) -> bool: ...


class IdentityPort(Protocol):
    async def verify(self, *, name: str, id_number: str) -> IdentityVerdict:
        """Whether `name` and `id_number` belong together, according to the identity system."""
        ...
