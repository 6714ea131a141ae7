"""Outbox handlers of the notifications domain: WeChat subscribe messages are sent by the workers."""

from __future__ import annotations

from services.common.outbox import OutboxEvent
from services.deps import Deps
from services.notifications import service
from services.notifications.service import SUBSCRIBE_TOPIC

__all__ = ["OUTBOX_HANDLERS", "send_subscribe_message"]


async def send_subscribe_message(event: OutboxEvent, deps: Deps) -> None:
    """Send the subscribe message of one inbox row through WeChat, using up a consent."""
    await service.deliver_subscribe_message(
        message_id=event.payload["message_id"],
        sender=deps.adapters.wechat,
        miniprogram_state=deps.settings.wechat_miniprogram_state,
        templates=deps.settings.wechat_templates,
    )


OUTBOX_HANDLERS = {SUBSCRIBE_TOPIC: send_subscribe_message}
