"""Racing requests on the community domain: one status change wins, receipts and 'me too' count once."""

from __future__ import annotations

import asyncio

import httpx

from services.community.models import NoticeRead, ReportFollower, ReportHistory
from tests.api.test_community_support import community_pair, headers_for, resident, staff_of


async def test_report_status__concurrent_staff_one_change_wins(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    s1, s2 = await staff_of(a), await staff_of(a)
    reporter = await resident(a)
    created = await client.post(
        "/api/v1/community/reports",
        json={"category": "streetlight", "description": "路灯不亮", "lat": 35.0953, "lng": 112.5869},
        headers=headers_for(reporter, settings),
    )
    report_id = created.json()["id"]
    calls = [
        client.post(
            f"/api/v1/staff/reports/{report_id}/status",
            json={"status": "resolved" if i % 2 else "closed", "note": f"by {i}"},
            headers=headers_for(s1 if i % 2 else s2, settings),
        )
        for i in range(10)
    ]
    statuses = sorted(r.status_code for r in await asyncio.gather(*calls))
    assert statuses == [200] + [409] * 9
    assert await ReportHistory.filter(report_id=report_id).count() == 2


async def test_me_too_and_reads__count_once_under_races(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    reporter, neighbour = await resident(a), await resident(a)
    created = await client.post(
        "/api/v1/community/reports",
        json={"category": "garbage", "description": "垃圾堆放", "lat": 35.0953, "lng": 112.5869},
        headers=headers_for(reporter, settings),
    )
    report_id = created.json()["id"]
    results = await asyncio.gather(
        *[
            client.post(
                f"/api/v1/community/reports/{report_id}/me-too", headers=headers_for(neighbour, settings)
            )
            for _ in range(8)
        ]
    )
    assert all(r.status_code == 200 for r in results)
    assert await ReportFollower.filter(report_id=report_id).count() == 1

    posted = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json={"title": "通知", "body": "内容", "category": "other"},
        headers=headers_for(staff, settings),
    )
    notice_id = posted.json()["id"]
    reads = await asyncio.gather(
        *[
            client.get(f"/api/v1/notices/{notice_id}", headers=headers_for(neighbour, settings))
            for _ in range(8)
        ]
    )
    assert all(r.status_code == 200 for r in reads)
    assert await NoticeRead.filter(notice_id=notice_id).count() == 1
