"""The inbox and WeChat subscribe messages: every notification is an inbox row; some also go to WeChat.

Other domains call `notify(...)` (inside their own transaction when they pass `using_db`). The text is
not stored: `kind` is a message id in the owning domain's .po files, rendered with `params` in the
reader's language when the inbox is read. When `kind` maps to a subscribe-message template and the user
has a consent left, an outbox message sends it through WeChat later (consents are used up one per send).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from integrations.errors import IntegrationRejected
from integrations.wechat.errors import SubscribeConsentMissing
from services.accounts import family
from services.common import clock
from services.common.db import raw_rows
from services.common.i18n import translate
from services.common.ids import parse_id
from services.common.pagination import keyset_page
from services.notifications.enums import PushStatus
from services.notifications.errors import InboxMessageNotFound
from services.notifications.models import InboxMessage, SubscriptionConsent
from services.notifications.notices import (
    ON_BEHALF,
    QUEUED_IF_CONSENT,
    SUBSCRIBE_TOPIC,
    Notice,
    notices,
    queue_pushes,
)
from services.notifications.ports import SubscribeMessageSender

__all__ = [
    "SUBSCRIBE_TOPIC",
    "ConsentBalance",
    "apply_push_event",
    "InboxItem",
    "InboxPage",
    "deliver_subscribe_message",
    "list_consents",
    "list_inbox",
    "mark_read",
    "notify",
    "record_consents",
    "write_notice",
]


# WeChat's `lang` values for our locales.
_WECHAT_LANG = {"zh_CN": "zh_CN", "en": "en_US"}
# A template "thing" value is at most 20 characters.
_THING_MAX = 20


@dataclass(frozen=True, slots=True)
class InboxItem:
    """An inbox message rendered for one reader."""

    id: uuid.UUID
    kind: str
    text: str
    params: dict[str, Any]
    link: str | None
    case_ref: str | None
    read_at: dt.datetime | None
    created_at: dt.datetime
    push_status: PushStatus

    @property
    def read(self) -> bool:
        return self.read_at is not None


@dataclass(frozen=True, slots=True)
class InboxPage:
    """One page of the inbox, the cursor for the next (None at the end), and the unread count."""

    items: list[InboxItem]
    next_cursor: str | None
    unread: int


@dataclass(frozen=True, slots=True)
class ConsentBalance:
    template_id: str
    remaining: int


def _text(message: InboxMessage, locale: str | None) -> str:
    params = dict(message.params or {})
    on_behalf = params.pop(ON_BEHALF, None)
    text = translate(message.kind, locale, **params)
    if isinstance(on_behalf, dict):
        # A proxy's copy: the same news, saying whom it is about ("For your parent: ...").
        relation = translate(f"family.relation.{on_behalf.get('relation') or 'other'}", locale)
        text = translate("notify.on_behalf", locale, relation=relation, text=text)
    return text


def render(message: InboxMessage, locale: str | None) -> InboxItem:
    """`message` in `locale`, rendered now (kind ids live in each domain's .po files; zh_CN fallback)."""
    return InboxItem(
        id=message.id,
        kind=message.kind,
        text=_text(message, locale),
        params=message.params or {},
        link=message.link,
        case_ref=message.case_ref,
        read_at=message.read_at,
        created_at=message.created_at,
        push_status=PushStatus(message.push_status),
    )


async def notify(
    *,
    user_id: uuid.UUID | str,
    kind: str,
    params: dict[str, Any],
    link: str | None = None,
    case_ref: str | None = None,
    proxy_scope: str | None = None,
    proxies: list[tuple[uuid.UUID, str]] | None = None,
    using_db: BaseDBAsyncClient | None = None,
) -> InboxMessage:
    """Put a message in the user's inbox, and queue a WeChat subscribe message when one is due.

    With `proxy_scope` (e.g. "bookings", "cases", "care"), everyone holding a live family grant of
    the user for that scope gets a copy too ("For your parent: ..."), each under their own consents;
    a caller that already read them (`family.proxies_of(subject_id=user_id, scope=proxy_scope)`)
    passes them as `proxies` so they are not read twice.
    Pass your transaction as `using_db` so the notification commits (or not) with your change.
    """
    if using_db is not None:
        return await _notify_all(user_id, kind, params, link, case_ref, proxy_scope, proxies, conn=using_db)
    async with in_transaction() as conn:
        return await _notify_all(user_id, kind, params, link, case_ref, proxy_scope, proxies, conn=conn)


async def _notify_all(
    user_id: uuid.UUID | str,
    kind: str,
    params: dict[str, Any],
    link: str | None,
    case_ref: str | None,
    proxy_scope: str | None,
    proxies: list[tuple[uuid.UUID, str]] | None,
    *,
    conn: BaseDBAsyncClient,
) -> InboxMessage:
    if proxy_scope and proxies is None:
        proxies = await family.proxies_of(subject_id=user_id, scope=proxy_scope)
    rows = notices(
        user_id=user_id,
        kind=kind,
        params=params,
        link=link,
        case_ref=case_ref,
        proxies=(proxies or ()) if proxy_scope else (),
    )
    messages = [await write_notice(row, conn=conn) for row in rows]
    return messages[0]


async def write_notice(row: Notice, *, conn: BaseDBAsyncClient) -> InboxMessage:
    """One inbox row in one statement (queued when the user has a consent left), and its outbox message."""
    now = clock.now()
    found = await raw_rows(
        _INBOX_INSERT,
        [row.id, row.user_id, row.kind, row.params_json, row.link, row.case_ref, now],
        conn=conn,
    )
    queued = found[0]["push_status"] == PushStatus.QUEUED.value
    message = InboxMessage(
        id=row.id,
        user_id=row.user_id,
        kind=row.kind,
        params=row.params,
        link=row.link,
        case_ref=row.case_ref,
        push_status=PushStatus.QUEUED if queued else PushStatus.NONE,
        created_at=now,
    )
    message._saved_in_db = True
    if queued:
        await queue_pushes([row.id], conn=conn)
    return message


# The inbox row, queued for a subscribe message when the user has any consent left (one statement).
_INBOX_INSERT = (
    "INSERT INTO notification_inbox (id, user_id, kind, params, link, case_ref, push_status, created_at)"  # noqa: S608
    f" VALUES ($1, $2, $3, $4, $5, $6, {QUEUED_IF_CONSENT.format(user='$2')}, $7) RETURNING push_status"
)


async def list_inbox(
    *, user_id: uuid.UUID, locale: str | None, limit: int, cursor: str | None = None
) -> InboxPage:
    """The user's inbox, newest first, rendered in `locale`, with the number of unread messages."""
    page = await keyset_page(InboxMessage.filter(user_id=user_id), limit=limit, cursor=cursor)
    unread = await InboxMessage.filter(user_id=user_id, read_at=None).count()
    return InboxPage(
        items=[render(row, locale) for row in page.items], next_cursor=page.next_cursor, unread=unread
    )


async def mark_read(*, user_id: uuid.UUID, message_id: str, locale: str | None) -> InboxItem:
    """Mark one of the user's messages read (idempotent); another user's message is a 404."""
    parsed = parse_id(message_id)
    message = await InboxMessage.get_or_none(id=parsed, user_id=user_id) if parsed else None
    if message is None:
        raise InboxMessageNotFound()
    if message.read_at is None:
        await InboxMessage.filter(id=message.id, read_at=None).update(read_at=clock.now())
        await message.refresh_from_db()
    return render(message, locale)


async def record_consents(*, user_id: uuid.UUID, template_ids: list[str]) -> list[ConsentBalance]:
    """Add one consent per template id (what wx.requestSubscribeMessage returned as accepted)."""
    balances: list[ConsentBalance] = []
    for template_id in dict.fromkeys(template_ids):  # de-duplicated, order kept
        await _add_consent(user_id=user_id, template_id=template_id)
        remaining = await SubscriptionConsent.get(user_id=user_id, template_id=template_id).values_list(
            "remaining", flat=True
        )
        balances.append(ConsentBalance(template_id=template_id, remaining=int(remaining)))
    return balances


async def _add_consent(*, user_id: uuid.UUID, template_id: str) -> None:
    # An atomic increment; the first consent creates the row, and a concurrent creator loses
    # the unique race and increments instead.
    filt = SubscriptionConsent.filter(user_id=user_id, template_id=template_id)
    if await filt.update(remaining=F("remaining") + 1):
        return
    try:
        async with in_transaction() as conn:
            await SubscriptionConsent.create(
                user_id=user_id, template_id=template_id, remaining=1, using_db=conn
            )
    except IntegrityError:
        await filt.update(remaining=F("remaining") + 1)


async def list_consents(*, user_id: uuid.UUID) -> list[ConsentBalance]:
    """The user's subscribe-message consents still unused, per template."""
    rows = await SubscriptionConsent.filter(user_id=user_id).order_by("template_id")
    return [ConsentBalance(template_id=row.template_id, remaining=row.remaining) for row in rows]


_CONSENT_EVENTS = {
    "subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
    "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
}


async def apply_push_event(event: Mapping[str, Any]) -> int:
    """Apply a WeChat push event: a template the user rejected (in the pop-up or later in settings)
    has no consent left. Accepts are counted from POST /me/subscriptions, not here, so nothing is
    counted twice. Returns how many consent rows were zeroed; any other event is ignored.
    """
    wrapper = _CONSENT_EVENTS.get(str(event.get("Event") or ""))
    openid = event.get("FromUserName")
    if wrapper is None or not isinstance(openid, str) or not openid:
        return 0
    # XML events nest the list in <SubscribeMsg...Event><List>; JSON ones put it at the top.
    container = event.get(wrapper) if isinstance(event.get(wrapper), dict) else event
    entries = container.get("List") if isinstance(container, dict) else None
    if isinstance(entries, dict):
        entries = [entries]
    rejected = [
        str(entry["TemplateId"])
        for entry in entries or []
        if isinstance(entry, dict)
        and entry.get("TemplateId")
        and entry.get("SubscribeStatusString") == "reject"
    ]
    if not rejected:
        return 0
    ids = await SubscriptionConsent.filter(user__openid=openid, template_id__in=rejected).values_list(
        "id", flat=True
    )
    if not ids:
        return 0
    return await SubscriptionConsent.filter(id__in=list(ids)).update(remaining=0)


async def deliver_subscribe_message(
    *,
    message_id: str,
    sender: SubscribeMessageSender,
    miniprogram_state: str,
    templates: Mapping[str, str],
) -> PushStatus:
    """Send the queued subscribe message for one inbox row, using up one consent (the outbox handler).

    43101 (no consent left at WeChat) is recorded on the row, not raised: the inbox already has it.
    Transient failures propagate so the outbox retries; other refusals are recorded and re-raised.
    """
    message = await InboxMessage.get_or_none(id=message_id).select_related("user")
    if message is None:
        raise InboxMessageNotFound()
    if message.push_status != PushStatus.QUEUED:
        return PushStatus(message.push_status)  # already handled by an earlier delivery
    user = message.user
    template_id = message.template_id or templates.get(message.kind)
    if getattr(user, "deleted_at", None) is not None or not template_id:
        return await _set_status(message, PushStatus.NONE)
    if message.template_id != template_id:
        await InboxMessage.filter(id=message.id).update(template_id=template_id)
        message.template_id = template_id
    consent = SubscriptionConsent.filter(user_id=user.id, template_id=template_id)
    if not await consent.filter(remaining__gt=0).exists():
        # Never consented to this template: just the inbox. Consented, but used up since: missing.
        ran_out = await consent.exists()
        return await _set_status(message, PushStatus.CONSENT_MISSING if ran_out else PushStatus.NONE)
    locale = user.locale or "zh_CN"
    try:
        await sender.send_subscribe_message(
            openid=user.openid,
            template_id=message.template_id,
            data=template_data(message, locale),
            page=(message.link or "").lstrip("/") or None,
            lang=_WECHAT_LANG.get(locale, "zh_CN"),
            miniprogram_state=miniprogram_state,
        )
    except SubscribeConsentMissing:
        # WeChat is the authority on consents: ours was out of date, so it is now zero.
        await consent.update(remaining=0)
        return await _set_status(message, PushStatus.CONSENT_MISSING)
    except IntegrationRejected:
        # Refused for good (a bad template, a blocked user): recorded here, dead-lettered by the outbox.
        await _set_status(message, PushStatus.FAILED)
        raise
    await consent.filter(remaining__gt=0).update(remaining=F("remaining") - 1)
    return await _set_status(message, PushStatus.SENT)


def template_data(message: InboxMessage, locale: str) -> dict[str, dict[str, str]]:
    """The subscribe-message `data`: the notification text (thing1), its time (time2), the case (character_string3)."""
    # thing1 holds 20 characters: the news itself ("[Emergency] ..."), not the "For your parent: " a
    # proxy's copy starts with in the inbox, which would leave no room for what happened.
    params = {k: v for k, v in (message.params or {}).items() if k != ON_BEHALF}
    text = translate(message.kind, locale, **params)
    created = clock.to_local(message.created_at or clock.now())
    data = {
        "thing1": {"value": text if len(text) <= _THING_MAX else text[: _THING_MAX - 1] + "…"},
        "time2": {"value": created.strftime("%Y-%m-%d %H:%M")},
    }
    if message.case_ref:
        data["character_string3"] = {"value": message.case_ref[:32]}
    return data


async def _set_status(message: InboxMessage, status: PushStatus) -> PushStatus:
    await InboxMessage.filter(id=message.id).update(push_status=status)
    return status
