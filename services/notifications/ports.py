"""What the notifications domain needs from outside: a WeChat subscribe-message sender."""

from __future__ import annotations

from typing import Protocol

__all__ = ["SubscribeMessageSender"]


class SubscribeMessageSender(Protocol):
    """Satisfied by integrations.wechat.MiniProgramApi; raises SubscribeConsentMissing on errcode 43101."""

    async def send_subscribe_message(
        self,
        *,
        openid: str,
        template_id: str,
        data: dict,
        page: str | None = None,
        lang: str = "zh_CN",
        miniprogram_state: str = "formal",
    ) -> None: ...
