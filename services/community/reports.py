"""随手拍 reports: filing (app or Open311), duplicates and "me too", staff handling, the reporter's feedback."""

from __future__ import annotations

import datetime as dt
import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.accounts.principal import Principal
from services.common import audit, clock, outbox
from services.common.crypto import PiiCipher, mask_phone
from services.common.i18n import DEFAULT_LOCALE
from services.common.ids import parse_id
from services.common.pagination import Page, keyset_page
from services.common.ratelimit import RateLimiter, RateRule
from services.community.communities import (
    MAX_PLACEMENT_M,
    community_by_id,
    community_of_staff,
    distance_m,
    is_staff,
    membership_of,
)
from services.community.content import SCENE_REPORT, check_text
from services.community.enums import (
    ReportCategory,
    ReportSource,
    ReportStatus,
    SecVerdict,
)
from services.community.errors import (
    BadDuplicateTarget,
    IllegalReportTransition,
    LocationRequired,
    NoCommunityForReport,
    NotResolvedYet,
    OwnReport,
    PossibleDuplicate,
    ReportNotFound,
)
from services.community.files import own_files
from services.community.membership import mask_address
from services.community.models import (
    Community,
    Report,
    ReportFollower,
    ReportHistory,
)
from services.community.ports import ContentChecker

__all__ = [
    "DUPLICATE_RADIUS_M",
    "DUPLICATE_WINDOW_DAYS",
    "REPORTS_PER_USER",
    "TOPIC_REPORT_CHANGED",
    "DuplicateCandidate",
    "ReportView",
    "candidate_details",
    "change_report_status",
    "create_report",
    "file_report",
    "get_report",
    "list_my_reports",
    "list_staff_reports",
    "me_too",
    "new_token",
    "report_audience",
    "report_feedback",
    "report_transition",
    "report_view",
    "similar_reports",
]

TOPIC_REPORT_CHANGED = "community.report_status_changed"
DUPLICATE_RADIUS_M = 200.0
DUPLICATE_WINDOW_DAYS = 30
# Posting limits per person: generous for a resident, tight for a script.
REPORTS_PER_USER = RateRule("community.report", "20/hour", code="community.report_rate_limited")


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
        return await community_by_id(community_id)
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
        membership = await membership_of(actor.user_id)
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
            # Only what staff approved for the public (scrubbed), never the text as typed.
            "description": (c.report.public_description or "")[:140],
            "status": c.report.status.value,
            "distance_m": round(c.distance_m),
            "created_at": clock.to_local(c.report.created_at).isoformat(),
            "me_too_count": c.follower_count,
        }
        for c in candidates
    ]


def new_token() -> str:
    return secrets.token_urlsafe(18)


_CONTACT_COLUMNS = ("contact_name", "contact_phone", "contact_email")


async def file_report(
    *,
    community: Community,
    source: ReportSource,
    category: ReportCategory,
    description: str,
    lat: float | None,
    lng: float | None,
    address: str | None,
    sec_suggest: SecVerdict,
    cipher: PiiCipher,
    reporter_id: uuid.UUID | None = None,
    api_key_id: uuid.UUID | None = None,
    contacts: dict[str, str | None] | None = None,
    photos: list[str] | None = None,
    attributes: dict[str, Any] | None = None,
    private: bool = False,
) -> Report:
    """The one way a report is stored (app or Open311): the row, encrypted contacts, its first history entry.

    `contacts` maps contact_name / contact_phone / contact_email to the value given (or None).
    """

    def enc(value: str | None, column: str) -> str | None:
        return cipher.encrypt(value, context=f"community_report.{column}") if value else None

    given = contacts or {}
    unknown = set(given) - set(_CONTACT_COLUMNS)
    if unknown:
        raise ValueError(f"unknown contact fields: {sorted(unknown)}")
    async with in_transaction() as conn:
        report = await Report.create(
            community_id=community.id,
            reporter_id=reporter_id,
            source=source,
            api_key_id=api_key_id,
            category=category,
            description=description,
            lat=lat,
            lng=lng,
            address_enc=enc(address, "address"),
            **{f"{column}_enc": enc(given.get(column), column) for column in _CONTACT_COLUMNS},
            photos=photos or [],
            attributes=attributes or {},
            sec_suggest=sec_suggest.value,
            private=private,
            token=new_token(),
            using_db=conn,
        )
        await ReportHistory.create(
            report_id=report.id,
            actor_id=reporter_id,
            from_status=None,
            to_status=ReportStatus.OPEN,
            using_db=conn,
        )
    return report


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
    private: bool = False,
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
    photo_files = await own_files(actor, photos, images_only=True)
    if lat is not None and lng is not None and not confirm_new:
        candidates = await similar_reports(category=category, lat=lat, lng=lng, exclude_user=actor.user_id)
        if candidates:
            raise PossibleDuplicate(
                details={"candidates": candidate_details(candidates)}, count=len(candidates)
            )
    report = await file_report(
        community=community,
        source=ReportSource.APP,
        reporter_id=actor.user_id,
        category=category,
        description=description,
        lat=lat,
        lng=lng,
        address=address,
        contacts={"contact_phone": contact_phone},
        photos=[str(f.id) for f in photo_files],
        sec_suggest=verdict.suggest,
        cipher=cipher,
        private=private,
    )
    return await report_view(report, role="reporter", cipher=cipher)


async def _report(report_id: str) -> Report:
    parsed = parse_id(report_id)
    report = await Report.get_or_none(id=parsed) if parsed else None
    if report is None:
        raise ReportNotFound()
    return report


async def report_view(report: Report, *, role: str, cipher: PiiCipher) -> ReportView:
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
    return await report_view(report, role=role, cipher=cipher)


async def list_my_reports(*, actor: Principal, limit: int, cursor: str | None, cipher: PiiCipher) -> Page:
    followed = await ReportFollower.filter(user_id=actor.user_id).values_list("report_id", flat=True)
    query = Report.filter(Q(reporter_id=actor.user_id) | Q(id__in=list(followed)))
    page = await keyset_page(query, limit=limit, cursor=cursor)
    views = [await report_view(r, role=await _role_on(actor, r), cipher=cipher) for r in page.items]
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
    views = [await report_view(r, role="staff", cipher=cipher) for r in page.items]
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
    return await report_view(report, role=await _role_on(actor, report), cipher=cipher)


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
        await audit.record(
            "report.status_changed",
            actor_id=actor.user_id,
            target_type="report",
            target_id=report.id,
            details={"from": before.value, "to": after.value},
            using_db=conn,
        )
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
    return await report_view(report, role="staff", cipher=cipher)


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
    return await report_view(report, role="reporter", cipher=cipher)


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
