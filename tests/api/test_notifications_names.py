"""Names inside notifications are read in the reader's language, and proxies get their copy.

A son (reading English) books and applies for his mother (reading Chinese); his sister also holds a
grant. Every domain that notifies passes the names in every language they have (`localized`) and its
statuses as message ids (`message`), so each reader sees their own language; proxies for the scope
get "For your parent: ..." once (the son who acted is not told twice).
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.accounts.enums import Role
from services.accounts.models import FamilyGrant
from services.common import clock
from services.common.outbox import OutboxEvent
from services.community import jobs as community_jobs
from services.community.enums import NoticeCategory, NoticeStatus, NoticeVisibility, ReportStatus
from services.community.models import Membership, Notice, Report
from services.gov import delivery
from services.gov.enums import CaseStatus
from services.gov.models import Case
from tests.api.bookings_helpers import make_grant as _grant
from tests.api.bookings_helpers import make_resource as _resource
from tests.api.bookings_helpers import make_slot as _slot
from tests.api.test_community_reports import report
from tests.api.test_community_support import community_pair, wechat_checks
from tests.api.test_gov_support import ONLINE_ITEM, seed
from tests.factories import auth_headers, make_user

__all__ = ["wechat_checks"]


async def _texts(client: httpx.AsyncClient, settings, user, lang: str) -> list[str]:
    response = await client.get(
        "/api/v1/me/inbox", params={"lang": lang}, headers=auth_headers(user, settings)
    )
    assert response.status_code == 200, response.text
    return [item["text"] for item in response.json()["items"]]


def _event(payload: dict) -> OutboxEvent:
    return OutboxEvent(id="test-event", topic="test", payload=payload, attempt=1)


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
async def family(client: httpx.AsyncClient, settings):
    mother, son, daughter, cousin = [await make_user() for _ in range(4)]
    for proxy, scopes in (
        (son, ["bookings", "cases"]),
        (daughter, ["bookings", "cases"]),
        (cousin, ["care"]),
    ):
        grant = await _grant(proxy, mother, scopes)  # the cousin: no scope for bookings or cases
        await FamilyGrant.filter(id=grant.id).update(relation="parent")
    return mother, son, daughter, cousin


async def test_names__booking_for_a_parent_reaches_everyone_in_their_language(
    client: httpx.AsyncClient, settings, family
) -> None:
    mother, son, daughter, cousin = family
    resource = await _resource()  # 市民之家 1号窗口 / Citizen Hall window 1
    slot = await _slot(resource, capacity=3)
    booked = await client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id)},
        headers=auth_headers(son, settings, **{"X-Acting-For": str(mother.id)}),
    )
    assert booked.status_code == 201, booked.text

    [hers] = await _texts(client, settings, mother, "zh-CN")
    assert "市民之家 1号窗口" in hers and "Citizen Hall" not in hers
    # The son acted: one message, the proxy's copy, in English with the English name.
    [his] = await _texts(client, settings, son, "en")
    assert his.startswith("For your parent: Booking confirmed: Citizen Hall window 1"), his
    assert not _has_cjk(his)
    [sisters] = await _texts(client, settings, daughter, "en")
    assert sisters == his
    [sisters_zh] = await _texts(client, settings, daughter, "zh-CN")
    assert sisters_zh.startswith("【代父母办理】") and "市民之家 1号窗口" in sisters_zh
    assert await _texts(client, settings, cousin, "en") == []

    cancelled = await client.post(
        f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=auth_headers(mother, settings)
    )
    assert cancelled.status_code == 200, cancelled.text
    latest = (await _texts(client, settings, son, "en"))[0]
    assert latest.startswith("For your parent: Booking cancelled: Citizen Hall window 1"), latest


async def test_names__a_case_for_a_parent_names_the_item_in_each_language(
    client: httpx.AsyncClient, settings, runtime, family
) -> None:
    mother, son, daughter, _ = family
    await seed(runtime)
    applied = await client.post(
        "/api/v1/gov/applications",
        json={"item_code": ONLINE_ITEM},
        headers=auth_headers(son, settings, **{"X-Acting-For": str(mother.id)}),
    )
    assert applied.status_code == 201, applied.text
    [hers] = await _texts(client, settings, mother, "zh-CN")
    assert "社会保险参保缴费证明打印" in hers
    for proxy in (son, daughter):
        [copy] = await _texts(client, settings, proxy, "en")
        assert copy.startswith('For your parent: Your application "'), copy
        assert not _has_cjk(copy), copy

    # A refused platform callback: the department's operator reads both statuses in English.
    case = await Case.get(id=applied.json()["id"])
    operator = await make_user(roles={Role.DEPT_OPERATOR: [case.department_code]})
    await delivery._record_refusal(case_id=case.id, event_id="ev-1", target=CaseStatus.APPROVED)
    [alert] = await _texts(client, settings, operator, "en")
    assert 'reported "Approved" while our record says "Submitted"' in alert and not _has_cjk(alert), alert
    [alert_zh] = await _texts(client, settings, operator, "zh-CN")
    assert "“已批准”" in alert_zh and "“已提交”" in alert_zh, alert_zh


async def test_names__community_news_names_the_community_and_labels_in_each_language(
    client: httpx.AsyncClient, settings, runtime, wechat_checks
) -> None:
    community, _ = await community_pair()
    english, chinese = await make_user(), await make_user()
    for person in (english, chinese):
        await Membership.create(user_id=person.id, community=community, status="verified")
    notice = await Notice.create(
        community_id=community.id,
        author_id=english.id,
        title="停水通知",
        body="周六停水",
        category=NoticeCategory.UTILITY_OUTAGE,
        visibility=NoticeVisibility.PUBLIC,
        urgent=True,
        status=NoticeStatus.PUBLISHED,
        publish_at=clock.now(),
        expire_at=clock.now() + dt.timedelta(days=3),
        attachments=[],
    )
    await community_jobs.deliver_urgent_notice(_event({"notice_id": str(notice.id)}), runtime)
    [urgent] = await _texts(client, settings, english, "en")
    assert urgent == f"[{community.name_en}] Urgent notice: 停水通知", urgent
    [urgent_zh] = await _texts(client, settings, chinese, "zh-CN")
    assert urgent_zh == f"【{community.name_zh}】紧急通知：停水通知", urgent_zh

    filed = await client.post(
        "/api/v1/community/reports", json=report(), headers=auth_headers(english, settings)
    )
    assert filed.status_code == 201, filed.text
    row = await Report.get(id=filed.json()["id"])
    await Report.filter(id=row.id).update(status=ReportStatus.IN_PROGRESS)
    await community_jobs.deliver_report_change(
        _event({"report_id": str(row.id), "from": "open", "to": "in_progress"}), runtime
    )
    news = (await _texts(client, settings, english, "en"))[0]
    assert news == 'The report "Damaged road" you follow is now: In progress', news
    news_zh = (await _texts(client, settings, english, "zh-CN"))[0]
    assert "道路破损" in news_zh and "处理中" in news_zh, news_zh
