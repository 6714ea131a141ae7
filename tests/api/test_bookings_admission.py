"""One admission step: booking, joining a waitlist and waitlist promotion all pass the owner's rules.

Reproduces the members-only hole (issue 9): a non-member joined the waitlist of a members-only event
(201) and, when a member cancelled, held a confirmed booking with a check-in code. Also the owner's
visibility on resource and slot reads (issue 11.7): a members-only event's title must not leak.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.bookings.enums import WaitlistStatus
from services.bookings.models import Booking, WaitlistEntry
from services.common import clock
from services.community.enums import MembershipStatus
from services.community.models import Membership
from tests.api.test_community_support import community_pair, headers_for, resident, staff_of

pytestmark = pytest.mark.usefixtures("app")


def _event(title: str = "业主大会", capacity: int = 1) -> dict:
    start = clock.now() + dt.timedelta(hours=3)
    return {
        "title": title,
        "description": "社区活动室",
        "place": "宣化街社区活动室",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": capacity,
        "visibility": "members",
    }


async def _members_only_event(client: httpx.AsyncClient, settings, community, **extra) -> dict:
    staff = await staff_of(community)
    created = await client.post(
        f"/api/v1/staff/communities/{community.id}/events",
        json=_event(**extra),
        headers=headers_for(staff, settings),
    )
    assert created.status_code == 201, created.text
    return created.json()


async def _book(client, settings, user, slot_id: str) -> httpx.Response:
    return await client.post(
        "/api/v1/bookings", json={"slot_id": slot_id}, headers=headers_for(user, settings)
    )


async def test_waitlist__outsider_cannot_join_a_members_only_event(
    client: httpx.AsyncClient, settings
) -> None:
    a, b = await community_pair()
    member, outsider = await resident(a), await resident(b)
    event = await _members_only_event(client, settings, a)
    slot_id = event["slot"]["id"]
    booked = await _book(client, settings, member, slot_id)
    assert booked.status_code == 201, booked.text

    refused = await client.post(
        f"/api/v1/slots/{slot_id}/waitlist", json={}, headers=headers_for(outsider, settings)
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "community.event_members_only"

    cancelled = await client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=headers_for(member, settings)
    )
    assert cancelled.status_code == 200
    mine = await client.get("/api/v1/me/bookings", headers=headers_for(outsider, settings))
    assert mine.json()["items"] == []


async def test_promotion__a_waiting_person_who_no_longer_passes_the_guard_is_skipped(
    client: httpx.AsyncClient, settings
) -> None:
    a, _ = await community_pair()
    holder, leaver, member = await resident(a), await resident(a), await resident(a)
    event = await _members_only_event(client, settings, a)
    slot_id = event["slot"]["id"]
    booked = await _book(client, settings, holder, slot_id)
    for person in (leaver, member):
        joined = await client.post(
            f"/api/v1/slots/{slot_id}/waitlist", json={}, headers=headers_for(person, settings)
        )
        assert joined.status_code == 201, joined.text
    # The first in line is no longer a verified member when the place frees up.
    await Membership.filter(user_id=leaver.id).update(status=MembershipStatus.REJECTED)

    await client.post(f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=headers_for(holder, settings))

    assert not await Booking.filter(subject_id=leaver.id).exists()
    assert (await WaitlistEntry.get(subject_id=leaver.id)).status == WaitlistStatus.LEFT
    offered = (await client.get("/api/v1/me/bookings", headers=headers_for(member, settings))).json()["items"]
    assert [b["status"] for b in offered] == ["held"]


async def test_resource__members_only_event_hidden_from_outsiders(
    client: httpx.AsyncClient, settings
) -> None:
    a, b = await community_pair()
    member, outsider = await resident(a), await resident(b)
    event = await _members_only_event(client, settings, a, title="业主大会：物业费调整")
    resource_id = event["resource_id"]
    day = clock.local_date(dt.datetime.fromisoformat(event["starts_at"].replace("Z", "+00:00"))).isoformat()
    for headers in ({}, headers_for(outsider, settings)):
        shown = await client.get(f"/api/v1/resources/{resource_id}", headers=headers)
        assert shown.status_code == 404 and "物业费" not in shown.text
        slots = await client.get(f"/api/v1/resources/{resource_id}/slots?date={day}", headers=headers)
        assert slots.status_code == 404 and "物业费" not in slots.text
    seen = await client.get(f"/api/v1/resources/{resource_id}", headers=headers_for(member, settings))
    assert seen.status_code == 200 and seen.json()["name"] == "业主大会：物业费调整"
    listed = await client.get(
        f"/api/v1/resources/{resource_id}/slots?date={day}", headers=headers_for(member, settings)
    )
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1
