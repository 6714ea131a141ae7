"""Family proxies: a person lets a relative act for them, within scopes, until a date, revocably.

The proxy invites (gets a one-time code to hand over); the represented person accepts the code with
their own account, which activates the grant. A request acts for someone only with the X-Acting-For
header and only while a live grant (active, unexpired, unrevoked) covers the endpoint's scope; every
such request is written to the proxy log the represented person can read, and to the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.accounts.enums import FamilyGrantStatus, ProxyScope
from services.accounts.errors import (
    AlreadyLinked,
    FamilyGrantNotFound,
    FamilyLimitReached,
    InvitationExpired,
    InvitationNotFound,
    SelfInvitation,
    UserNotFound,
)
from services.accounts.models import FamilyGrant, ProxyAction, User
from services.accounts.principal import Principal
from services.common import audit, clock
from services.common.crypto import PiiCipher, mask_name
from services.common.db import raw_rows
from services.common.ids import parse_id
from services.common.pagination import Page, keyset_page
from services.common.ratelimit import RateLimiter, RateRule

__all__ = [
    "ACCEPT_PER_USER",
    "INVITATION_TTL",
    "MAX_PROXIES",
    "FamilyLink",
    "Invitation",
    "ProxyLogItem",
    "accept_invitation",
    "grants_of",
    "invite",
    "describe_for_export",
    "list_links",
    "live_grant",
    "live_grants_sql",
    "proxies_in",
    "proxy_log",
    "record_proxy_action",
    "represented_subjects",
    "revoke",
    "revoke_all_of",
]

MAX_PROXIES = 5
INVITATION_TTL = dt.timedelta(days=7)
ACCEPT_PER_USER = RateRule("family.accept", "10/hour")
# No 0/O or 1/I/L: codes are read aloud and typed by older people.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Person:
    id: uuid.UUID
    name: str | None  # masked


@dataclass(frozen=True, slots=True)
class FamilyLink:
    """A grant seen by one of its two people. direction: `proxy` (I act for them) or `represented`."""

    id: uuid.UUID
    direction: str
    other: Person | None
    relation: str
    scopes: list[str]
    status: str
    expires_at: dt.datetime
    invitation_expires_at: dt.datetime | None
    created_at: dt.datetime
    accepted_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Invitation:
    link: FamilyLink
    code: str


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


def _status(grant: FamilyGrant, now: dt.datetime) -> str:
    if grant.status == FamilyGrantStatus.ACTIVE and grant.expires_at <= now:
        return "expired"
    if grant.status == FamilyGrantStatus.PENDING and grant.invite_expires_at <= now:
        return "expired"
    return str(grant.status)


def _live(now: dt.datetime) -> Q:
    """Grants that count against the limit: unexpired invitations and unexpired active grants."""
    return Q(status=FamilyGrantStatus.PENDING, invite_expires_at__gt=now) | Q(
        status=FamilyGrantStatus.ACTIVE, expires_at__gt=now
    )


async def _person(user_id: uuid.UUID | None, cipher: PiiCipher) -> Person | None:
    if user_id is None:
        return None
    user = await User.get_or_none(id=user_id)
    if user is None:
        return None
    name = cipher.decrypt(user.name_enc, context="account_user.name") if user.name_enc else None
    return Person(id=user.id, name=mask_name(name))


async def _link(grant: FamilyGrant, viewer: uuid.UUID, cipher: PiiCipher) -> FamilyLink:
    is_proxy = grant.proxy_id == viewer
    return FamilyLink(
        id=grant.id,
        direction="proxy" if is_proxy else "represented",
        other=await _person(grant.subject_id if is_proxy else grant.proxy_id, cipher),
        relation=grant.relation,
        scopes=list(grant.scopes),
        status=_status(grant, clock.now()),
        expires_at=grant.expires_at,
        invitation_expires_at=grant.invite_expires_at if grant.status == FamilyGrantStatus.PENDING else None,
        created_at=grant.created_at,
        accepted_at=grant.accepted_at,
    )


async def invite(
    *, actor: Principal, scopes: list[ProxyScope], relation: str, valid_days: int, cipher: PiiCipher
) -> Invitation:
    """Create an invitation for the person `actor` wants to act for; the code is shown only now."""
    now = clock.now()
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    async with in_transaction() as conn:
        # Lock the inviter's row so two concurrent invitations cannot both pass the limit (PostgreSQL;
        # SQLite serialises writers anyway).
        me = await User.select_for_update().using_db(conn).get_or_none(id=actor.user_id, deleted_at=None)
        if me is None:
            raise UserNotFound()
        held = await FamilyGrant.filter(_live(now), proxy_id=actor.user_id).using_db(conn).count()
        if held >= MAX_PROXIES:
            raise FamilyLimitReached(limit=MAX_PROXIES)
        grant = await FamilyGrant.create(
            proxy_id=actor.user_id,
            relation=relation,
            scopes=sorted({ProxyScope(s).value for s in scopes}),
            invite_code_hash=_hash_code(code),
            invite_expires_at=now + INVITATION_TTL,
            expires_at=now + dt.timedelta(days=valid_days),
            using_db=conn,
        )
        await audit.record(
            "family.invited",
            actor_id=actor.user_id,
            target_type="family_grant",
            target_id=grant.id,
            details={"scopes": grant.scopes, "valid_days": valid_days},
            using_db=conn,
        )
    return Invitation(link=await _link(grant, actor.user_id, cipher), code=code)


async def accept_invitation(
    *, actor: Principal, code: str, cipher: PiiCipher, limiter: RateLimiter
) -> FamilyLink:
    """The represented person accepts: from now the inviter may act for them within the scopes."""
    await limiter.hit(ACCEPT_PER_USER, str(actor.user_id))
    now = clock.now()
    grant = await FamilyGrant.get_or_none(invite_code_hash=_hash_code(code), status=FamilyGrantStatus.PENDING)
    if grant is None:
        raise InvitationNotFound()
    if grant.invite_expires_at <= now:
        raise InvitationExpired()
    if grant.proxy_id == actor.user_id:
        raise SelfInvitation()
    async with in_transaction() as conn:
        me = await User.select_for_update().using_db(conn).get_or_none(id=actor.user_id, deleted_at=None)
        if me is None:
            raise UserNotFound()
        linked = (
            await FamilyGrant.filter(
                proxy_id=grant.proxy_id,
                subject_id=actor.user_id,
                status=FamilyGrantStatus.ACTIVE,
                expires_at__gt=now,
            )
            .using_db(conn)
            .exists()
        )
        if linked:
            raise AlreadyLinked()
        represented_by = (
            await FamilyGrant.filter(
                subject_id=actor.user_id, status=FamilyGrantStatus.ACTIVE, expires_at__gt=now
            )
            .using_db(conn)
            .count()
        )
        if represented_by >= MAX_PROXIES:
            raise FamilyLimitReached(limit=MAX_PROXIES)
        # Compare-and-set: a code is accepted once, even by two people at the same moment.
        claimed = (
            await FamilyGrant.filter(id=grant.id, status=FamilyGrantStatus.PENDING)
            .using_db(conn)
            .update(status=FamilyGrantStatus.ACTIVE, subject_id=actor.user_id, accepted_at=now)
        )
        if claimed != 1:
            raise InvitationNotFound()
        await audit.record(
            "family.granted",
            actor_id=actor.user_id,
            subject_id=grant.proxy_id,
            target_type="family_grant",
            target_id=grant.id,
            details={"scopes": grant.scopes, "expires_at": grant.expires_at.isoformat()},
            using_db=conn,
        )
    await grant.refresh_from_db()
    return await _link(grant, actor.user_id, cipher)


async def list_links(*, actor: Principal, cipher: PiiCipher) -> list[FamilyLink]:
    """Grants in both directions: people I may act for, and people who may act for me."""
    grants = await grants_of(actor.user_id)
    return [await _link(g, actor.user_id, cipher) for g in grants]


async def grants_of(user_id: uuid.UUID) -> list[FamilyGrant]:
    return await FamilyGrant.filter(Q(proxy_id=user_id) | Q(subject_id=user_id)).order_by(
        "-created_at", "-id"
    )


async def revoke(*, actor: Principal, grant_id: str, cipher: PiiCipher) -> FamilyLink:
    """Either person ends a grant (or the proxy withdraws an invitation); idempotent."""
    parsed = parse_id(grant_id)
    grant = (
        await FamilyGrant.filter(Q(proxy_id=actor.user_id) | Q(subject_id=actor.user_id), id=parsed).first()
        if parsed
        else None
    )
    if grant is None:
        raise FamilyGrantNotFound()
    if grant.status != FamilyGrantStatus.REVOKED:
        async with in_transaction() as conn:
            await (
                FamilyGrant.filter(id=grant.id)
                .using_db(conn)
                .update(status=FamilyGrantStatus.REVOKED, revoked_at=clock.now(), revoked_by_id=actor.user_id)
            )
            await audit.record(
                "family.revoked",
                actor_id=actor.user_id,
                subject_id=grant.subject_id if grant.proxy_id == actor.user_id else grant.proxy_id,
                target_type="family_grant",
                target_id=grant.id,
                using_db=conn,
            )
        await grant.refresh_from_db()
    return await _link(grant, actor.user_id, cipher)


async def revoke_all_of(user_id: uuid.UUID, *, revoked_by: uuid.UUID, conn: Any) -> int:
    """End every grant the user is part of (account deletion)."""
    return (
        await FamilyGrant.filter(Q(proxy_id=user_id) | Q(subject_id=user_id))
        .exclude(status=FamilyGrantStatus.REVOKED)
        .using_db(conn)
        .update(status=FamilyGrantStatus.REVOKED, revoked_at=clock.now(), revoked_by_id=revoked_by)
    )


async def live_grant(*, proxy_id: uuid.UUID, subject_id: uuid.UUID, scope: str) -> FamilyGrant | None:
    """The active, unexpired grant letting `proxy_id` act for `subject_id` in `scope`, if any."""
    candidates = await FamilyGrant.filter(
        proxy_id=proxy_id,
        subject_id=subject_id,
        status=FamilyGrantStatus.ACTIVE,
        expires_at__gt=clock.now(),
        subject__deleted_at__isnull=True,
    )
    return next((g for g in candidates if scope in g.scopes), None)


async def represented_subjects(*, proxy_id: uuid.UUID, scope: str) -> list[uuid.UUID]:
    """Everyone `proxy_id` may act for in `scope` right now (lists like "my family's cases")."""
    grants = await FamilyGrant.filter(
        proxy_id=proxy_id,
        status=FamilyGrantStatus.ACTIVE,
        expires_at__gt=clock.now(),
        subject__deleted_at__isnull=True,
    ).order_by("created_at")
    return [g.subject_id for g in grants if scope in g.scopes and g.subject_id is not None]


# The subject's active grants whose proxy still has an account, oldest first (issue 12: a booking and
# every refused race attempt read them; the ORM's join query building was ~20% of a booking's CPU).
# The expiry and the scope are checked on the rows: the backends store datetimes and JSON differently,
# and the field's own to_python_value reads both.
_PROXIES_SQL = (
    "SELECT g.proxy_id, g.relation, g.scopes, g.expires_at FROM account_family_grant g"
    " JOIN account_user u ON u.id = g.proxy_id"
    " WHERE g.subject_id = $1 AND g.status = $2 AND u.deleted_at IS NULL"
    " ORDER BY g.created_at"
)
_GRANT_FIELDS = FamilyGrant._meta.fields_map


async def proxies_of(*, subject_id: uuid.UUID | str, scope: str) -> list[tuple[uuid.UUID, str]]:
    """(proxy id, relation) of everyone who may act for `subject_id` in `scope` right now."""
    subject = subject_id if isinstance(subject_id, uuid.UUID) else uuid.UUID(str(subject_id))
    rows = await raw_rows(_PROXIES_SQL, [subject, FamilyGrantStatus.ACTIVE])
    if not rows:
        return []
    now = clock.now()
    to_scopes = _GRANT_FIELDS["scopes"].to_python_value
    to_moment = _GRANT_FIELDS["expires_at"].to_python_value
    return [
        (_as_uuid(row["proxy_id"]), row["relation"])
        for row in rows
        if to_moment(row["expires_at"]) > now and scope in to_scopes(row["scopes"])
    ]


def live_grants_sql(*, subject: str, now: str) -> str:
    """PostgreSQL: a scalar subquery, the JSON array of `proxies_of`'s rows live at `now` (SQL
    expressions, e.g. "$4"), for a hot path that reads them with its own row (the booking's slot read,
    issue 12); `proxies_in` picks a scope's. The same rows and order as `proxies_of`."""
    return (
        "(SELECT coalesce(json_agg(json_build_object('proxy_id', g.proxy_id, 'relation', g.relation,"  # noqa: S608 (constants only)
        " 'scopes', g.scopes) ORDER BY g.created_at), '[]') FROM account_family_grant g"
        f" JOIN account_user u ON u.id = g.proxy_id WHERE g.subject_id = {subject}"
        f" AND g.status = '{FamilyGrantStatus.ACTIVE.value}' AND u.deleted_at IS NULL AND g.expires_at > {now})"
    )


def proxies_in(grants: Any, scope: str) -> list[tuple[uuid.UUID, str]]:
    """`proxies_of`'s answer from the JSON `live_grants_sql` read (text or parsed)."""
    rows = json.loads(grants) if isinstance(grants, str | bytes) else grants
    return [(_as_uuid(row["proxy_id"]), row["relation"]) for row in rows if scope in (row["scopes"] or [])]


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


async def record_proxy_action(*, actor: Principal, method: str, route: str, status: int) -> None:
    """Log one successful request made under a proxy grant (proxy log + audit log)."""
    if actor.acting_for is None or actor.proxy_grant_id is None:
        return
    async with in_transaction() as conn:
        action = await ProxyAction.create(
            grant_id=actor.proxy_grant_id,
            proxy_id=actor.user_id,
            subject_id=actor.acting_for,
            scope=actor.proxy_scope or "",
            method=method.upper(),
            route=route[:200],
            status=status,
            request_id=audit.request_origin.get().request_id,
            using_db=conn,
        )
        await audit.record(
            "proxy.action",
            actor_id=actor.user_id,
            subject_id=actor.acting_for,
            target_type="proxy_action",
            target_id=action.id,
            details={"method": action.method, "route": action.route, "scope": action.scope, "status": status},
            using_db=conn,
        )


@dataclass(frozen=True, slots=True)
class ProxyLogItem:
    id: uuid.UUID
    proxy: Person | None
    scope: str
    method: str
    route: str
    status: int
    created_at: dt.datetime


async def proxy_log(*, actor: Principal, limit: int, cursor: str | None, cipher: PiiCipher) -> Page:
    """What others did on the caller's behalf, newest first."""
    page = await keyset_page(ProxyAction.filter(subject_id=actor.user_id), limit=limit, cursor=cursor)
    people: dict[uuid.UUID, Person | None] = {}
    items = []
    for row in page.items:
        if row.proxy_id not in people:
            people[row.proxy_id] = await _person(row.proxy_id, cipher)
        items.append(
            ProxyLogItem(
                id=row.id,
                proxy=people[row.proxy_id],
                scope=row.scope,
                method=row.method,
                route=row.route,
                status=row.status,
                created_at=row.created_at,
            )
        )
    return Page(items=items, next_cursor=page.next_cursor)


def describe_for_export(grant: FamilyGrant, user_id: uuid.UUID) -> dict[str, Any]:
    """A grant in the owner's data export."""
    return {
        "id": str(grant.id),
        "direction": "proxy" if grant.proxy_id == user_id else "represented",
        "proxy_id": str(grant.proxy_id),
        "subject_id": str(grant.subject_id) if grant.subject_id else None,
        "relation": grant.relation,
        "scopes": grant.scopes,
        "status": _status(grant, clock.now()),
        "created_at": grant.created_at.isoformat(),
        "accepted_at": grant.accepted_at.isoformat() if grant.accepted_at else None,
        "expires_at": grant.expires_at.isoformat(),
        "revoked_at": grant.revoked_at.isoformat() if grant.revoked_at else None,
    }
