"""好差评 through HTTP: once per completed case or checked-in hall booking, by its owner; a bad rating
opens a follow-up due in 15 working days, visible to the department's operators only."""

from __future__ import annotations

import datetime as dt

import pytest

from services.accounts.enums import Role
from services.bookings import service as bookings
from services.common import clock
from services.gov.models import FollowUp, HallWindow
from tests.api.test_gov_support import ONLINE_ITEM, advance, deliver_all, platform_control, seed
from tests.factories import auth_headers, make_user


@pytest.fixture
async def seeded(runtime) -> int:
    return await seed(runtime)


@pytest.fixture
async def platform(settings, runtime):
    async with platform_control(settings, runtime) as control:
        yield control


async def _case(client, settings, runtime, platform, user, *, complete: bool = True) -> str:
    created = await client.post(
        "/api/v1/gov/applications", json={"item_code": ONLINE_ITEM}, headers=auth_headers(user, settings)
    )
    case_id = created.json()["id"]
    if complete:
        await deliver_all(runtime)
        shown = await client.get(f"/api/v1/gov/applications/{case_id}", headers=auth_headers(user, settings))
        ref = shown.json()["platform_ref"]
        for status in ("accepted", "in_review", "approved", "completed"):
            assert (await advance(platform, ref, status))["callback_status"] == 200
    return case_id


async def test_rating__once_by_the_owner_after_completion(
    client, settings, runtime, seeded, platform
) -> None:
    owner = await make_user()
    stranger = await make_user()
    running = await _case(client, settings, runtime, platform, owner, complete=False)
    early = await client.post(
        f"/api/v1/cases/{running}/rating", json={"level": "satisfied"}, headers=auth_headers(owner, settings)
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "gov.rating.not_ratable"

    case_id = await _case(client, settings, runtime, platform, owner)
    url = f"/api/v1/cases/{case_id}/rating"
    theirs = await client.post(
        url, json={"level": "very_dissatisfied"}, headers=auth_headers(stranger, settings)
    )
    assert theirs.status_code == 404
    bad_level = await client.post(url, json={"level": "meh"}, headers=auth_headers(owner, settings))
    assert bad_level.status_code == 422
    anonymous = await client.post(url, json={"level": "satisfied"})
    assert anonymous.status_code == 401

    rated = await client.post(
        url,
        json={"level": "very_satisfied", "tags": ["办事快", "态度好", "办事快"], "text": "一次办好"},
        headers=auth_headers(owner, settings),
    )
    assert rated.status_code == 201, rated.text
    body = rated.json()
    assert body["level_label"] == "非常满意" and body["score"] == 5
    assert body["tags"] == ["办事快", "态度好"]
    assert body["follow_up"] is None  # a good rating needs no follow-up
    again = await client.post(url, json={"level": "satisfied"}, headers=auth_headers(owner, settings))
    assert again.status_code == 409 and again.json()["error"]["code"] == "gov.rating.already_rated"
    timeline = (
        await client.get(f"/api/v1/gov/applications/{case_id}", headers=auth_headers(owner, settings))
    ).json()
    assert timeline["timeline"][-1]["kind"] == "rated"


async def test_rating__bad_opens_a_follow_up_due_in_15_working_days(
    client, settings, runtime, seeded, platform
) -> None:
    owner = await make_user()
    case_id = await _case(client, settings, runtime, platform, owner)
    rated = await client.post(
        f"/api/v1/cases/{case_id}/rating",
        json={"level": "dissatisfied", "tags": ["等待久"], "text": "排队两小时"},
        headers=auth_headers(owner, settings, **{"Accept-Language": "en"}),
    )
    assert rated.status_code == 201
    follow_up = rated.json()["follow_up"]
    due = clock.add_working_days(clock.local_date(), 15)
    assert follow_up["due_date"] == due.isoformat()
    assert follow_up["status"] == "open" and follow_up["department"] == "renshe"
    # 15 working days is at least three calendar weeks, more across a holiday.
    assert (due - clock.local_date()) >= dt.timedelta(days=21)
    assert rated.json()["level_label"] == "Dissatisfied"

    operator = await make_user(roles={Role.DEPT_OPERATOR: ["renshe"]})
    other_department = await make_user(roles={Role.DEPT_OPERATOR: ["gongan"]})
    resident = await make_user()
    seen = await client.get("/api/v1/gov/follow-ups", headers=auth_headers(operator, settings))
    assert seen.status_code == 200
    [item] = seen.json()["items"]
    assert (
        item["level"] == "dissatisfied"
        and item["text"] == "排队两小时"
        and item["due_date"] == due.isoformat()
    )
    assert item["case_ref"].startswith("JY")
    assert "user_id" not in item  # the operator follows up through the case, not the rater's identity
    assert (
        await client.get("/api/v1/gov/follow-ups", headers=auth_headers(other_department, settings))
    ).json()["items"] == []
    assert (
        await client.get("/api/v1/gov/follow-ups", headers=auth_headers(resident, settings))
    ).status_code == 403
    assert await FollowUp.all().count() == 1

    close = f"/api/v1/gov/follow-ups/{item['id']}/close"
    body = {"resolution": "已增开窗口，电话回访群众"}
    assert (
        await client.post(close, json=body, headers=auth_headers(other_department, settings))
    ).status_code == 404
    assert (await client.post(close, json=body, headers=auth_headers(resident, settings))).status_code == 403
    closed = await client.post(close, json=body, headers=auth_headers(operator, settings))
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["resolution"] == body["resolution"]
    twice = await client.post(close, json=body, headers=auth_headers(operator, settings))
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "gov.follow_up.closed"
    open_only = await client.get(
        "/api/v1/gov/follow-ups", params={"status": "open"}, headers=auth_headers(operator, settings)
    )
    assert open_only.json()["items"] == []


async def test_rating__hall_booking_after_check_in(client, settings, runtime, seeded) -> None:
    window = await HallWindow.get(code="jy-b01")  # 社会保险窗口, department renshe
    assert window.resource_id is not None
    # A slot starting shortly, so staff may check the citizen in now.
    start = clock.now() + dt.timedelta(minutes=20)
    slot = await bookings.create_slot(
        resource_id=window.resource_id, start=start, end=start + dt.timedelta(minutes=30), capacity=2
    )
    citizen = await make_user()
    stranger = await make_user()
    staff = await make_user(roles={Role.DEPT_OPERATOR: ["renshe"]})
    booked = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "purpose": {"item_code": "si-card"}},
        headers=auth_headers(citizen, settings),
    )
    assert booked.status_code == 201, booked.text
    booking = booked.json()
    url = f"/api/v1/cases/{booking['id']}/rating"

    before = await client.post(url, json={"level": "satisfied"}, headers=auth_headers(citizen, settings))
    assert before.status_code == 409 and before.json()["error"]["code"] == "gov.rating.not_ratable"
    checked = await client.post(
        f"/api/v1/bookings/{booking['id']}/check-in",
        json={"code": booking["check_in_code"]},
        headers=auth_headers(staff, settings),
    )
    assert checked.status_code == 200, checked.text

    assert (
        await client.post(url, json={"level": "satisfied"}, headers=auth_headers(stranger, settings))
    ).status_code == 404
    # Staff can see the booking but it is not theirs to rate.
    assert (
        await client.post(url, json={"level": "satisfied"}, headers=auth_headers(staff, settings))
    ).status_code == 404
    rated = await client.post(
        url,
        json={"level": "very_dissatisfied", "text": "窗口人员不在岗"},
        headers=auth_headers(citizen, settings),
    )
    assert rated.status_code == 201, rated.text
    assert rated.json()["booking_id"] == booking["id"] and rated.json()["case_id"] is None
    assert rated.json()["follow_up"]["department"] == "renshe"
    again = await client.post(url, json={"level": "satisfied"}, headers=auth_headers(citizen, settings))
    assert again.status_code == 409
