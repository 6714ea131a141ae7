"""Home-care subsidies: the balance never goes negative under concurrent orders, a refused order
gives its subsidy back, a staff assessment (失能) grants a budget, and a new month starts afresh."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
import pytest

from services.accounts.enums import Role
from services.care.models import SubsidyAccount
from services.common import clock
from tests.api.care_helpers import deliver, patient, reset_outside_systems
from tests.factories import auth_headers, make_user

COMMUNITY = "qinyuan-xuanhua"


@pytest.fixture(autouse=True)
async def _fresh(client: httpx.AsyncClient, runtime) -> None:
    await reset_outside_systems(client, runtime)


def _order(kind: str = "cleaning") -> dict:
    start = clock.to_local(clock.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return {
        "kind": kind,
        "community_code": COMMUNITY,
        "address": "济源市沁园街道宣化街8号",
        "window_start": start.isoformat(),
        "window_end": (start + dt.timedelta(hours=2)).isoformat(),
    }


async def test_subsidy__concurrent_orders_draw_exactly_the_budget_never_below_zero(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    elder = await patient(runtime, name="孙德福", born=dt.date(1941, 6, 1))  # 85: aged 80+
    headers = auth_headers(elder, settings)
    before = (await client.get("/api/v1/care/subsidy", headers=headers)).json()
    assert before["eligible"] is True and before["reasons"] == ["aged_80"] and before["balance_fen"] == 20_000
    results = await asyncio.gather(
        *(client.post("/api/v1/care/eldercare/orders", json=_order(), headers=headers) for _ in range(12))
    )
    assert [r.status_code for r in results] == [201] * 12, [r.text for r in results if r.status_code != 201]
    orders = [r.json() for r in results]
    assert sum(o["subsidy_fen"] for o in orders) == 20_000  # 4.44 orders' worth: 4 full, one partial
    assert all(o["subsidy_fen"] + o["pay_fen"] == o["price_fen"] == 4500 for o in orders)
    account = await SubsidyAccount.get(subject_id=elder.id)
    assert account.spent_fen == account.budget_fen == 20_000
    after = (await client.get("/api/v1/care/subsidy", headers=headers)).json()
    assert after["balance_fen"] == 0


async def test_subsidy__refused_order_refunds_and_a_new_month_resets(
    client: httpx.AsyncClient, runtime, settings, monkeypatch
) -> None:
    person = await patient(runtime, born=dt.date(1975, 1, 1))
    headers = auth_headers(person, settings)
    assert (await client.get("/api/v1/care/subsidy", headers=headers)).json()["eligible"] is False
    staff = await make_user(roles={Role.COMMUNITY_STAFF: [COMMUNITY]})
    resident = await make_user()
    denied = await client.put(
        f"/api/v1/care/staff/assessments/{person.id}",
        json={"disabled": True},
        headers=auth_headers(resident, settings),
    )
    assert denied.status_code == 403
    assessed = await client.put(
        f"/api/v1/care/staff/assessments/{person.id}",
        json={"disabled": True},
        headers=auth_headers(staff, settings),
    )
    assert assessed.status_code == 200, assessed.text
    status = (await client.get("/api/v1/care/subsidy", headers=headers)).json()
    assert status["reasons"] == ["disabled"] and status["balance_fen"] == 30_000
    order = (
        await client.post("/api/v1/care/eldercare/orders", json=_order("bathing"), headers=headers)
    ).json()
    assert order["subsidy_fen"] == 8000
    assert (await client.get("/api/v1/care/subsidy", headers=headers)).json()["balance_fen"] == 22_000
    # The platform refuses it: the subsidy comes back.
    await client.post("/sandbox/eldercare/__faults", json={"fail_next": 1, "fail_status": 422})
    await deliver(runtime)
    detail = (await client.get(f"/api/v1/care/eldercare/orders/{order['id']}", headers=headers)).json()
    assert detail["status"] == "refused"
    assert (await client.get("/api/v1/care/subsidy", headers=headers)).json()["balance_fen"] == 30_000
    # Spend some, then the month turns: the new month opens at the full budget.
    await client.post("/api/v1/care/eldercare/orders", json=_order("bathing"), headers=headers)
    assert (await client.get("/api/v1/care/subsidy", headers=headers)).json()["balance_fen"] == 22_000
    real_now = clock.now
    next_month = (real_now().replace(day=1) + dt.timedelta(days=40)).replace(day=2)
    monkeypatch.setattr(clock, "now", lambda: next_month)
    fresh = (await client.get("/api/v1/care/subsidy", headers=headers)).json()
    assert fresh["month"] == next_month.strftime("%Y-%m") and fresh["balance_fen"] == 30_000
