"""Content security: WeChat msg_sec_check on text that other people will read."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from integrations.errors import IntegrationError
from services.accounts import service as accounts
from services.common.errors import NotFound
from services.common.i18n import DEFAULT_LOCALE, translate
from services.community.enums import (
    SecVerdict,
)
from services.community.errors import (
    ContentRisky,
)
from services.community.ports import ContentChecker

__all__ = [
    "SCENE_NOTICE",
    "SCENE_REPORT",
    "SecCheck",
    "check_text",
    "openid_of",
]

log = logging.getLogger(__name__)

# WeChat msg_sec_check scenes: 1 profile, 2 comment, 3 forum post, 4 social log.
SCENE_NOTICE = 3
SCENE_REPORT = 2
SCENE_EVENT = 3


async def openid_of(user_id: uuid.UUID) -> str:
    # WeChat's msg_sec_check v2 wants the author's openid, which the accounts domain keeps.
    try:
        return (await accounts.find_user(str(user_id))).openid
    except NotFound:
        return ""


@dataclass(frozen=True, slots=True)
class SecCheck:
    """Our record of a content-security verdict."""

    suggest: SecVerdict
    label: int | None


async def check_text(
    *,
    checker: ContentChecker | None,
    content: str,
    scene: int,
    locale: str | None,
    author_id: uuid.UUID | None = None,
    openid: str | None = None,
) -> SecCheck:
    """Run WeChat content security; risky text is refused with the reason.

    When the check cannot be made (not configured, WeChat down, no openid to check as) the text is
    held for a human review instead of being published unchecked or refusing the author's work.
    `openid` names whom WeChat checks the text as (default: the author's own openid).
    """
    if checker is None:
        return SecCheck(SecVerdict.REVIEW, None)
    try:
        if openid is None:
            openid = await openid_of(author_id) if author_id is not None else ""
        result = await checker.msg_sec_check(openid=openid, content=content, scene=scene)
    except IntegrationError:
        log.warning("content security unavailable; holding for review")
        return SecCheck(SecVerdict.REVIEW, None)
    verdict = SecVerdict(result.suggest)
    if verdict is SecVerdict.RISKY:
        label = int(result.label)
        reason = translate(f"community.sec_label.{label}", locale or DEFAULT_LOCALE)
        if reason == f"community.sec_label.{label}":
            reason = translate("community.sec_label.other", locale or DEFAULT_LOCALE)
        raise ContentRisky(
            details={"suggest": verdict.value, "label": label, "reason": reason}, reason=reason
        )
    return SecCheck(verdict, int(result.label))
