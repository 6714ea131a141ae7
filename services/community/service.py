"""Community (智慧社区): communities, membership, notices with read receipts, and 随手拍 reports.

Who may do what is decided here, not at the edge: staff of a community (role community_staff scoped
to the community id) manage only that community; another community's object is a NotFound.

Membership policy: joining (POST /me/community) makes a *pending* membership, which sees public
notices only; staff of the community verify residency (they may ask for the home address given at
joining, stored encrypted and shown to them masked). Members-only notices and events are for
*verified* members. A community may opt in to `auto_verify_members` (e.g. a small village where staff
know everyone) and then joining verifies at once. One membership per person: joining another
community moves it and starts over as pending.
Events (sign-up through the booking engine) are in services.community.events; the Open311 view
of reports is in services.community.open311.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from integrations.errors import IntegrationError
from services.accounts import service as accounts
from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import clock, outbox
from services.common.crypto import PiiCipher, mask_phone
from services.common.errors import InvalidInput, NotFound
from services.common.i18n import DEFAULT_LOCALE, translate
from services.common.ids import parse_id
from services.common.pagination import Page, decode_cursor, encode_cursor, keyset_page
from services.common.ratelimit import RateLimiter, RateRule
from services.common.storage import DOCUMENT_TYPES, IMAGE_TYPES, FileStore
from services.community.enums import (
    MembershipStatus,
    NoticeCategory,
    NoticeStatus,
    NoticeVisibility,
    ReportCategory,
    ReportSource,
    ReportStatus,
    SecVerdict,
)
from services.community.errors import (
    BadDuplicateTarget,
    BadFileReference,
    BadSchedule,
    CommunityNotFound,
    ContentRisky,
    IllegalNoticeTransition,
    IllegalReportTransition,
    LocationRequired,
    MembershipNotFound,
    NoCommunityForReport,
    NotAMember,
    NotCommunityStaff,
    NoticeNotFound,
    NotResolvedYet,
    OwnReport,
    PossibleDuplicate,
    ReportNotFound,
    SecondReviewerRequired,
)
from services.community.models import (
    Community,
    CommunityFile,
    Membership,
    Notice,
    NoticeRead,
    Region,
    Report,
    ReportFollower,
    ReportHistory,
)
from services.community.ports import ContentChecker

__all__ = [
    "DUPLICATE_RADIUS_M",
    "DUPLICATE_WINDOW_DAYS",
    "TOPIC_REPORT_CHANGED",
    "TOPIC_URGENT_NOTICE",
    "ReportView",
    "SecCheck",
    "announce_due_urgent_notices",
    "change_report_status",
    "check_text",
    "community_of_staff",
    "create_notice",
    "create_report",
    "distance_m",
    "file_url",
    "read_file",
    "upload_file",
    "get_community",
    "get_notice",
    "index_notice",
    "is_staff",
    "get_report",
    "join_community",
    "list_communities",
    "list_community_notices",
    "list_members",
    "member_view",
    "list_my_reports",
    "list_staff_notices",
    "list_staff_reports",
    "mask_address",
    "me_too",
    "my_membership",
    "notice_reads",
    "report_feedback",
    "review_notice",
    "sees_members_only",
    "similar_reports",
    "update_notice",
    "verify_membership",
    "withdraw_notice",
]

log = logging.getLogger(__name__)

TOPIC_URGENT_NOTICE = "community.urgent_notice"
TOPIC_REPORT_CHANGED = "community.report_status_changed"
DUPLICATE_RADIUS_M = 200.0
DUPLICATE_WINDOW_DAYS = 30
# A report farther than this from every community centre is not ours to place automatically.
MAX_PLACEMENT_M = 30_000.0
_EARTH_RADIUS_M = 6_371_008.8
# WeChat msg_sec_check scenes: 1 profile, 2 comment, 3 forum post, 4 social log.
SCENE_NOTICE = 3
SCENE_REPORT = 2


# ---------------------------------------------------------------------------------------------- helpers


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine; ample for a city)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def mask_address(value: str | None) -> str | None:
    """'河南省济源市沁园街道宣化街12号3单元' -> '河南省济源市沁园街****': keeps the area, hides the door."""
    if not value:
        return value
    keep = min(len(value) // 2, 10)
    return value[:keep] + "****"


def is_staff(actor: Principal | None, community_id: uuid.UUID) -> bool:
    return actor is not None and actor.has_role(Role.COMMUNITY_STAFF, scope=str(community_id))


async def _community(community_id: str | uuid.UUID) -> Community:
    parsed = parse_id(community_id)
    community = await Community.get_or_none(id=parsed) if parsed else None
    if community is None:
        raise CommunityNotFound()
    return community


async def community_of_staff(*, actor: Principal, community_id: str | uuid.UUID) -> Community:
    """The community, when `actor` is its staff; another community's staff gets a 403."""
    community = await _community(community_id)
    if not is_staff(actor, community.id):
        raise NotCommunityStaff()
    return community


async def _membership_of(user_id: uuid.UUID) -> Membership | None:
    return await Membership.get_or_none(user_id=user_id)


async def _is_verified_member(user_id: uuid.UUID | None, community_id: uuid.UUID) -> bool:
    if user_id is None:
        return False
    return await Membership.exists(
        user_id=user_id, community_id=community_id, status=MembershipStatus.VERIFIED
    )


async def _openid_of(user_id: uuid.UUID) -> str:
    # WeChat's msg_sec_check v2 wants the author's openid, which the accounts domain keeps.
    try:
        return (await accounts.find_user(str(user_id))).openid
    except NotFound:
        return ""


# ---------------------------------------------------------------------------------------------- content security


@dataclass(frozen=True, slots=True)
class SecCheck:
    """Our record of a content-security verdict."""

    suggest: SecVerdict
    label: int | None


async def check_text(
    *, checker: ContentChecker | None, author_id: uuid.UUID, content: str, scene: int, locale: str | None
) -> SecCheck:
    """Run WeChat content security; risky text is refused with the reason.

    When the check cannot be made (not configured, WeChat down) the text is held for a human
    review instead of being published unchecked or refusing the author's work.
    """
    if checker is None:
        return SecCheck(SecVerdict.REVIEW, None)
    try:
        result = await checker.msg_sec_check(openid=await _openid_of(author_id), content=content, scene=scene)
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


# ---------------------------------------------------------------------------------------------- communities


@dataclass(frozen=True, slots=True)
class CommunityView:
    community: Community
    region: Region
    distance_m: float | None = None


async def list_communities(
    *, near: tuple[float, float] | None, region: str | None, limit: int, cursor: str | None
) -> Page:
    """Communities and villages; nearest first when `near` is given (the list is a few dozen rows)."""
    position = decode_cursor(cursor) or {}
    offset = int(position.get("o", 0)) if str(position.get("o", 0)).isdigit() else 0
    query = Community.all().prefetch_related("region")
    if region:
        query = query.filter(region__code=region)
    communities = await query
    views = [
        CommunityView(c, c.region, distance_m(near[0], near[1], c.lat, c.lng) if near else None)
        for c in communities
    ]
    if near:
        views.sort(key=lambda v: (v.distance_m, v.community.code))
    else:
        views.sort(key=lambda v: (v.region.code, v.community.code))
    chunk = views[offset : offset + limit]
    more = offset + limit < len(views)
    return Page(items=chunk, next_cursor=encode_cursor({"o": offset + limit}) if more else None)


async def get_community(*, community_id: str) -> CommunityView:
    community = await _community(community_id)
    await community.fetch_related("region")
    return CommunityView(community, community.region)


# ---------------------------------------------------------------------------------------------- membership


async def join_community(
    *, actor: Principal, community_id: str, address: str | None, cipher: PiiCipher
) -> Membership:
    """Join (or move to) a community: pending until staff verify residency, unless the community auto-verifies."""
    community = await _community(community_id)
    status = MembershipStatus.VERIFIED if community.auto_verify_members else MembershipStatus.PENDING
    address_enc = cipher.encrypt(address, context="community_membership.address") if address else None
    existing = await _membership_of(actor.user_id)
    if existing is not None and existing.community_id == community.id:
        if address_enc:
            existing.address_enc = address_enc
            await existing.save(update_fields=["address_enc", "updated_at"])
        return existing
    defaults = {
        "community_id": community.id,
        "status": status,
        "address_enc": address_enc,
        "verified_by_id": None,
        "verified_at": clock.now() if status is MembershipStatus.VERIFIED else None,
    }
    membership, _ = await Membership.update_or_create(defaults=defaults, user_id=actor.user_id)
    return membership


async def my_membership(*, actor: Principal) -> Membership:
    membership = await _membership_of(actor.user_id)
    if membership is None:
        raise NotAMember()
    return membership


@dataclass(frozen=True, slots=True)
class MemberView:
    membership: Membership
    address: str | None  # masked


def member_view(membership: Membership, *, cipher: PiiCipher) -> MemberView:
    address = None
    if membership.address_enc:
        address = mask_address(cipher.decrypt(membership.address_enc, context="community_membership.address"))
    return MemberView(membership, address)


async def list_members(
    *,
    actor: Principal,
    community_id: str,
    status: MembershipStatus | None,
    limit: int,
    cursor: str | None,
    cipher: PiiCipher,
) -> Page:
    """A community's residents for its staff (addresses masked), e.g. the pending ones to verify."""
    community = await community_of_staff(actor=actor, community_id=community_id)
    query = Membership.filter(community_id=community.id)
    if status:
        query = query.filter(status=status)
    page = await keyset_page(query, limit=limit, cursor=cursor, descending=False)
    return Page(items=[member_view(m, cipher=cipher) for m in page.items], next_cursor=page.next_cursor)


async def verify_membership(*, actor: Principal, membership_id: str, approve: bool) -> Membership:
    """Staff confirm (or refuse) that a person lives in their community."""
    parsed = parse_id(membership_id)
    membership = await Membership.get_or_none(id=parsed) if parsed else None
    if membership is None or not is_staff(actor, membership.community_id):
        raise MembershipNotFound()
    membership.status = MembershipStatus.VERIFIED if approve else MembershipStatus.REJECTED
    membership.verified_by_id = actor.user_id
    membership.verified_at = clock.now()
    await membership.save(update_fields=["status", "verified_by_id", "verified_at", "updated_at"])
    return membership


# ---------------------------------------------------------------------------------------------- files

# Posting limits per person: generous for a resident, tight for a script.
REPORTS_PER_USER = RateRule("community.report", "20/hour", code="community.report_rate_limited")
UPLOADS_PER_USER = RateRule("community.upload", "60/hour", code="community.upload_rate_limited")
PHOTO_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


def file_url(file_id: str | uuid.UUID) -> str:
    return f"/api/v1/community/files/{file_id}"


async def upload_file(
    *,
    actor: Principal,
    data: bytes,
    filename: str,
    store: FileStore,
    max_bytes: int,
    attachment: bool,
    limiter: RateLimiter | None = None,
) -> CommunityFile:
    """Keep a report photo (JPEG/PNG/WebP) or a notice attachment (also PDF), judged by content."""
    if limiter is not None:
        await limiter.hit(UPLOADS_PER_USER, str(actor.user_id))
    allowed = DOCUMENT_TYPES if attachment else IMAGE_TYPES
    limit = min(max_bytes, ATTACHMENT_MAX_BYTES if attachment else PHOTO_MAX_BYTES)
    stored = await store.save(data=data, filename=filename, allowed_types=allowed, max_bytes=limit)
    return await CommunityFile.create(
        owner_id=actor.user_id,
        key=stored.key,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        filename=(filename or "")[:255],
    )


async def read_file(*, file_id: str, store: FileStore) -> tuple[CommunityFile, bytes]:
    """A file by its id. Ids are unguessable (UUIDv7 with 74 random bits) and only handed out with
    the notice or report that uses them, so the id works as the capability to read it."""
    parsed = parse_id(file_id)
    stored = await CommunityFile.get_or_none(id=parsed) if parsed else None
    if stored is None:
        raise NotFound("upload.not_found")
    return stored, await store.read(stored.key)


async def _own_files(actor: Principal, ids: list[str], *, images_only: bool) -> list[CommunityFile]:
    """The caller's own uploads, in the order given; anything else is refused."""
    files: list[CommunityFile] = []
    for raw in ids:
        parsed = parse_id(raw)
        found = await CommunityFile.get_or_none(id=parsed, owner_id=actor.user_id) if parsed else None
        if found is None or (images_only and found.content_type not in IMAGE_TYPES):
            raise BadFileReference(file=str(raw)[:64])
        files.append(found)
    return files


async def _attachments(actor: Principal, attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    files = await _own_files(actor, [str(a.get("file_id", "")) for a in attachments], images_only=False)
    return [
        {
            "file_id": str(f.id),
            "name": (a.get("name") or f.filename or "")[:255],
            "content_type": f.content_type,
            "size": f.size,
            "url": file_url(f.id),
        }
        for f, a in zip(files, attachments, strict=True)
    ]


# ---------------------------------------------------------------------------------------------- pagination


# ---------------------------------------------------------------------------------------------- notices


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
    resolved = await _attachments(actor, attachments)
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
        notice.attachments = await _attachments(actor, changes["attachments"])
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
    await index_notice(notice, None)
    return notice


async def sees_members_only(viewer: Principal | None, community_id: uuid.UUID) -> bool:
    if viewer is None:
        return False
    return is_staff(viewer, community_id) or await _is_verified_member(viewer.user_id, community_id)


async def list_community_notices(
    *,
    viewer: Principal | None,
    community_id: str,
    category: NoticeCategory | None,
    limit: int,
    cursor: str | None,
) -> Page:
    """What residents see: visible now, members-only ones to verified members; pinned first, newest next."""
    community = await _community(community_id)
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
    member = viewer is not None and await _is_verified_member(viewer.user_id, notice.community_id)
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


# ---------------------------------------------------------------------------------------------- reports

_NEXT: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.OPEN: frozenset(
        {ReportStatus.IN_PROGRESS, ReportStatus.RESOLVED, ReportStatus.CLOSED, ReportStatus.DUPLICATE}
    ),
    ReportStatus.IN_PROGRESS: frozenset({ReportStatus.RESOLVED, ReportStatus.CLOSED, ReportStatus.DUPLICATE}),
    ReportStatus.RESOLVED: frozenset({ReportStatus.CLOSED}),
    ReportStatus.CLOSED: frozenset(),
    ReportStatus.DUPLICATE: frozenset(),
}
_ACTIVE = (ReportStatus.OPEN, ReportStatus.IN_PROGRESS)


def report_transition(current: ReportStatus, target: ReportStatus) -> ReportStatus:
    """The staff move current -> target, or IllegalReportTransition."""
    if target not in _NEXT[current]:
        raise IllegalReportTransition(current=current.value, target=target.value)
    return target


@dataclass(frozen=True, slots=True)
class ReportView:
    """A report with what the viewer may see decrypted (None where they may not)."""

    report: Report
    community: Community
    address: str | None
    contact_phone: str | None
    follower_count: int
    viewer_role: str  # reporter | follower | staff | other
    history: list[ReportHistory]


@dataclass(frozen=True, slots=True)
class DuplicateCandidate:
    report: Report
    distance_m: float
    follower_count: int


async def _place_report(
    *,
    actor: Principal | None,
    community_id: str | None,
    lat: float | None,
    lng: float | None,
    address: str | None,
) -> Community:
    """The community a report belongs to: named, else nearest to the spot, else the address, else the reporter's."""
    if community_id:
        return await _community(community_id)
    communities = await Community.all()
    if lat is not None and lng is not None and communities:
        nearest = min(communities, key=lambda c: distance_m(lat, lng, c.lat, c.lng))
        if distance_m(lat, lng, nearest.lat, nearest.lng) <= MAX_PLACEMENT_M:
            return nearest
    if address:
        named = [c for c in communities if c.name_zh and c.name_zh in address]
        if named:
            return named[0]
    if actor is not None:
        membership = await _membership_of(actor.user_id)
        if membership is not None:
            return await Community.get(id=membership.community_id)
    raise NoCommunityForReport()


async def similar_reports(
    *, category: ReportCategory, lat: float, lng: float, exclude_user: uuid.UUID | None = None
) -> list[DuplicateCandidate]:
    """Open reports of the same category within 200 m in the last 30 days, nearest first."""
    since = clock.now() - dt.timedelta(days=DUPLICATE_WINDOW_DAYS)
    # A bounding box narrows the rows in SQL; the exact circle is checked in Python.
    dlat = DUPLICATE_RADIUS_M / 111_320.0
    dlng = DUPLICATE_RADIUS_M / (111_320.0 * max(0.1, math.cos(math.radians(lat))))
    rows = await Report.filter(
        category=category,
        status__in=_ACTIVE,
        created_at__gte=since,
        lat__gte=lat - dlat,
        lat__lte=lat + dlat,
        lng__gte=lng - dlng,
        lng__lte=lng + dlng,
    ).limit(50)
    candidates = []
    for report in rows:
        if exclude_user is not None and report.reporter_id == exclude_user:
            continue
        distance = distance_m(lat, lng, report.lat, report.lng)
        if distance <= DUPLICATE_RADIUS_M:
            followers = await ReportFollower.filter(report_id=report.id).count()
            candidates.append(DuplicateCandidate(report, distance, followers))
    candidates.sort(key=lambda c: c.distance_m)
    return candidates[:5]


def candidate_details(candidates: Iterable[DuplicateCandidate]) -> list[dict[str, Any]]:
    """What a resident is shown about someone else's report: no personal data."""
    return [
        {
            "id": str(c.report.id),
            "category": c.report.category.value,
            "description": c.report.description[:140] if c.report.sec_suggest == SecVerdict.PASS else "",
            "status": c.report.status.value,
            "distance_m": round(c.distance_m),
            "created_at": clock.to_local(c.report.created_at).isoformat(),
            "me_too_count": c.follower_count,
        }
        for c in candidates
    ]


def new_token() -> str:
    return secrets.token_urlsafe(18)


async def create_report(
    *,
    actor: Principal,
    category: ReportCategory,
    description: str,
    lat: float | None,
    lng: float | None,
    address: str | None,
    community_id: str | None,
    photos: list[str],
    contact_phone: str | None,
    confirm_new: bool,
    checker: ContentChecker | None,
    cipher: PiiCipher,
    locale: str = DEFAULT_LOCALE,
    limiter: RateLimiter | None = None,
) -> ReportView:
    """File a 随手拍 report; a similar open report nearby is offered first (409) unless `confirm_new`."""
    if (lat is None) != (lng is None) or (lat is None and not address):
        raise LocationRequired()
    if limiter is not None:
        await limiter.hit(REPORTS_PER_USER, str(actor.user_id))
    community = await _place_report(actor=actor, community_id=community_id, lat=lat, lng=lng, address=address)
    verdict = await check_text(
        checker=checker, author_id=actor.user_id, content=description, scene=SCENE_REPORT, locale=locale
    )
    photo_files = await _own_files(actor, photos, images_only=True)
    if lat is not None and lng is not None and not confirm_new:
        candidates = await similar_reports(category=category, lat=lat, lng=lng, exclude_user=actor.user_id)
        if candidates:
            raise PossibleDuplicate(
                details={"candidates": candidate_details(candidates)}, count=len(candidates)
            )
    async with in_transaction() as conn:
        report = await Report.create(
            community_id=community.id,
            reporter_id=actor.user_id,
            source=ReportSource.APP,
            category=category,
            description=description,
            lat=lat,
            lng=lng,
            address_enc=cipher.encrypt(address, context="community_report.address") if address else None,
            contact_phone_enc=(
                cipher.encrypt(contact_phone, context="community_report.contact_phone")
                if contact_phone
                else None
            ),
            photos=[str(f.id) for f in photo_files],
            sec_suggest=verdict.suggest.value,
            token=new_token(),
            using_db=conn,
        )
        await ReportHistory.create(
            report_id=report.id,
            actor_id=actor.user_id,
            from_status=None,
            to_status=ReportStatus.OPEN,
            using_db=conn,
        )
    return await _view(report, role="reporter", cipher=cipher)


async def _report(report_id: str) -> Report:
    parsed = parse_id(report_id)
    report = await Report.get_or_none(id=parsed) if parsed else None
    if report is None:
        raise ReportNotFound()
    return report


async def _view(report: Report, *, role: str, cipher: PiiCipher) -> ReportView:
    community = await Community.get(id=report.community_id)
    sees_location = role in ("reporter", "staff")
    address = None
    if report.address_enc:
        plain = cipher.decrypt(report.address_enc, context="community_report.address")
        address = plain if sees_location else mask_address(plain)
    phone = None
    if report.contact_phone_enc and role in ("reporter", "staff"):
        phone = mask_phone(cipher.decrypt(report.contact_phone_enc, context="community_report.contact_phone"))
    followers = await ReportFollower.filter(report_id=report.id).count()
    history = await ReportHistory.filter(report_id=report.id).order_by("created_at", "id")
    return ReportView(report, community, address, phone, followers, role, history)


async def _role_on(actor: Principal, report: Report) -> str:
    if report.reporter_id == actor.user_id:
        return "reporter"
    if is_staff(actor, report.community_id):
        return "staff"
    if await ReportFollower.exists(report_id=report.id, user_id=actor.user_id):
        return "follower"
    return "other"


async def get_report(*, actor: Principal, report_id: str, cipher: PiiCipher) -> ReportView:
    """A report for its reporter, its "me too" followers and its community's staff; others get 404."""
    report = await _report(report_id)
    role = await _role_on(actor, report)
    if role == "other":
        raise ReportNotFound()
    return await _view(report, role=role, cipher=cipher)


async def list_my_reports(*, actor: Principal, limit: int, cursor: str | None, cipher: PiiCipher) -> Page:
    followed = await ReportFollower.filter(user_id=actor.user_id).values_list("report_id", flat=True)
    query = Report.filter(Q(reporter_id=actor.user_id) | Q(id__in=list(followed)))
    page = await keyset_page(query, limit=limit, cursor=cursor)
    views = [await _view(r, role=await _role_on(actor, r), cipher=cipher) for r in page.items]
    return Page(items=views, next_cursor=page.next_cursor)


async def list_staff_reports(
    *,
    actor: Principal,
    community_id: str,
    status: ReportStatus | None,
    category: ReportCategory | None,
    limit: int,
    cursor: str | None,
    cipher: PiiCipher,
) -> Page:
    community = await community_of_staff(actor=actor, community_id=community_id)
    query = Report.filter(community_id=community.id)
    if status:
        query = query.filter(status=status)
    if category:
        query = query.filter(category=category)
    page = await keyset_page(query, limit=limit, cursor=cursor)
    views = [await _view(r, role="staff", cipher=cipher) for r in page.items]
    return Page(items=views, next_cursor=page.next_cursor)


async def me_too(*, actor: Principal, report_id: str, cipher: PiiCipher) -> ReportView:
    """ "Me too": follow an open report instead of filing a duplicate; idempotent."""
    report = await _report(report_id)
    if report.reporter_id == actor.user_id:
        raise OwnReport()
    if report.status not in _ACTIVE:
        raise IllegalReportTransition(current=report.status.value, target="me_too")
    try:
        await ReportFollower.get_or_create(report_id=report.id, user_id=actor.user_id)
    except IntegrityError:
        pass
    return await _view(report, role=await _role_on(actor, report), cipher=cipher)


async def _record_change(
    report: Report,
    *,
    actor_id: uuid.UUID | None,
    before: ReportStatus,
    after: ReportStatus,
    note: str | None,
    conn: Any,
    extra: dict[str, Any] | None = None,
) -> None:
    """History row and the outbox event that tells the reporter and followers — with the change itself."""
    await ReportHistory.create(
        report_id=report.id, actor_id=actor_id, from_status=before, to_status=after, note=note, using_db=conn
    )
    await outbox.enqueue(
        topic=TOPIC_REPORT_CHANGED,
        payload={"report_id": str(report.id), "from": before.value, "to": after.value, **(extra or {})},
        aggregate_type="community_report",
        aggregate_id=str(report.id),
        using_db=conn,
    )


async def change_report_status(
    *,
    actor: Principal,
    report_id: str,
    status: ReportStatus,
    note: str | None,
    duplicate_of: str | None,
    cipher: PiiCipher,
) -> ReportView:
    """Staff move a report along open -> in_progress -> resolved/closed, or mark it a duplicate."""
    report = await _report(report_id)
    if not is_staff(actor, report.community_id):
        raise ReportNotFound()
    before = report.status
    after = report_transition(before, status)
    target: Report | None = None
    if after is ReportStatus.DUPLICATE:
        target_id = parse_id(duplicate_of) if duplicate_of else None
        target = await Report.get_or_none(id=target_id) if target_id else None
        if (
            target is None
            or target.id == report.id
            or target.community_id != report.community_id
            or target.status is ReportStatus.DUPLICATE
        ):
            raise BadDuplicateTarget()
    now = clock.now()
    fields_ = {"status": after, "status_notes": note or None}
    if after in (ReportStatus.CLOSED, ReportStatus.DUPLICATE):
        fields_["closed_at"] = now
    if after is ReportStatus.RESOLVED:
        fields_["fixed_confirmed"] = None  # the reporter is asked again
        fields_["closed_at"] = now
    if target is not None:
        fields_["duplicate_of_id"] = target.id
    async with in_transaction() as conn:
        # Compare-and-set on the old status: two staff members acting at once cannot both move it.
        updated = (
            await Report.filter(id=report.id, status=before).using_db(conn).update(**fields_, updated_at=now)
        )
        if updated != 1:
            raise IllegalReportTransition(current="changed", target=after.value)
        await _record_change(report, actor_id=actor.user_id, before=before, after=after, note=note, conn=conn)
        if target is not None:
            # Whoever cared about the duplicate now follows the original.
            people = {report.reporter_id} if report.reporter_id else set()
            people |= set(
                await ReportFollower.filter(report_id=report.id)
                .using_db(conn)
                .values_list("user_id", flat=True)
            )
            people.discard(target.reporter_id)
            for person in people:
                exists = (
                    await ReportFollower.filter(report_id=target.id, user_id=person).using_db(conn).exists()
                )
                if not exists:
                    await ReportFollower.create(report_id=target.id, user_id=person, using_db=conn)
    await report.refresh_from_db()
    return await _view(report, role="staff", cipher=cipher)


async def report_feedback(
    *, actor: Principal, report_id: str, fixed: bool, note: str | None, cipher: PiiCipher
) -> ReportView:
    """The reporter answers "was it fixed?": yes closes the report, no reopens it."""
    report = await _report(report_id)
    if report.reporter_id != actor.user_id:
        raise ReportNotFound()
    if report.status is not ReportStatus.RESOLVED:
        raise NotResolvedYet(status=report.status.value)
    now = clock.now()
    after = ReportStatus.CLOSED if fixed else ReportStatus.OPEN
    values: dict[str, Any] = {"status": after, "fixed_confirmed": fixed, "updated_at": now}
    if fixed:
        values["closed_at"] = now
    else:
        values["closed_at"] = None
        values["reopen_count"] = report.reopen_count + 1
        values["status_notes"] = note or None
    async with in_transaction() as conn:
        updated = (
            await Report.filter(id=report.id, status=ReportStatus.RESOLVED).using_db(conn).update(**values)
        )
        if updated != 1:
            raise NotResolvedYet(status="changed")
        await _record_change(
            report,
            actor_id=actor.user_id,
            before=ReportStatus.RESOLVED,
            after=after,
            note=note,
            conn=conn,
            extra={"by_reporter": True},
        )
    await report.refresh_from_db()
    return await _view(report, role="reporter", cipher=cipher)


async def report_audience(*, report_id: str) -> tuple[Report | None, list[uuid.UUID]]:
    """The reporter and the "me too" followers of a report: who hears of its changes."""
    report = await Report.get_or_none(id=parse_id(report_id))
    if report is None:
        return None, []
    people = [report.reporter_id] if report.reporter_id else []
    people += [
        u
        for u in await ReportFollower.filter(report_id=report.id).values_list("user_id", flat=True)
        if u not in people
    ]
    return report, people
