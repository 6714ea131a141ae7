"""Care in the platform: hospitals, clinics and doctors found by search (Chinese, pinyin, initials)
and the operations dashboard's care figures (appointments, no-shows, orders, emergency response)."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from services.care import catalogue, reports
from services.care.enums import AppointmentStatus, CareServiceKind, OrderStatus
from services.care.models import CareAppointment, CareOrder
from services.common import clock
from services.ops.aggregate import FigureScope
from tests.api.care_helpers import patient, reset_outside_systems


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


async def test_search__finds_hospitals_and_doctors_by_chinese_pinyin_and_initials(
    client: httpx.AsyncClient, runtime
) -> None:
    assert await catalogue.sync_catalogue(his=runtime.adapters.his) > 30
    assert await reports.index_catalogue() > 30
    for query in ("人民医院", "zhongyiyuan", "jyszyy"):
        hits = (await client.get("/api/v1/search", params={"q": query})).json()["items"]
        assert any(h["kind"] == "hospital" for h in hits), (query, hits)
    for query in ("王建国", "wangjianguo", "wjg"):
        doctors = (await client.get("/api/v1/search", params={"q": query})).json()["items"]
        assert any(h["kind"] == "doctor" and "主任医师" in h["title"] for h in doctors), (query, doctors)
    clinics = (await client.get("/api/v1/search", params={"q": "zhenjiu"})).json()["items"]
    assert any(h["kind"] == "department" and "针灸" in h["title"] for h in clinics), clinics


async def test_dashboard__care_figures_per_local_day(client: httpx.AsyncClient, runtime) -> None:
    user = await patient(runtime)
    now = clock.now()
    today = clock.local_date().isoformat()
    for status in (AppointmentStatus.BOOKED, AppointmentStatus.NOSHOW):
        await CareAppointment.create(
            booking_id=uuid.uuid4(),
            user_id=user.id,
            subject_id=user.id,
            hospital_his_id="jy-rmyy",
            department_his_id="jy-rmyy-nk",
            doctor_his_id="jy-rmyy-nk-01",
            his_slot_id="s",
            status=status,
            visit_date=clock.local_date(),
            slot_start=now,
        )
    await CareOrder.create(
        user_id=user.id, subject_id=user.id, kind=CareServiceKind.MEAL, community_code="qinyuan-xuanhua"
    )
    call = await CareOrder.create(
        user_id=user.id,
        subject_id=user.id,
        kind=CareServiceKind.EMERGENCY,
        urgent=True,
        community_code="qinyuan-xuanhua",
    )
    await CareOrder.filter(id=call.id).update(
        status=OrderStatus.ACCEPTED, accepted_at=call.created_at + dt.timedelta(seconds=42)
    )
    # The function the dashboard calls (GET /ops/dashboard validates every domain's answer together).
    care = await reports.dashboard_figures(
        start=clock.local_date(), end=clock.local_date(), scope=FigureScope()
    )
    assert care["daily"]["appointments"]["jy-rmyy"][today] == 2
    assert care["daily"]["no_shows"]["all"][today] == 1
    assert care["daily"]["care_orders"]["meal"][today] == 1
    assert care["daily"]["emergency_calls"]["all"][today] == 1
    assert round(care["daily"]["emergency_response_s"]["all"][today]) == 42
    assert care["totals"]["emergency_response_median_s"] == 42.0
    assert care["current"] == {"open_emergency_calls": 1, "active_orders": 1}
    # A hospital's staff see their hospital's appointments only; another hospital's see none of them.
    own = await reports.dashboard_figures(
        start=clock.local_date(),
        end=clock.local_date(),
        scope=FigureScope(departments=frozenset({"hospital:jy-rmyy"})),
    )
    assert own["daily"]["appointments"]["jy-rmyy"][today] == 2 and "care_orders" not in own["daily"]
    other = await reports.dashboard_figures(
        start=clock.local_date(),
        end=clock.local_date(),
        scope=FigureScope(departments=frozenset({"hospital:jy-zyy"})),
    )
    assert other["daily"]["appointments"] == {"all": {}}
