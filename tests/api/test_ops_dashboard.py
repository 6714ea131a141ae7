"""The operations dashboard: figures per domain and local day, roles and department scopes, caching."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from services.accounts.enums import Role
from services.bookings import service as bookings
from services.bookings.models import Booking
from services.common import clock, outbox
from services.common.models import OutboxMessage, OutboxStatus
from services.community.enums import ReportCategory, ReportStatus
from services.community.models import Community, Region, Report
from services.gov.enums import CaseStatus, RatingLevel
from services.gov.models import Case, FollowUp, Rating
from tests.factories import auth_headers, make_user

pytestmark = pytest.mark.usefixtures("app")


async def _hall_slot(department: str):
    resource = await bookings.ensure_resource(
        owner_domain="gov",
        owner_ref=f"window-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "市民之家 1号窗口", "en": "Citizen Hall window 1"},
        staff_role=Role.DEPT_OPERATOR,
        staff_scope=department,
        rules=None,
    )
    start = clock.now().replace(microsecond=0) + dt.timedelta(hours=24)
    return await bookings.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(minutes=30), capacity=5
    )


async def _dashboard(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> dict:
    response = await client.get("/api/v1/ops/dashboard", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def _today() -> str:
    return clock.local_date().isoformat()


async def _clear_cache(runtime) -> None:
    async for key in runtime.redis.scan_iter(match=runtime.keys("ops-dashboard", "*")):
        await runtime.redis.delete(key)


async def test_ops_dashboard__todays_bookings_change_after_a_booking(
    client: httpx.AsyncClient, settings, runtime
) -> None:
    viewer = await make_user(roles={Role.OPS_VIEWER: [""]})
    resident = await make_user()
    slot = await _hall_slot("gongan")
    headers = auth_headers(viewer, settings)
    before = await _dashboard(client, headers)
    assert before["days"][-1] == _today() and before["timezone"] == "Asia/Shanghai"
    assert before["domains"]["bookings"]["totals"]["made"] == 0

    booked = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "party_size": 1},
        headers=auth_headers(resident, settings, **{"Idempotency-Key": uuid.uuid4().hex}),
    )
    assert booked.status_code == 201, booked.text
    # The answer is cached for a few seconds: the same figures until it expires.
    cached = await _dashboard(client, headers)
    assert cached["generated_at"] == before["generated_at"]
    await _clear_cache(runtime)

    after = await _dashboard(client, headers)
    assert after["domains"]["bookings"]["daily"]["made"]["gov"][_today()] == 1
    assert after["domains"]["bookings"]["totals"]["made"] == 1

    cancelled = await client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=auth_headers(resident, settings)
    )
    assert cancelled.status_code == 200, cancelled.text
    await _clear_cache(runtime)
    later = await _dashboard(client, headers)
    assert later["domains"]["bookings"]["daily"]["cancelled"]["gov"][_today()] == 1


async def test_ops_dashboard__days_are_local_to_the_city(client: httpx.AsyncClient, settings) -> None:
    viewer = await make_user(roles={Role.OPS_VIEWER: [""]})
    slot = await _hall_slot("gongan")
    resident = await make_user()
    booking = await Booking.create(
        slot_id=slot.id,
        resource_id=slot.resource_id,
        user_id=resident.id,
        subject_id=resident.id,
        status="no_show",
        check_in_code=uuid.uuid4().hex,
        visit_date=dt.date(2026, 11, 3),
        slot_start=slot.start,
        slot_end=slot.end,
    )
    # 2026-11-02 16:30 UTC is 2026-11-03 00:30 in Jiyuan: the booking was made on the 3rd, local time.
    await Booking.filter(id=booking.id).update(created_at=dt.datetime(2026, 11, 2, 16, 30, tzinfo=dt.UTC))
    body = await _dashboard(
        client, auth_headers(viewer, settings), **{"from": "2026-11-01", "to": "2026-11-05"}
    )
    assert body["days"] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"]
    figures = body["domains"]["bookings"]["daily"]
    assert figures["made"]["gov"] == {"2026-11-03": 1}
    assert figures["no_show"]["gov"] == {"2026-11-03": 1}


async def test_ops_dashboard__cases_ratings_reports_and_outbox(client: httpx.AsyncClient, settings) -> None:
    admin = await make_user(roles={Role.ADMIN: [""]})
    resident = await make_user()
    now = clock.now()
    yesterday = clock.local_date() - dt.timedelta(days=1)
    common = {
        "user_id": resident.id,
        "created_by_id": resident.id,
        "item_code": "hukou.move",
        "submitted_at": now,
    }
    await Case.create(
        ref="JY1", department_code="gongan", status=CaseStatus.IN_REVIEW, due_date=yesterday, **common
    )
    await Case.create(
        ref="JY2",
        department_code="gongan",
        status=CaseStatus.SUPPLEMENT_REQUESTED,
        due_date=yesterday,
        **common,
    )
    done = await Case.create(ref="JY3", department_code="shebao", status=CaseStatus.COMPLETED, **common)
    good = await Rating.create(
        case=done, user_id=resident.id, department_code="shebao", level=RatingLevel.VERY_SATISFIED, score=5
    )
    bad = await Rating.create(
        user_id=resident.id,
        booking_id=uuid.uuid4(),
        department_code="shebao",
        level=RatingLevel.VERY_DISSATISFIED,
        score=1,
    )
    await FollowUp.create(rating=bad, department_code="shebao", due_date=yesterday)
    assert good.score == 5
    region = await Region.create(
        code="qinyuan", name_zh="沁园街道", name_en="Qinyuan", kind="subdistrict", lat=35.09, lng=112.6
    )
    community = await Community.create(
        code="c1",
        region=region,
        name_zh="某社区",
        name_en="A community",
        kind="community",
        lat=35.09,
        lng=112.6,
    )
    await Report.create(
        community=community, category=ReportCategory.STREETLIGHT, lat=35.0912, lng=112.6021, token="t1"
    )
    fixed = await Report.create(community=community, category=ReportCategory.GARBAGE, token="t2")
    await Report.filter(id=fixed.id).update(
        status=ReportStatus.RESOLVED, created_at=now - dt.timedelta(hours=4), closed_at=now
    )
    dead = await outbox.enqueue(topic="gov.case_submit", payload={"case": "x"})
    await OutboxMessage.filter(id=dead.id).update(status=OutboxStatus.DEAD)
    await outbox.enqueue(topic="gov.case_submit", payload={})

    body = await _dashboard(client, auth_headers(admin, settings))
    gov = body["domains"]["gov"]
    assert gov["current"]["overdue_cases"] == 1  # 补正 stops the clock
    assert gov["current"]["applications_by_state"]["in_review"] == 1
    assert gov["current"]["follow_ups"] == {"open": 1, "overdue": 1}
    assert gov["totals"]["ratings"] == 2 and gov["totals"]["bad_ratings"] == 1
    assert gov["totals"]["good_rate"] == 0.5 and gov["totals"]["average_score"] == 3.0
    assert gov["daily"]["submitted"]["all"][_today()] == 3
    community_figures = body["domains"]["community"]
    assert community_figures["current"]["reports_by_state"]["open"] == 1
    assert community_figures["current"]["open_reports"] == 1
    assert community_figures["current"]["open_reports_map"] == [{"lat": 35.09, "lng": 112.6, "open": 1}]
    assert community_figures["totals"]["median_hours_to_resolve"] == pytest.approx(4.0, abs=0.01)
    platform = body["domains"]["ops"]["current"]["outbox"]
    assert platform["backlog"] == 1 and platform["dead_letters"] == 1
    assert "payload" not in str(body) and str(resident.id) not in str(body)


async def test_ops_dashboard__a_department_operator_sees_only_its_department(
    client: httpx.AsyncClient, settings
) -> None:
    operator = await make_user(roles={Role.DEPT_OPERATOR: ["gongan"]})
    resident = await make_user()
    mine, theirs = await _hall_slot("gongan"), await _hall_slot("shebao")
    for slot in (mine, theirs):
        booked = await client.post(
            "/api/v1/bookings",
            json={"slot_id": str(slot.id), "party_size": 1},
            headers=auth_headers(resident, settings, **{"Idempotency-Key": uuid.uuid4().hex}),
        )
        assert booked.status_code == 201, booked.text
    common = {
        "user_id": resident.id,
        "created_by_id": resident.id,
        "item_code": "x",
        "submitted_at": clock.now(),
    }
    await Case.create(ref="JY1", department_code="gongan", status=CaseStatus.ACCEPTED, **common)
    await Case.create(ref="JY2", department_code="shebao", status=CaseStatus.ACCEPTED, **common)
    body = await _dashboard(client, auth_headers(operator, settings))
    assert body["scope"] == {"departments": ["gongan"]}
    assert set(body["domains"]) == {"bookings", "gov"}  # no city-wide community, tourism or outbox figures
    assert body["domains"]["gov"]["current"]["applications_by_state"]["accepted"] == 1
    assert body["domains"]["bookings"]["totals"]["made"] == 1
    viewer = await make_user(roles={Role.OPS_VIEWER: [""]})
    city = await _dashboard(client, auth_headers(viewer, settings))
    assert city["domains"]["bookings"]["totals"]["made"] == 2


async def test_ops_dashboard__refused_without_the_role_and_for_bad_ranges(
    client: httpx.AsyncClient, settings
) -> None:
    assert (await client.get("/api/v1/ops/dashboard")).status_code == 401
    staff = await make_user(roles={Role.COMMUNITY_STAFF: [str(uuid.uuid4())]})
    refused = await client.get("/api/v1/ops/dashboard", headers=auth_headers(staff, settings))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.role_required"
    viewer = await make_user(roles={Role.OPS_VIEWER: [""]}, locale="en")
    headers = auth_headers(viewer, settings)
    backwards = await client.get(
        "/api/v1/ops/dashboard", params={"from": "2026-11-05", "to": "2026-11-01"}, headers=headers
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["code"] == "ops.dashboard_range_invalid"
    assert "range" in backwards.json()["error"]["message"].lower()
    too_long = await client.get(
        "/api/v1/ops/dashboard", params={"from": "2024-01-01", "to": "2026-11-01"}, headers=headers
    )
    assert too_long.status_code == 422
    garbage = await client.get("/api/v1/ops/dashboard", params={"from": "yesterday"}, headers=headers)
    assert garbage.status_code == 422
