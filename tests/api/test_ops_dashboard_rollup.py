"""The dashboard's daily rollups: past days read from ops_daily_rollup, today live, the same figures."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

from services.accounts.enums import Role
from services.common import clock
from services.community.enums import ReportCategory, ReportStatus
from services.community.models import Community, Region, Report
from services.gov.enums import CaseStatus, RatingLevel
from services.gov.models import Case, Rating
from services.ops import rollup
from services.ops.aggregate import FigureScope
from services.ops.models import DailyRollup
from tests.factories import auth_headers, make_user

pytestmark = pytest.mark.usefixtures("app")


def _at(days_ago: int, hour: int = 10) -> dt.datetime:
    local = dt.datetime.combine(
        clock.local_date() - dt.timedelta(days=days_ago), dt.time(hour), clock.CITY_TZ
    )
    return local.astimezone(dt.UTC)


async def _history(resident) -> None:
    """Cases, ratings and resolved reports on each of the last ten days, and some today."""
    region = await Region.create(
        code="r1", name_zh="沁园", name_en="Qinyuan", kind="subdistrict", lat=35.09, lng=112.6
    )
    place = await Community.create(
        code="c1", region=region, name_zh="社区", name_en="C", kind="community", lat=35.09, lng=112.6
    )
    statuses = [CaseStatus.IN_REVIEW, CaseStatus.APPROVED, CaseStatus.COMPLETED, CaseStatus.REJECTED]
    for days_ago in range(0, 10):
        for n in range(days_ago % 3 + 1):
            await Case.create(
                ref=f"JY{days_ago}-{n}",
                user_id=resident.id,
                created_by_id=resident.id,
                item_code="hukou-move-in",
                department_code="gongan" if n % 2 else "shebao",
                status=statuses[(days_ago + n) % 4],
                submitted_at=_at(days_ago, 9 + n),
                decided_at=_at(days_ago, 15) if n else None,
            )
        level = [RatingLevel.VERY_SATISFIED, RatingLevel.DISSATISFIED, RatingLevel.SATISFIED][days_ago % 3]
        await Rating.create(
            user_id=resident.id,
            booking_id=uuid.uuid4(),
            department_code="shebao",
            level=level,
            score=level.score,
            created_at=_at(days_ago, 11),
        )
        if days_ago % 4 == 0:  # days with more ratings weigh more in the range's average
            for _ in range(3):
                await Rating.create(
                    user_id=resident.id,
                    booking_id=uuid.uuid4(),
                    department_code="shebao",
                    level=RatingLevel.VERY_DISSATISFIED,
                    score=RatingLevel.VERY_DISSATISFIED.score,
                    created_at=_at(days_ago, 12),
                )
        report = await Report.create(community=place, category=ReportCategory.GARBAGE, token=f"t{days_ago}")
        await Report.filter(id=report.id).update(
            status=ReportStatus.RESOLVED,
            created_at=_at(days_ago, 8),
            closed_at=_at(days_ago, 8 + days_ago % 5 + 1),
        )


async def _dashboard(
    client: httpx.AsyncClient, headers: dict[str, str], start: dt.date, end: dt.date
) -> dict:
    response = await client.get(
        "/api/v1/ops/dashboard", params={"from": start.isoformat(), "to": end.isoformat()}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _clear_cache(runtime) -> None:
    async for key in runtime.redis.scan_iter(match=runtime.keys("ops-dashboard", "*")):
        await runtime.redis.delete(key)


async def test_rollup__a_range_from_rollups_equals_the_live_figures(client, settings, runtime) -> None:
    resident = await make_user()
    await _history(resident)
    headers = auth_headers(await make_user(roles={Role.OPS_VIEWER: [""]}), settings)
    today = clock.local_date()
    start = today - dt.timedelta(days=9)
    # The job rolls up every closed day (of the last 30 here; a year in production), today stays live.
    assert await rollup.roll_up(runtime.dashboard_figures, days=30) == 3 * 30
    assert await DailyRollup.filter(domain="gov", day=today).count() == 0
    body = await _dashboard(client, headers, start, today)
    for name in rollup.ROLLED:
        live = await runtime.dashboard_figures[name](start=start, end=today, scope=FigureScope())
        got = body["domains"][name]
        assert got["daily"] == live["daily"], name
        for key, value in live["totals"].items():
            if key == "median_hours_to_resolve":
                continue  # an estimate from the daily medians: checked below
            assert got["totals"][key] == pytest.approx(value), (name, key)
        for key in rollup.ROLLED[name].range_current:
            assert got["current"][key] == live["current"][key], (name, key)
    assert body["domains"]["gov"]["totals"]["applications"] == sum(d % 3 + 1 for d in range(10))
    # Hours to resolve are 1..5 over the days: the weighted median of the daily medians is the median.
    live_median = (await runtime.dashboard_figures["community"](start=start, end=today, scope=FigureScope()))[
        "totals"
    ]["median_hours_to_resolve"]
    assert body["domains"]["community"]["totals"]["median_hours_to_resolve"] == pytest.approx(
        live_median, abs=1.0
    )


async def test_rollup__past_days_are_read_from_the_rollups_and_refreshed_when_stale(
    client, settings, runtime
) -> None:
    resident = await make_user()
    await _history(resident)
    headers = auth_headers(await make_user(roles={Role.OPS_VIEWER: [""]}), settings)
    today = clock.local_date()
    start = today - dt.timedelta(days=9)
    await rollup.roll_up(runtime.dashboard_figures, days=30)
    before = (await _dashboard(client, headers, start, today))["domains"]["gov"]
    # A case arrives for a past day behind the rollup's back (e.g. a late import): the rolled day
    # does not see it, so the answer comes from the rollup table, not from the case rows.
    three_days_ago = (today - dt.timedelta(days=3)).isoformat()
    await Case.create(
        ref="JY-LATE",
        user_id=resident.id,
        created_by_id=resident.id,
        item_code="hukou-move-in",
        department_code="gongan",
        status=CaseStatus.IN_REVIEW,
        submitted_at=_at(3, 12),
    )
    await _clear_cache(runtime)
    same = (await _dashboard(client, headers, start, today))["domains"]["gov"]
    assert (
        same["daily"]["submitted"]["all"][three_days_ago]
        == before["daily"]["submitted"]["all"][three_days_ago]
    )
    # Today's figures are live: a case submitted now shows at once.
    await Case.create(
        ref="JY-NOW",
        user_id=resident.id,
        created_by_id=resident.id,
        item_code="hukou-move-in",
        department_code="gongan",
        status=CaseStatus.SUBMITTED,
        submitted_at=clock.now(),
    )
    await _clear_cache(runtime)
    now_body = (await _dashboard(client, headers, start, today))["domains"]["gov"]
    assert (
        now_body["daily"]["submitted"]["all"][today.isoformat()]
        == before["daily"]["submitted"]["all"][today.isoformat()] + 1
    )
    assert (
        now_body["current"]["applications_by_state"]["submitted"]
        == before["current"]["applications_by_state"]["submitted"] + 1
    )
    # Nothing is stale within the hour; two hours on, the recent days are recomputed and see it.
    assert await rollup.roll_up(runtime.dashboard_figures, days=30) == 0
    later = clock.now() + dt.timedelta(hours=2)
    assert await rollup.roll_up(runtime.dashboard_figures, days=30, now=later) == 3 * rollup.RECENT_DAYS
    await _clear_cache(runtime)
    after = (await _dashboard(client, headers, start, today))["domains"]["gov"]
    assert (
        after["daily"]["submitted"]["all"][three_days_ago]
        == before["daily"]["submitted"]["all"][three_days_ago] + 1
    )


async def test_rollup__missing_days_filled_on_read_or_answered_live(client, settings, runtime) -> None:
    resident = await make_user()
    await _history(resident)
    headers = auth_headers(await make_user(roles={Role.OPS_VIEWER: [""]}), settings)
    today = clock.local_date()
    # No rollups at all: a 10-day range (9 closed days > FILL_ON_READ) is computed live, nothing stored.
    body = await _dashboard(client, headers, today - dt.timedelta(days=9), today)
    assert body["domains"]["gov"]["totals"]["applications"] == sum(d % 3 + 1 for d in range(10))
    assert not await DailyRollup.exists()
    # A week is filled during the read (and stored for the next reader).
    await _clear_cache(runtime)
    week = await _dashboard(client, headers, today - dt.timedelta(days=6), today)
    assert week["domains"]["gov"]["totals"]["applications"] == sum(d % 3 + 1 for d in range(7))
    assert await DailyRollup.filter(domain="gov").count() == 6
    # A department operator's view is computed live from its own rows.
    operator = auth_headers(await make_user(roles={Role.DEPT_OPERATOR: ["gongan"]}), settings)
    mine = await _dashboard(client, operator, today - dt.timedelta(days=9), today)
    assert mine["domains"]["gov"]["totals"]["applications"] == sum((d % 3 + 1) // 2 for d in range(10))
