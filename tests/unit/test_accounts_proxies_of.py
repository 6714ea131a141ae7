"""`family.proxies_of` reads the subject's grants in one raw query (issue 12): it answers exactly what the
ORM query it replaced answered, on both databases, across live, expired, revoked, pending, deleted-proxy
and other-scope grants."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.accounts import family
from services.accounts.enums import FamilyGrantStatus
from services.accounts.models import FamilyGrant, User
from services.common import clock
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("db")


async def _orm_proxies_of(*, subject_id: uuid.UUID, scope: str) -> list[tuple[uuid.UUID, str]]:
    # The ORM version proxies_of had before the raw query, kept here as the reference.
    grants = await FamilyGrant.filter(
        subject_id=subject_id,
        status=FamilyGrantStatus.ACTIVE,
        expires_at__gt=clock.now(),
        proxy__deleted_at__isnull=True,
    ).order_by("created_at")
    return [(g.proxy_id, g.relation) for g in grants if scope in g.scopes]


async def _grant(
    proxy: User, subject: User, *, scopes, status=FamilyGrantStatus.ACTIVE, days=30, relation="family"
):
    now = clock.now()
    return await FamilyGrant.create(
        proxy=proxy,
        subject=subject,
        scopes=scopes,
        relation=relation,
        status=status,
        invite_code_hash=uuid.uuid4().hex,
        invite_expires_at=now,
        expires_at=now + dt.timedelta(days=days),
        accepted_at=now,
    )


async def test_proxies_of__same_answer_as_the_orm_query_across_cases() -> None:
    subject, stranger = await make_user(), await make_user()
    live_a, live_b, live_other_scope = await make_user(), await make_user(), await make_user()
    expired, revoked, pending, deleted = (
        await make_user(),
        await make_user(),
        await make_user(),
        await make_user(),
    )
    await _grant(live_a, subject, scopes=["bookings", "care"], relation="child")
    await _grant(live_other_scope, subject, scopes=["care"])
    await _grant(expired, subject, scopes=["bookings"], days=-1)
    await _grant(revoked, subject, scopes=["bookings"], status=FamilyGrantStatus.REVOKED)
    await _grant(pending, subject, scopes=["bookings"], status=FamilyGrantStatus.PENDING)
    await _grant(deleted, subject, scopes=["bookings"])
    deleted.deleted_at = clock.now()
    await deleted.save(update_fields=["deleted_at"])
    await _grant(live_b, subject, scopes=["bookings"], relation="spouse")
    await _grant(live_a, stranger, scopes=["bookings"])  # someone else's grant

    booking_proxies = await family.proxies_of(subject_id=subject.id, scope="bookings")
    assert booking_proxies == [(live_a.id, "child"), (live_b.id, "spouse")]
    for who, scope in [
        (subject, "bookings"),
        (subject, "care"),
        (subject, "tourism"),
        (stranger, "bookings"),
    ]:
        expected = await _orm_proxies_of(subject_id=who.id, scope=scope)
        assert await family.proxies_of(subject_id=who.id, scope=scope) == expected
        assert await family.proxies_of(subject_id=str(who.id), scope=scope) == expected
    assert [p for p, _ in await family.proxies_of(subject_id=subject.id, scope="care")] == [
        live_a.id,
        live_other_scope.id,
    ]
    assert await family.proxies_of(subject_id=(await make_user()).id, scope="bookings") == []


async def test_proxies_of__a_grant_drops_out_the_moment_it_expires(monkeypatch) -> None:
    subject, proxy = await make_user(), await make_user()
    await _grant(proxy, subject, scopes=["bookings"], days=1)
    assert await family.proxies_of(subject_id=subject.id, scope="bookings") == [(proxy.id, "family")]
    later = clock.now() + dt.timedelta(days=1, seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert await family.proxies_of(subject_id=subject.id, scope="bookings") == []
    assert await _orm_proxies_of(subject_id=subject.id, scope="bookings") == []
