"""Notices: posting, review by a second staff member, scheduling, read receipts, urgent pushes."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.accounts.principal import Principal
from services.common import audit, clock, outbox
from services.common.errors import InvalidInput
from services.common.i18n import DEFAULT_LOCALE, translate
from services.common.ids import parse_id
from services.common.pagination import Page, decode_cursor, encode_cursor, keyset_page
from services.community.communities import (
    community_by_id,
    community_of_staff,
    is_staff,
    is_verified_member,
    sees_members_only,
)
from services.community.content import SCENE_NOTICE, check_text
from services.community.enums import (
    MembershipStatus,
    NoticeCategory,
    NoticeStatus,
    NoticeVisibility,
    SecVerdict,
)
from services.community.errors import (
    BadSchedule,
    IllegalNoticeTransition,
    NoticeNotFound,
    SecondReviewerRequired,
)
from services.community.files import resolve_attachments
from services.community.models import (
    Community,
    Membership,
    Notice,
    NoticeRead,
)
from services.community.ports import ContentChecker

__all__ = [
    "TOPIC_URGENT_NOTICE",
    "ReadReceipts",
    "announce_due_urgent_notices",
    "create_notice",
    "get_notice",
    "index_notice",
    "list_community_notices",
    "list_staff_notices",
    "notice_reads",
    "review_notice",
    "update_notice",
    "urgent_notice_audience",
    "withdraw_notice",
]

log = logging.getLogger(__name__)

TOPIC_URGENT_NOTICE = "community.urgent_notice"


def _visible_now(now: dt.datetime) -> Q:
    return Q(status=NoticeStatus.PUBLISHED, publish_at__lte=now) & (
        Q(expire_at__isnull=True) | Q(expire_at__gt=now)
    )


def _notice_is_visible(notice: Notice, now: dt.datetime) -> bool:
    return (
        notice.status is NoticeStatus.PUBLISHED
        and notice.publish_at <= now
        and (notice.expire_at is None or notice.expire_at > now)
    )


def _check_schedule(publish_at: dt.datetime, expire_at: dt.datetime | None) -> None:
    if expire_at is not None and expire_at <= publish_at:
        raise BadSchedule()


async def _announce_if_due(notice: Notice, *, conn: Any) -> bool:
    """Queue the push to members of an urgent notice once it is visible (exactly once per notice)."""
    now = clock.now()
    if not notice.urgent or notice.notified_at is not None or not _notice_is_visible(notice, now):
        return False
    claimed = (
        await Notice.filter(id=notice.id, notified_at__isnull=True).using_db(conn).update(notified_at=now)
    )
    if claimed != 1:
        return False
    notice.notified_at = now
    await outbox.enqueue(
        topic=TOPIC_URGENT_NOTICE,
        payload={"notice_id": str(notice.id)},
        aggregate_type="community_notice",
        aggregate_id=str(notice.id),
        using_db=conn,
    )
    return True


async def announce_due_urgent_notices() -> int:
    """Periodic: urgent notices scheduled for later are pushed when their publish_at comes."""
    now = clock.now()
    due = await Notice.filter(_visible_now(now), urgent=True, notified_at__isnull=True).limit(100)
    queued = 0
    for notice in due:
        async with in_transaction() as conn:
            queued += await _announce_if_due(notice, conn=conn)
    return queued


async def create_notice(
    *,
    actor: Principal,
    community_id: str,
    title: str,
    body: str,
    category: NoticeCategory,
    visibility: NoticeVisibility,
    urgent: bool,
    pinned: bool,
    publish_at: dt.datetime | None,
    expire_at: dt.datetime | None,
    attachments: list[dict[str, Any]],
    checker: ContentChecker | None,
    locale: str = DEFAULT_LOCALE,
) -> Notice:
    """Post a notice: published when WeChat passes it, held for a second staff member on 'review'."""
    community = await community_of_staff(actor=actor, community_id=community_id)
    publish_at = publish_at or clock.now()
    _check_schedule(publish_at, expire_at)
    verdict = await check_text(
        checker=checker,
        author_id=actor.user_id,
        content=f"{title}\n{body}",
        scene=SCENE_NOTICE,
        locale=locale,
    )
    status = NoticeStatus.PUBLISHED if verdict.suggest is SecVerdict.PASS else NoticeStatus.REVIEW
    resolved = await resolve_attachments(actor, attachments)
    async with in_transaction() as conn:
        notice = await Notice.create(
            community_id=community.id,
            author_id=actor.user_id,
            title=title,
            body=body,
            category=category,
            visibility=visibility,
            urgent=urgent,
            pinned=pinned,
            status=status,
            publish_at=publish_at,
            expire_at=expire_at,
            attachments=resolved,
            sec_suggest=verdict.suggest.value,
            sec_label=str(verdict.label) if verdict.label is not None else None,
            using_db=conn,
        )
        await audit.record(
            "notice.posted",
            actor_id=actor.user_id,
            target_type="notice",
            target_id=notice.id,
            details={"status": status.value},
            using_db=conn,
        )
        await _announce_if_due(notice, conn=conn)
    await index_notice(notice, community)
    return notice


async def _staff_notice(actor: Principal, notice_id: str) -> Notice:
    """The notice when `actor` is staff of its community; otherwise it does not exist for them."""
    parsed = parse_id(notice_id)
    notice = await Notice.get_or_none(id=parsed) if parsed else None
    if notice is None or not is_staff(actor, notice.community_id):
        raise NoticeNotFound()
    return notice


async def update_notice(
    *,
    actor: Principal,
    notice_id: str,
    changes: dict[str, Any],
    checker: ContentChecker | None,
    locale: str = DEFAULT_LOCALE,
) -> Notice:
    """Edit, pin/unpin or reschedule; changed text is checked again (and may go back to review)."""
    notice = await _staff_notice(actor, notice_id)
    if notice.status is NoticeStatus.WITHDRAWN:
        raise IllegalNoticeTransition(status=notice.status.value)
    for name in ("title", "body", "category", "visibility", "urgent", "pinned"):
        if name in changes and changes[name] is not None:
            setattr(notice, name, changes[name])
    if changes.get("attachments") is not None:
        notice.attachments = await resolve_attachments(actor, changes["attachments"])
    if "publish_at" in changes and changes["publish_at"] is not None:
        notice.publish_at = changes["publish_at"]
    if "expire_at" in changes:
        notice.expire_at = changes["expire_at"]
    _check_schedule(notice.publish_at, notice.expire_at)
    if {"title", "body"} & {k for k, v in changes.items() if v is not None}:
        verdict = await check_text(
            checker=checker,
            author_id=actor.user_id,
            content=f"{notice.title}\n{notice.body}",
            scene=SCENE_NOTICE,
            locale=locale,
        )
        notice.sec_suggest = verdict.suggest.value
        notice.sec_label = str(verdict.label) if verdict.label is not None else None
        if verdict.suggest is SecVerdict.REVIEW or notice.status is NoticeStatus.REJECTED:
            # Held by WeChat, or rewritten after a colleague rejected it: a second look either way.
            notice.status = NoticeStatus.REVIEW
            notice.reviewed_by_id = None
            notice.reviewed_at = None
        elif notice.status is NoticeStatus.REVIEW and notice.author_id == actor.user_id:
            # Clean text from the author no longer needs a second pair of eyes.
            notice.status = NoticeStatus.PUBLISHED
        # The editor becomes the author of the new text, so a second reviewer is someone else.
        notice.author_id = actor.user_id
    async with in_transaction() as conn:
        await notice.save(using_db=conn)
        await audit.record(
            "notice.edited",
            actor_id=actor.user_id,
            target_type="notice",
            target_id=notice.id,
            details={"fields": sorted(k for k, v in changes.items() if v is not None)},
            using_db=conn,
        )
        await _announce_if_due(notice, conn=conn)
    await index_notice(notice, None)
    return notice


async def review_notice(*, actor: Principal, notice_id: str, approve: bool) -> Notice:
    """A second staff member of the community approves (publishes) or rejects a held notice."""
    notice = await _staff_notice(actor, notice_id)
    if notice.status is not NoticeStatus.REVIEW:
        raise IllegalNoticeTransition(status=notice.status.value)
    if notice.author_id == actor.user_id:
        raise SecondReviewerRequired()
    now = clock.now()
    target = NoticeStatus.PUBLISHED if approve else NoticeStatus.REJECTED
    async with in_transaction() as conn:
        updated = (
            await Notice.filter(id=notice.id, status=NoticeStatus.REVIEW)
            .using_db(conn)
            .update(status=target, reviewed_by_id=actor.user_id, reviewed_at=now)
        )
        if updated != 1:
            raise IllegalNoticeTransition(status="changed")
        notice.status, notice.reviewed_by_id, notice.reviewed_at = target, actor.user_id, now
        await audit.record(
            "notice.reviewed",
            actor_id=actor.user_id,
            target_type="notice",
            target_id=notice.id,
            details={"approve": approve},
            using_db=conn,
        )
        await _announce_if_due(notice, conn=conn)
    await index_notice(notice, None)
    return notice


async def withdraw_notice(*, actor: Principal, notice_id: str) -> Notice:
    notice = await _staff_notice(actor, notice_id)
    if notice.status is NoticeStatus.WITHDRAWN:
        raise IllegalNoticeTransition(status=notice.status.value)
    notice.status = NoticeStatus.WITHDRAWN
    notice.withdrawn_at = clock.now()
    notice.pinned = False
    await notice.save(update_fields=["status", "withdrawn_at", "pinned", "updated_at"])
    await audit.record("notice.withdrawn", actor_id=actor.user_id, target_type="notice", target_id=notice.id)
    await index_notice(notice, None)
    return notice


async def list_community_notices(
    *,
    viewer: Principal | None,
    community_id: str,
    category: NoticeCategory | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """What residents see: visible now, members-only ones to verified members; pinned first, newest next."""
    community = await community_by_id(community_id)
    query = Notice.filter(_visible_now(clock.now()), community_id=community.id)
    if not await sees_members_only(viewer, community.id):
        query = query.filter(visibility=NoticeVisibility.PUBLIC)
    if category:
        query = query.filter(category=category)
    position = decode_cursor(cursor)
    if position:
        try:
            pinned = bool(position["p"])
            at = dt.datetime.fromisoformat(str(position["t"]))
            last = uuid.UUID(str(position["i"]))
        except (KeyError, ValueError) as error:
            raise InvalidInput("request.bad_cursor") from error
        after_same_pin = Q(pinned=pinned) & (Q(publish_at__lt=at) | Q(publish_at=at, id__lt=last))
        query = query.filter(after_same_pin | Q(pinned=False)) if pinned else query.filter(after_same_pin)
    rows = await query.order_by("-pinned", "-publish_at", "-id").limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last_row = rows[-1]
        next_cursor = encode_cursor(
            {"p": int(last_row.pinned), "t": last_row.publish_at.isoformat(), "i": str(last_row.id)}
        )
    return Page(items=rows, next_cursor=next_cursor)


async def get_notice(*, viewer: Principal | None, notice_id: str) -> Notice:
    """One notice as residents see it; a verified member reading it leaves a read receipt."""
    parsed = parse_id(notice_id)
    notice = await Notice.get_or_none(id=parsed) if parsed else None
    if notice is None:
        raise NoticeNotFound()
    if is_staff(viewer, notice.community_id):
        return notice  # staff previews do not count as reads
    if not _notice_is_visible(notice, clock.now()):
        raise NoticeNotFound()
    member = viewer is not None and await is_verified_member(viewer.user_id, notice.community_id)
    if notice.visibility is NoticeVisibility.MEMBERS and not member:
        raise NoticeNotFound()
    if member and viewer is not None:
        try:
            await NoticeRead.get_or_create(notice_id=notice.id, user_id=viewer.user_id)
        except IntegrityError:
            pass  # read twice at the same moment: the first receipt stands
    return notice


async def list_staff_notices(
    *, actor: Principal, community_id: str, status: NoticeStatus | None, limit: int, cursor: str | None
) -> Page:
    """Everything staff posted in their community, including held, scheduled and expired notices."""
    community = await community_of_staff(actor=actor, community_id=community_id)
    query = Notice.filter(community_id=community.id)
    if status:
        query = query.filter(status=status)
    return await keyset_page(query, limit=limit, cursor=cursor)


@dataclass(frozen=True, slots=True)
class ReadReceipts:
    notice: Notice
    read_count: int
    member_count: int
    page: Page


async def notice_reads(*, actor: Principal, notice_id: str, limit: int, cursor: str | None) -> ReadReceipts:
    """Who has read a notice (staff of its community), with the number of members it could reach."""
    notice = await _staff_notice(actor, notice_id)
    read_count = await NoticeRead.filter(notice_id=notice.id).count()
    member_count = await Membership.filter(
        community_id=notice.community_id, status=MembershipStatus.VERIFIED
    ).count()
    position = decode_cursor(cursor)
    query = NoticeRead.filter(notice_id=notice.id)
    if position:
        try:
            at = dt.datetime.fromisoformat(str(position["t"]))
            last = uuid.UUID(str(position["i"]))
        except (KeyError, ValueError) as error:
            raise InvalidInput("request.bad_cursor") from error
        query = query.filter(Q(read_at__gt=at) | Q(read_at=at, id__gt=last))
    rows = await query.order_by("read_at", "id").limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor({"t": rows[-1].read_at.isoformat(), "i": str(rows[-1].id)}) if more else None
    return ReadReceipts(notice, read_count, member_count, Page(items=rows, next_cursor=next_cursor))


async def urgent_notice_audience(*, notice_id: str) -> tuple[Notice | None, list[uuid.UUID]]:
    """The notice and the members to push it to (verified ones; pending too for public notices)."""
    notice = await Notice.get_or_none(id=parse_id(notice_id))
    if notice is None or not _notice_is_visible(notice, clock.now()):
        return notice, []
    statuses = [MembershipStatus.VERIFIED]
    if notice.visibility is NoticeVisibility.PUBLIC:
        statuses.append(MembershipStatus.PENDING)
    members = await Membership.filter(community_id=notice.community_id, status__in=statuses).values_list(
        "user_id", flat=True
    )
    return notice, list(members)


async def index_notice(notice: Notice, community: Community | None) -> None:
    """Public notices are searchable while visible; anything else is removed from search."""
    try:
        from services.search import service as search
    except ImportError:  # search not installed
        return
    try:
        now = clock.now()
        if notice.visibility is NoticeVisibility.PUBLIC and _notice_is_visible(notice, now):
            community = community or await Community.get(id=notice.community_id)
            await search.index_document(
                kind="notice",
                ref=str(notice.id),
                title={"zh_CN": notice.title},
                summary={"zh_CN": notice.body[:200]},
                keywords=[community.name_zh, translate(f"community.notice_category.{notice.category.value}")],
                url=f"/api/v1/notices/{notice.id}",
            )
        else:
            await search.remove_document(kind="notice", ref=str(notice.id))
    except Exception:  # search is a convenience; never fail a staff action over it
        log.warning("could not index notice", extra={"notice_id": str(notice.id)}, exc_info=True)
