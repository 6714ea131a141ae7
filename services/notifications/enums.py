"""Enumerated states of the notifications domain."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["PushStatus"]


class PushStatus(StrEnum):
    """What happened to the WeChat subscribe message for one inbox row (the inbox row always exists)."""

    NONE = "none"  # no template for this kind, or no consent left when it was written
    QUEUED = "queued"  # an outbox message will send it
    SENT = "sent"
    CONSENT_MISSING = "consent_missing"  # WeChat said 43101, or our count ran out before the send
    FAILED = "failed"  # WeChat refused it for another reason
