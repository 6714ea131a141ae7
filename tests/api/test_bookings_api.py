"""The booking engine through HTTP: slots, booking, visibility, visitors, staff, waitlist, proxy.

Idempotency keys on POST /bookings: test_bookings_idempotency.py."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.bookings import jobs, service
from services.bookings.models import Booking
from services.bookings.policy import BookingPolicies
from services.common import clock
from services.notifications.models import InboxMessage
from tests.api.bookings_helpers import make_grant, make_resource, make_slot
from tests.factories import auth_headers, make_user

NO_POLICIES = BookingPolicies()

pytestmark = pytest.mark.usefixtures("app")


def _id_number(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(prefix17, weights, strict=True))
    return prefix17 + "10X98765432"[total % 11]


async def _slot_on(resource, day: dt.date, hour: int, *, capacity: int = 2):
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=clock.CITY_TZ).astimezone(clock.UTC)
    return await service.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(minutes=30), capacity=capacity
    )


async def test_slots__listed_with_remaining_and_local_offset(client: httpx.AsyncClient) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=3)
    response = await client.get(
        f"/api/v1/resources/{resource.id}/slots", params={"date": slot.day.isoformat()}
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [str(slot.id)]
    assert items[0]["remaining"] == 3
    assert items[0]["status"] == "open"
    assert items[0]["start"].endswith("+08:00")


async def test_slots__unknown_resource_or_bad_date(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"/api/v1/resources/{uuid.uuid4()}/slots?date=2026-12-01")).status_code == 404
    assert (await client.get("/api/v1/resources/nope/slots?date=2026-12-01")).status_code == 404
    resource = await make_resource()
    assert (await client.get(f"/api/v1/resources/{resource.id}/slots?date=tomorrow")).status_code == 422


async def test_book__confirmed_with_code_and_listed_as_mine(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource)
    user = await make_user()
    response = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "party_size": 1, "purpose": {"item_code": "HJ-001"}},
        headers=auth_headers(user, settings),
    )
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["status"] == "confirmed"
    assert booking["check_in_code"].startswith("JYB1")
    assert booking["slot"]["remaining"] == 1
    assert booking["purpose"] == {"item_code": "HJ-001"}
    assert booking["created_at"].endswith("+08:00")
    mine = await client.get("/api/v1/me/bookings", headers=auth_headers(user, settings))
    assert [b["id"] for b in mine.json()["items"]] == [booking["id"]]
    inbox = await InboxMessage.filter(user_id=user.id, kind="notify.booking.confirmed").count()
    assert inbox == 1


async def test_book__slot_full_is_a_clear_409(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=1)
    first, second = await make_user(), await make_user()
    ok = await client.post(
        "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(first, settings)
    )
    assert ok.status_code == 201
    full = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id)},
        headers=auth_headers(second, settings, **{"Accept-Language": "en"}),
    )
    assert full.status_code == 409
    assert full.json()["error"]["code"] == "booking.slot_full"
    assert "fully booked" in full.json()["error"]["message"]


async def test_book__same_person_twice_refused(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource(per_person_per_day=None)
    slot = await make_slot(resource, capacity=5)
    user = await make_user()
    headers = auth_headers(user, settings)
    assert (
        await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    ).status_code == 201
    again = await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "booking.already_booked"


async def test_book__bad_input_is_4xx(client: httpx.AsyncClient, settings) -> None:
    user = await make_user()
    headers = auth_headers(user, settings)
    assert (await client.post("/api/v1/bookings", json={}, headers=headers)).status_code == 422
    assert (
        await client.post("/api/v1/bookings", json={"slot_id": "x", "extra": 1}, headers=headers)
    ).status_code == 422
    assert (await client.post("/api/v1/bookings", json={"slot_id": "x"}, headers=headers)).status_code == 404
    assert (await client.post("/api/v1/bookings", content=b"[1]", headers=headers)).status_code == 422
    assert (await client.post("/api/v1/bookings", json={"slot_id": "x"})).status_code == 401


async def test_book__level_required_by_resource(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource(min_level="real_name")
    slot = await make_slot(resource)
    user = await make_user(level=VerificationLevel.PHONE)
    response = await client.post(
        "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(user, settings)
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"]["required"] == "real_name"


async def test_booking__another_users_booking_is_404(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource)
    owner, other = await make_user(), await make_user()
    booking = (
        await client.post(
            "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(owner, settings)
        )
    ).json()
    seen = await client.get(f"/api/v1/bookings/{booking['id']}", headers=auth_headers(other, settings))
    assert seen.status_code == 404
    cancelled = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", headers=auth_headers(other, settings)
    )
    assert cancelled.status_code == 404
    assert (await client.get("/api/v1/me/bookings", headers=auth_headers(other, settings))).json()[
        "items"
    ] == []
    mine = await client.get(f"/api/v1/bookings/{booking['id']}", headers=auth_headers(owner, settings))
    assert mine.status_code == 200 and mine.json()["status"] == "confirmed"


async def test_cancel__frees_the_place_and_hides_the_code(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=1)
    user = await make_user()
    headers = auth_headers(user, settings)
    booking = (await client.post("/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=headers)).json()
    response = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["check_in_code"] is None
    assert response.json()["slot"]["remaining"] == 1
    again = await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "booking.illegal_transition"


async def test_visitors__validated_masked_and_one_entry_per_day(client: httpx.AsyncClient, settings) -> None:
    resource = await service.ensure_resource(
        owner_domain="tourism",
        owner_ref=f"area-{uuid.uuid4().hex[:6]}",
        name={"zh_CN": "王屋山", "en": "Wangwu Mountain"},
        staff_role=Role.DEPT_OPERATOR,
        staff_scope="tourism",
        rules={
            "visitors_required": True,
            "visitors_max": 3,
            "one_entry_per_visitor_per_day": True,
            "per_person_per_day": None,
            "party_size_max": 3,
        },
    )
    # Two slots on the same local day (the day after tomorrow, 09:00 and 15:00 Beijing time): hours
    # counted from now would straddle midnight when the test runs late in the evening.
    day = clock.local_date() + dt.timedelta(days=2)
    morning = await _slot_on(resource, day, 9, capacity=10)
    afternoon = await _slot_on(resource, day, 15, capacity=10)
    assert morning.day == afternoon.day == day
    person = _id_number("41088119900101123")
    user, friend = await make_user(), await make_user()
    bad = await client.post(
        "/api/v1/bookings",
        json={
            "slot_id": str(morning.id),
            "visitors": [
                {"name": "张三", "id_number": person[:-1] + "0" if person[-1] != "0" else person[:-1] + "1"}
            ],
        },
        headers=auth_headers(user, settings),
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "booking.visitors_invalid"
    ok = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(morning.id), "visitors": [{"name": "张三丰", "id_number": person}]},
        headers=auth_headers(user, settings),
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["party_size"] == 1
    assert ok.json()["visitors"] == [
        {"name": "张**", "id_type": "resident_id", "id_number": "4108**********" + person[-4:]}
    ]
    assert person not in ok.text
    twice = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(afternoon.id), "visitors": [{"name": "张三丰", "id_number": person}]},
        headers=auth_headers(friend, settings),
    )
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "booking.visitor_already_booked"
    # Cancelling frees the visitor's entry for that day.
    await client.post(f"/api/v1/bookings/{ok.json()['id']}/cancel", headers=auth_headers(user, settings))
    again = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(afternoon.id), "visitors": [{"name": "张三丰", "id_number": person}]},
        headers=auth_headers(friend, settings),
    )
    assert again.status_code == 201


async def test_check_in__staff_only_with_a_valid_code(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, hours_ahead=0.25)
    user = await make_user()
    staff = await make_user(roles={Role.DEPT_OPERATOR: ["hall"]})
    other_staff = await make_user(roles={Role.DEPT_OPERATOR: ["elsewhere"]})
    booking = (
        await client.post(
            "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(user, settings)
        )
    ).json()
    url = f"/api/v1/bookings/{booking['id']}/check-in"
    code = booking["check_in_code"]
    assert (
        await client.post(url, json={"code": code}, headers=auth_headers(user, settings))
    ).status_code == 403
    assert (
        await client.post(url, json={"code": code}, headers=auth_headers(other_staff, settings))
    ).status_code == 403
    forged = code[:-2] + ("AA" if code[-2:] != "AA" else "BB")
    bad = await client.post(url, json={"code": forged}, headers=auth_headers(staff, settings))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "booking.bad_check_in_code"
    ok = await client.post(url, json={"code": code}, headers=auth_headers(staff, settings))
    assert ok.status_code == 200 and ok.json()["status"] == "checked_in"
    twice = await client.post(url, json={"code": code}, headers=auth_headers(staff, settings))
    assert twice.status_code == 409
    # Staff of the resource may read it; the staff list shows it.
    listed = await client.get(
        f"/api/v1/staff/resources/{resource.id}/bookings", headers=auth_headers(staff, settings)
    )
    assert [b["id"] for b in listed.json()["items"]] == [booking["id"]]
    hidden = await client.get(
        f"/api/v1/staff/resources/{resource.id}/bookings", headers=auth_headers(other_staff, settings)
    )
    assert hidden.status_code == 404


async def test_decision__approval_flow(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource(requires_approval=True)
    slot = await make_slot(resource, capacity=2)
    user = await make_user()
    staff = await make_user(roles={Role.DEPT_OPERATOR: ["hall"]})
    booking = (
        await client.post(
            "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(user, settings)
        )
    ).json()
    assert booking["status"] == "requested"
    assert booking["check_in_code"] is None
    assert booking["slot"]["remaining"] == 1  # a request holds its place while staff decide
    url = f"/api/v1/bookings/{booking['id']}/decision"
    assert (
        await client.post(url, json={"approve": True}, headers=auth_headers(user, settings))
    ).status_code == 404
    denied = await client.post(url, json={"approve": False}, headers=auth_headers(staff, settings))
    assert denied.status_code == 200 and denied.json()["status"] == "denied"
    assert denied.json()["slot"]["remaining"] == 2
    assert await InboxMessage.filter(user_id=user.id, kind="notify.booking.denied").count() == 1
    again = await client.post(url, json={"approve": True}, headers=auth_headers(staff, settings))
    assert again.status_code == 409


async def test_waitlist__cancellation_offers_the_place_to_the_first_waiting_and_notifies(
    client: httpx.AsyncClient, settings
) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=1)
    holder, waiting, later = await make_user(), await make_user(), await make_user()
    booking = (
        await client.post(
            "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(holder, settings)
        )
    ).json()
    early = await client.post(
        f"/api/v1/slots/{slot.id}/waitlist", json={}, headers=auth_headers(waiting, settings)
    )
    assert early.status_code == 201 and early.json()["position"] == 1
    late = await client.post(
        f"/api/v1/slots/{slot.id}/waitlist", json={}, headers=auth_headers(later, settings)
    )
    assert late.json()["position"] == 2
    dup = await client.post(
        f"/api/v1/slots/{slot.id}/waitlist", json={}, headers=auth_headers(later, settings)
    )
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "booking.already_waiting"
    await client.post(f"/api/v1/bookings/{booking['id']}/cancel", headers=auth_headers(holder, settings))
    promoted = (await client.get("/api/v1/me/bookings", headers=auth_headers(waiting, settings))).json()[
        "items"
    ]
    # The freed place is held for the first person waiting until they confirm it.
    assert len(promoted) == 1 and promoted[0]["status"] == "held"
    assert promoted[0]["hold_expires_at"] and promoted[0]["check_in_code"] is None
    assert await InboxMessage.filter(user_id=waiting.id, kind="notify.booking.promoted").count() == 1
    confirmed = await client.post(
        f"/api/v1/bookings/{promoted[0]['id']}/confirm", headers=auth_headers(waiting, settings)
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert confirmed.json()["check_in_code"].startswith("JYB1")
    assert (await client.get("/api/v1/me/bookings", headers=auth_headers(later, settings))).json()[
        "items"
    ] == []


async def test_waitlist__only_for_full_slots(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=1)
    user = await make_user()
    response = await client.post(
        f"/api/v1/slots/{slot.id}/waitlist", json={}, headers=auth_headers(user, settings)
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "booking.slot_has_places"


async def test_proxy__child_books_for_parent_by_header_and_by_body(
    client: httpx.AsyncClient, settings
) -> None:
    resource = await make_resource()
    slot_a, slot_b = (
        await make_slot(resource, capacity=3),
        await make_slot(resource, capacity=3, hours_ahead=48),
    )
    parent, child, stranger = await make_user(), await make_user(), await make_user()
    await make_grant(child, parent)
    by_header = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot_a.id)},
        headers=auth_headers(child, settings, **{"X-Acting-For": str(parent.id)}),
    )
    assert by_header.status_code == 201, by_header.text
    assert by_header.json()["for_member"] == str(parent.id)
    assert by_header.json()["booked_by"] == str(child.id)
    by_body = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot_b.id), "for_member": str(parent.id)},
        headers=auth_headers(child, settings),
    )
    assert by_body.status_code == 201 and by_body.json()["for_member"] == str(parent.id)
    # The parent reads both as theirs and can cancel; a stranger cannot act for the parent.
    theirs = await client.get("/api/v1/me/bookings", headers=auth_headers(parent, settings))
    assert {b["id"] for b in theirs.json()["items"]} == {by_header.json()["id"], by_body.json()["id"]}
    refused = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot_a.id), "for_member": str(parent.id)},
        headers=auth_headers(stranger, settings),
    )
    assert refused.status_code == 403
    cancel = await client.post(
        f"/api/v1/bookings/{by_body.json()['id']}/cancel", headers=auth_headers(parent, settings)
    )
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"


async def test_proxy__grant_without_bookings_scope_refused(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource)
    parent, child = await make_user(), await make_user()
    await make_grant(child, parent, scopes=("care",))
    response = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id)},
        headers=auth_headers(child, settings, **{"X-Acting-For": str(parent.id)}),
    )
    assert response.status_code == 403


async def test_resource__public_detail_in_callers_language(client: httpx.AsyncClient) -> None:
    resource = await make_resource(requires_approval=True)
    en = await client.get(f"/api/v1/resources/{resource.id}", headers={"Accept-Language": "en"})
    assert en.status_code == 200
    assert en.json()["name"] == "Citizen Hall window 1"
    assert en.json()["rules"]["requires_approval"] is True
    zh = await client.get(f"/api/v1/resources/{resource.id}")
    assert zh.json()["name"] == "市民之家 1号窗口"


async def test_openapi__booking_routes_documented(openapi_document: dict) -> None:
    spec = openapi_document
    for path in (
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}",
        "/api/v1/bookings/{booking_id}/cancel",
        "/api/v1/bookings/{booking_id}/check-in",
        "/api/v1/slots/{slot_id}/waitlist",
        "/api/v1/me/bookings",
        "/api/v1/resources/{resource_id}/slots",
    ):
        assert path in spec["paths"], path


async def test_me_bookings__include_those_of_people_i_act_for(client: httpx.AsyncClient, settings) -> None:
    resource = await make_resource()
    slot = await make_slot(resource, capacity=3)
    parent, child, cousin = await make_user(), await make_user(), await make_user()
    await make_grant(child, parent)
    await make_grant(cousin, parent, scopes=("care",))  # a grant that does not cover bookings
    own = await client.post(
        "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(parent, settings)
    )
    assert own.status_code == 201
    listed = await client.get("/api/v1/me/bookings", headers=auth_headers(child, settings))
    assert [b["id"] for b in listed.json()["items"]] == [own.json()["id"]]
    assert (
        await client.get(f"/api/v1/bookings/{own.json()['id']}", headers=auth_headers(child, settings))
    ).status_code == 200
    assert (await client.get("/api/v1/me/bookings", headers=auth_headers(cousin, settings))).json()[
        "items"
    ] == []
    assert (
        await client.get(f"/api/v1/bookings/{own.json()['id']}", headers=auth_headers(cousin, settings))
    ).status_code == 404


async def test_jobs__registered_and_run_with_the_worker_runtime(runtime) -> None:
    names = {job.name for job in runtime.periodic_jobs}
    assert {"bookings.expire_holds", "bookings.mark_no_shows", "bookings.send_reminders"} <= names
    resource = await make_resource(hold_minutes=1)
    slot = await make_slot(resource, capacity=1)
    user = await make_user()
    actor = Principal(user_id=user.id, level=VerificationLevel.REAL_NAME)
    held = await service.book(actor=actor, slot_id=slot.id, cipher=runtime.cipher, policies=NO_POLICIES)
    await Booking.filter(id=held.id).update(hold_expires_at=clock.now() - dt.timedelta(seconds=1))
    assert await jobs.expire_holds(runtime) == 1
    assert (await service.get_slot(slot_id=slot.id)).remaining == 1
    assert await jobs.purge_idempotency_keys(runtime) == 0
