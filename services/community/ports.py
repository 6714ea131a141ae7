"""What the community domain needs from outside, as Protocols (satisfied by integrations or other domains).

- ContentChecker: WeChat msg_sec_check v2 (integrations.wechat.client.MiniProgramApi satisfies it).
- SecCheckVerdict: the shape of its answer (suggest pass/review/risky, label).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["ContentChecker", "SecCheckVerdict"]


class SecCheckVerdict(Protocol):
    suggest: str
    label: int


class ContentChecker(Protocol):
    async def msg_sec_check(self, *, openid: str, content: str, scene: int = 2) -> SecCheckVerdict:
        """Check user text before it is shown to others (scene 2 = comment/forum post)."""
        ...
