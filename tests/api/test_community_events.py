"""Community events: staff create them (one booking-engine slot each), residents sign up through the
engine, capacity is never exceeded, the waitlist moves up on cancellation, staff check people in."""

from __future__ import annotations

import datetime as dt

import httpx

from services.accounts import access
from services.bookings import service as bookings
from services.bookings.policy import BookingPolicies
from services.common import clock
from services.common.errors import DomainError
from services.community import events
from tests.api.test_community_support import community_pair, headers_for, resident, staff_of

POLICIES = BookingPolicies.collect([events.BOOKING_POLICY])


def event(**extra) -> dict:
    start = clock.now() + dt.timedelta(minutes=30)
    return {
        "title": "重阳节敬老活动",
        "description": "社区活动室，包饺子",
        "place": "宣化街社区活动室",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": 2,
        **extra,
    }


async def _principal(user):
    return await access.load_principal(user_id=user.id)


async def test_event__capacity_waitlist_and_check_in(client: httpx.AsyncClient, settings, runtime) -> None:
    a, b = await community_pair()
    staff, staff_b = await staff_of(a), await staff_of(b)
    r1, r2, r3 = await resident(a), await resident(a), await resident(a)
    refused = await client.post(
        f"/api/v1/staff/communities/{a.id}/events", json=event(), headers=headers_for(staff_b, settings)
    )
    assert refused.status_code == 403
    created = await client.post(
        f"/api/v1/staff/communities/{a.id}/events", json=event(), headers=headers_for(staff, settings)
    )
    assert created.status_code == 201, created.text
    body = created.json()
    slot_id = body["slot"]["id"]
    assert body["capacity"] == 2 and body["remaining"] == 2

    first = await bookings.book(
        actor=await _principal(r1), slot_id=slot_id, cipher=runtime.cipher, policies=POLICIES
    )
    second = await bookings.book(
        actor=await _principal(r2), slot_id=slot_id, cipher=runtime.cipher, policies=POLICIES
    )
    try:
        await bookings.book(
            actor=await _principal(r3), slot_id=slot_id, cipher=runtime.cipher, policies=POLICIES
        )
        raise AssertionError("the third sign-up must not fit")
    except DomainError as error:
        assert error.code == "booking.slot_full"
    waiting = await bookings.join_waitlist(actor=await _principal(r3), slot_id=slot_id, policies=POLICIES)
    assert waiting.position == 1

    listed = await client.get(f"/api/v1/communities/{a.id}/events")
    assert listed.json()["items"][0]["remaining"] == 0
    signups = await client.get(
        f"/api/v1/staff/events/{body['id']}/signups", headers=headers_for(staff, settings)
    )
    assert {s["user_id"] for s in signups.json()["items"]} == {str(r1.id), str(r2.id)}
    assert (
        await client.get(f"/api/v1/staff/events/{body['id']}/signups", headers=headers_for(staff_b, settings))
    ).status_code == 404

    await bookings.cancel(
        actor=await _principal(r1), booking_id=first.id, cipher=runtime.cipher, policies=POLICIES
    )
    signups = await client.get(
        f"/api/v1/staff/events/{body['id']}/signups", headers=headers_for(staff, settings)
    )
    active = {s["user_id"]: s["status"] for s in signups.json()["items"] if s["status"] != "cancelled"}
    assert active == {str(r2.id): "confirmed", str(r3.id): "held"}  # the place is held for r3
    detail = await client.get(f"/api/v1/community/events/{body['id']}")
    assert detail.json()["remaining"] == 0

    code = bookings.check_in_code_for(booking_id=second.id, cipher=runtime.cipher)
    wrong_staff = await client.post(
        f"/api/v1/staff/events/{body['id']}/check-in",
        json={"code": code},
        headers=headers_for(staff_b, settings),
    )
    assert wrong_staff.status_code == 404
    checked = await client.post(
        f"/api/v1/staff/events/{body['id']}/check-in",
        json={"code": code},
        headers=headers_for(staff, settings),
    )
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "checked_in" and checked.json()["user_id"] == str(r2.id)


async def test_event__members_only(client: httpx.AsyncClient, settings, runtime) -> None:
    a, b = await community_pair()
    staff = await staff_of(a)
    member, outsider = await resident(a), await resident(b)
    created = await client.post(
        f"/api/v1/staff/communities/{a.id}/events",
        json=event(visibility="members", title="业主大会"),
        headers=headers_for(staff, settings),
    )
    event_id, slot_id = created.json()["id"], created.json()["slot"]["id"]
    assert (await client.get(f"/api/v1/communities/{a.id}/events")).json()["items"] == []
    assert (await client.get(f"/api/v1/community/events/{event_id}")).status_code == 404
    seen = await client.get(f"/api/v1/communities/{a.id}/events", headers=headers_for(member, settings))
    assert [e["id"] for e in seen.json()["items"]] == [event_id]
    try:
        await bookings.book(
            actor=await _principal(outsider), slot_id=slot_id, cipher=runtime.cipher, policies=POLICIES
        )
        raise AssertionError("a non-member must not sign up")
    except DomainError as error:
        assert error.code == "community.event_members_only"
    booked = await bookings.book(
        actor=await _principal(member), slot_id=slot_id, cipher=runtime.cipher, policies=POLICIES
    )
    assert booked.status.value == "confirmed"


async def test_event__bad_times_refused(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    past = clock.now() - dt.timedelta(hours=1)
    response = await client.post(
        f"/api/v1/staff/communities/{a.id}/events",
        json=event(starts_at=past.isoformat(), ends_at=(past + dt.timedelta(hours=1)).isoformat()),
        headers=headers_for(staff, settings),
    )
    assert response.status_code == 422
    zero = await client.post(
        f"/api/v1/staff/communities/{a.id}/events",
        json=event(capacity=0),
        headers=headers_for(staff, settings),
    )
    assert zero.status_code == 422


async def test_event__residents_sign_up_and_cancel_through_the_booking_routes(
    client: httpx.AsyncClient, settings
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    r1, r2 = await resident(a), await resident(a)
    created = await client.post(
        f"/api/v1/staff/communities/{a.id}/events",
        json=event(capacity=1),
        headers=headers_for(staff, settings),
    )
    slot_id, event_id = created.json()["slot"]["id"], created.json()["id"]
    booked = await client.post(
        "/api/v1/bookings",
        json={"slot_id": slot_id, "party_size": 1},
        headers={**headers_for(r1, settings), "Idempotency-Key": "evt-1"},
    )
    assert booked.status_code == 201, booked.text
    full = await client.post(
        "/api/v1/bookings", json={"slot_id": slot_id, "party_size": 1}, headers=headers_for(r2, settings)
    )
    assert full.status_code == 409
    waiting = await client.post(
        f"/api/v1/slots/{slot_id}/waitlist", json={}, headers=headers_for(r2, settings)
    )
    assert waiting.status_code in (200, 201), waiting.text
    cancelled = await client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=headers_for(r1, settings)
    )
    assert cancelled.status_code == 200, cancelled.text
    signups = await client.get(
        f"/api/v1/staff/events/{event_id}/signups", headers=headers_for(staff, settings)
    )
    offered = [s["user_id"] for s in signups.json()["items"] if s["status"] == "held"]
    assert offered == [str(r2.id)]  # the freed place is held for r2 until they confirm it


async def _sec_checks(client: httpx.AsyncClient) -> int:
    state = (await client.get("/sandbox/wechat/__control/state")).json()
    return state["counters"].get("msg_sec_check", 0)


async def test_event__title_and_description_pass_wechat_content_security(
    client: httpx.AsyncClient, settings
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    before = await _sec_checks(client)
    risky = await client.post(
        f"/api/v1/staff/communities/{a.id}/events",
        json=event(description="活动含违禁词"),
        headers=headers_for(staff, settings),
    )
    assert risky.status_code == 422 and risky.json()["error"]["code"] == "community.content_risky"
    held = await client.post(
        f"/api/v1/staff/communities/{a.id}/events?lang=en",
        json=event(title="待审核 的活动"),
        headers=headers_for(staff, settings),
    )
    assert held.status_code == 422 and held.json()["error"]["code"] == "community.event_text_held"
    assert "WeChat" in held.json()["error"]["message"]
    clean = await client.post(
        f"/api/v1/staff/communities/{a.id}/events", json=event(), headers=headers_for(staff, settings)
    )
    assert clean.status_code == 201, clean.text
    # WeChat's sandbox saw each of the three texts; none of the refused ones is listed.
    assert await _sec_checks(client) - before == 3
    listed = (await client.get(f"/api/v1/communities/{a.id}/events")).json()["items"]
    assert [e["title"] for e in listed] == ["重阳节敬老活动"]


async def test_event__year_9999_is_refused_at_creation(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    far = await client.post(
        f"/api/v1/staff/communities/{a.id}/events",
        json=event(starts_at="9999-12-31T10:00:00+08:00", ends_at="9999-12-31T12:00:00+08:00"),
        headers=headers_for(staff, settings),
    )
    assert far.status_code == 422 and far.json()["error"]["code"] == "community.event_too_far"
    endless = await client.post(
        f"/api/v1/staff/communities/{a.id}/events",
        json=event(ends_at="9999-12-31T12:00:00+08:00"),
        headers=headers_for(staff, settings),
    )
    assert endless.status_code == 422
