"""Community (智慧社区): communities, membership, notices, events and 随手拍 reports."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from citizen_api.endpoint import endpoint, file_links, rate_limiter
from citizen_api.schemas.common import ListQuery, Page, PhotoForm
from citizen_api.schemas.community import (
    CheckInIn,
    CommunityListQuery,
    CommunityOut,
    EventIn,
    EventOut,
    FileOut,
    FileQuery,
    JoinIn,
    MemberListQuery,
    MemberOut,
    MembershipOut,
    NoticeIn,
    NoticeListQuery,
    NoticeOut,
    NoticePatch,
    NoticeReadsOut,
    ReviewIn,
    SignupOut,
    StaffNoticeListQuery,
    UploadQuery,
    VerifyIn,
)
from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common.errors import InvalidInput
from services.common.storage import LocalFileStore, download_headers
from services.community import communities, events, files, membership, notices

__all__ = ["create_blueprint"]

STAFF = [Role.COMMUNITY_STAFF]


def _checker(request: Request):
    return request.app.ctx.runtime.adapters.wechat


# ------------------------------------------------------------------------------------- communities


@endpoint(
    summary="Communities and villages (nearest first with ?near=lat,lng)",
    tag="community",
    query=CommunityListQuery,
    response=Page[CommunityOut],
)
async def list_communities(request: Request, *, query: CommunityListQuery) -> Page[CommunityOut]:
    page = await communities.list_communities(
        near=query.point(), region=query.region, limit=query.limit, cursor=query.cursor
    )
    locale = request.ctx.locale
    return Page[CommunityOut](
        items=[CommunityOut.from_domain(v, locale) for v in page.items], next_cursor=page.next_cursor
    )


@endpoint(summary="One community", tag="community", response=CommunityOut)
async def get_community(request: Request, community_id: str) -> CommunityOut:
    view = await communities.get_community(community_id=community_id)
    return CommunityOut.from_domain(view, request.ctx.locale)


# ------------------------------------------------------------------------------------- membership


@endpoint(
    summary="Join (or move to) a community; pending until staff verify residency",
    tag="community",
    body=JoinIn,
    response=MembershipOut,
    auth=True,
)
async def join(request: Request, *, body: JoinIn, actor: Principal) -> MembershipOut:
    joined = await membership.join_community(
        actor=actor,
        community_id=body.community_id,
        address=body.address,
        cipher=request.app.ctx.runtime.cipher,
    )
    return MembershipOut.from_domain(joined)


@endpoint(summary="My community membership", tag="community", response=MembershipOut, auth=True)
async def my_membership(request: Request, *, actor: Principal) -> MembershipOut:
    return MembershipOut.from_domain(await membership.my_membership(actor=actor))


@endpoint(
    summary="Residents of my community (e.g. ?status=pending to verify)",
    tag="community staff",
    query=MemberListQuery,
    response=Page[MemberOut],
    roles=STAFF,
)
async def list_members(
    request: Request, community_id: str, *, query: MemberListQuery, actor: Principal
) -> Page[MemberOut]:
    page = await membership.list_members(
        actor=actor,
        community_id=community_id,
        status=query.status,
        limit=query.limit,
        cursor=query.cursor,
        cipher=request.app.ctx.runtime.cipher,
    )
    return Page[MemberOut](items=[MemberOut.from_view(v) for v in page.items], next_cursor=page.next_cursor)


@endpoint(
    summary="Verify (or refuse) a resident's membership",
    tag="community staff",
    body=VerifyIn,
    response=MembershipOut,
    roles=STAFF,
)
async def verify(request: Request, membership_id: str, *, body: VerifyIn, actor: Principal) -> MembershipOut:
    verified = await membership.verify_membership(
        actor=actor, membership_id=membership_id, approve=body.approve
    )
    return MembershipOut.from_domain(verified)


# ------------------------------------------------------------------------------------- notices (residents)


@endpoint(
    summary="A community's notices: pinned first, newest next (members-only ones to members)",
    tag="community",
    query=NoticeListQuery,
    response=Page[NoticeOut],
    optional_auth=True,
)
async def list_notices(
    request: Request, community_id: str, *, query: NoticeListQuery, actor: Principal | None
) -> Page[NoticeOut]:
    page = await notices.list_community_notices(
        viewer=actor,
        community_id=community_id,
        category=query.category,
        limit=query.limit,
        cursor=query.cursor,
    )
    locale = request.ctx.locale
    links = file_links(request)
    return Page[NoticeOut](
        items=[NoticeOut.from_domain(n, locale, links=links) for n in page.items],
        next_cursor=page.next_cursor,
    )


@endpoint(
    summary="One notice (a member's read is recorded)",
    tag="community",
    response=NoticeOut,
    optional_auth=True,
)
async def get_notice(request: Request, notice_id: str, *, actor: Principal | None) -> NoticeOut:
    notice = await notices.get_notice(viewer=actor, notice_id=notice_id)
    return NoticeOut.from_domain(notice, request.ctx.locale, links=file_links(request))


# ------------------------------------------------------------------------------------- notices (staff)


@endpoint(
    limit="notices.create",
    summary="Post a notice (WeChat content security: risky refused, review held for a second staff member)",
    tag="community staff",
    body=NoticeIn,
    response=NoticeOut,
    status=201,
    roles=STAFF,
)
async def create_notice(
    request: Request, community_id: str, *, body: NoticeIn, actor: Principal
) -> NoticeOut:
    notice = await notices.create_notice(
        actor=actor,
        community_id=community_id,
        title=body.title,
        body=body.body,
        category=body.category,
        visibility=body.visibility,
        urgent=body.urgent,
        pinned=body.pinned,
        publish_at=body.publish_at,
        expire_at=body.expire_at,
        attachments=[a.model_dump() for a in body.attachments],
        checker=_checker(request),
        locale=request.ctx.locale,
    )
    return NoticeOut.from_domain(notice, request.ctx.locale, links=file_links(request), staff=True)


@endpoint(
    summary="All notices of my community, including held, scheduled and expired ones",
    tag="community staff",
    query=StaffNoticeListQuery,
    response=Page[NoticeOut],
    roles=STAFF,
)
async def staff_notices(
    request: Request, community_id: str, *, query: StaffNoticeListQuery, actor: Principal
) -> Page[NoticeOut]:
    page = await notices.list_staff_notices(
        actor=actor,
        community_id=community_id,
        status=query.status,
        limit=query.limit,
        cursor=query.cursor,
    )
    locale = request.ctx.locale
    links = file_links(request)
    return Page[NoticeOut](
        items=[NoticeOut.from_domain(n, locale, links=links, staff=True) for n in page.items],
        next_cursor=page.next_cursor,
    )


@endpoint(
    summary="Edit, pin or reschedule a notice (changed text is checked again)",
    tag="community staff",
    body=NoticePatch,
    response=NoticeOut,
    roles=STAFF,
)
async def update_notice(
    request: Request, notice_id: str, *, body: NoticePatch, actor: Principal
) -> NoticeOut:
    notice = await notices.update_notice(
        actor=actor,
        notice_id=notice_id,
        changes=body.changes(),
        checker=_checker(request),
        locale=request.ctx.locale,
    )
    return NoticeOut.from_domain(notice, request.ctx.locale, links=file_links(request), staff=True)


@endpoint(summary="Withdraw a notice", tag="community staff", response=NoticeOut, roles=STAFF)
async def withdraw_notice(request: Request, notice_id: str, *, actor: Principal) -> NoticeOut:
    notice = await notices.withdraw_notice(actor=actor, notice_id=notice_id)
    return NoticeOut.from_domain(notice, request.ctx.locale, links=file_links(request), staff=True)


@endpoint(
    summary="Approve or reject a notice held for review (a staff member other than its author)",
    tag="community staff",
    body=ReviewIn,
    response=NoticeOut,
    roles=STAFF,
)
async def review_notice(request: Request, notice_id: str, *, body: ReviewIn, actor: Principal) -> NoticeOut:
    notice = await notices.review_notice(actor=actor, notice_id=notice_id, approve=body.approve)
    return NoticeOut.from_domain(notice, request.ctx.locale, links=file_links(request), staff=True)


@endpoint(
    summary="Who has read a notice (read receipts)",
    tag="community staff",
    query=ListQuery,
    response=NoticeReadsOut,
    roles=STAFF,
)
async def notice_reads(
    request: Request, notice_id: str, *, query: ListQuery, actor: Principal
) -> NoticeReadsOut:
    receipts = await notices.notice_reads(
        actor=actor, notice_id=notice_id, limit=query.limit, cursor=query.cursor
    )
    return NoticeReadsOut.from_domain(receipts)


# ------------------------------------------------------------------------------------- events


@endpoint(
    limit="events.create",
    summary="Create an event with sign-up (a booking-engine slot with a waitlist)",
    tag="community staff",
    body=EventIn,
    response=EventOut,
    status=201,
    roles=STAFF,
)
async def create_event(request: Request, community_id: str, *, body: EventIn, actor: Principal) -> EventOut:
    view = await events.create_event(
        actor=actor,
        community_id=community_id,
        title=body.title,
        description=body.description,
        place=body.place,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        capacity=body.capacity,
        party_size_max=body.party_size_max,
        visibility=body.visibility,
        checker=request.app.ctx.runtime.adapters.wechat,
        locale=request.ctx.locale,
    )
    return EventOut.from_domain(view)


@endpoint(
    summary="Upcoming events of a community (sign up via POST /api/v1/bookings with the slot id)",
    tag="community",
    response=Page[EventOut],
    optional_auth=True,
)
async def list_events(request: Request, community_id: str, *, actor: Principal | None) -> Page[EventOut]:
    page = await events.list_events(viewer=actor, community_id=community_id)
    return Page[EventOut](items=[EventOut.from_domain(v) for v in page.items], next_cursor=page.next_cursor)


@endpoint(
    summary="One event with its remaining places", tag="community", response=EventOut, optional_auth=True
)
async def get_event(request: Request, event_id: str, *, actor: Principal | None) -> EventOut:
    return EventOut.from_domain(await events.get_event(viewer=actor, event_id=event_id))


@endpoint(
    summary="Who signed up for an event",
    tag="community staff",
    query=ListQuery,
    response=Page[SignupOut],
    roles=STAFF,
)
async def signups(request: Request, event_id: str, *, query: ListQuery, actor: Principal) -> Page[SignupOut]:
    page = await events.list_signups(actor=actor, event_id=event_id, limit=query.limit, cursor=query.cursor)
    return Page[SignupOut](items=[SignupOut.from_domain(b) for b in page.items], next_cursor=page.next_cursor)


@endpoint(
    summary="Check a resident in by the code on their phone",
    tag="community staff",
    body=CheckInIn,
    response=SignupOut,
    roles=STAFF,
)
async def check_in(request: Request, event_id: str, *, body: CheckInIn, actor: Principal) -> SignupOut:
    booking = await events.check_in(
        actor=actor, event_id=event_id, code=body.code, cipher=request.app.ctx.runtime.cipher
    )
    return SignupOut.from_domain(booking)


# ------------------------------------------------------------------------------------- files


@endpoint(
    limited=True,
    summary="Upload a report photo or a notice attachment (multipart field `file`)",
    tag="community",
    form=PhotoForm,
    query=UploadQuery,
    response=FileOut,
    status=201,
    auth=True,
    description="JPEG, PNG or WebP (judged by content), at most 5 MB; ?kind=attachment also takes PDF, 10 MB.",
)
async def upload(request: Request, *, query: UploadQuery, actor: Principal) -> FileOut:
    rt = request.app.ctx.runtime
    upload = request.files.get("file") if request.files else None
    if upload is None:
        raise InvalidInput("community.upload_missing")
    stored = await files.upload_file(
        actor=actor,
        data=upload.body,
        filename=upload.name or "",
        store=LocalFileStore(rt.settings.upload_dir),
        max_bytes=rt.settings.upload_max_bytes,
        attachment=query.kind == "attachment",
        limiter=rate_limiter(request),
    )
    return FileOut.from_domain(stored, links=file_links(request))


@endpoint(
    summary="A report photo or notice attachment, by the signed link the API returned (`?t=`, expires)",
    tag="community",
    query=FileQuery,
    description="Use the `url` as returned with the upload, notice or report; the id alone is refused (403).",
)
async def get_file(request: Request, file_id: str, *, query: FileQuery) -> HTTPResponse:
    stored, data = await files.read_file(
        file_id=file_id,
        token=query.t,
        links=file_links(request),
        store=LocalFileStore(request.app.ctx.runtime.settings.upload_dir),
    )
    return raw(
        data,
        content_type=stored.content_type,
        headers={
            # Private media (a report's photo, a members' attachment): kept by no browser or proxy.
            "Cache-Control": "no-store",
            **download_headers(content_type=stored.content_type, filename=stored.filename),
        },
    )


ROUTES = (
    ("GET", "/communities", list_communities),
    ("GET", "/communities/<community_id:str>", get_community),
    ("POST", "/me/community", join),
    ("GET", "/me/community", my_membership),
    ("GET", "/staff/communities/<community_id:str>/members", list_members),
    ("POST", "/staff/memberships/<membership_id:str>/verify", verify),
    ("GET", "/communities/<community_id:str>/notices", list_notices),
    ("GET", "/notices/<notice_id:str>", get_notice),
    ("POST", "/staff/communities/<community_id:str>/notices", create_notice),
    ("GET", "/staff/communities/<community_id:str>/notices", staff_notices),
    ("PATCH", "/staff/notices/<notice_id:str>", update_notice),
    ("DELETE", "/staff/notices/<notice_id:str>", withdraw_notice),
    ("POST", "/staff/notices/<notice_id:str>/review", review_notice),
    ("GET", "/staff/notices/<notice_id:str>/reads", notice_reads),
    ("POST", "/staff/communities/<community_id:str>/events", create_event),
    ("GET", "/communities/<community_id:str>/events", list_events),
    ("GET", "/community/events/<event_id:str>", get_event),
    ("GET", "/staff/events/<event_id:str>/signups", signups),
    ("POST", "/staff/events/<event_id:str>/check-in", check_in),
    ("POST", "/community/uploads", upload),
    ("GET", "/community/files/<file_id:str>", get_file),
)


def create_blueprint() -> Blueprint:
    """The community routes on a new blueprint (one per app), mounted under /api/v1 by the composition."""
    bp = Blueprint("community")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp
