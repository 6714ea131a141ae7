"""GET /me/cases is one timeline: government cases and community reports together, newest first,
paged with one cursor; a proxy sees only what its grant's scopes cover."""

from __future__ import annotations

import httpx
import pytest

from services.accounts.enums import VerificationLevel
from services.accounts.models import User
from tests.api.test_community_reports import report
from tests.api.test_community_support import community_pair, headers_for, resident, wechat_checks
from tests.api.test_gov_support import ONLINE_ITEM, seed
from tests.factories import auth_headers, make_user

__all__ = ["wechat_checks"]


@pytest.fixture
async def seeded(runtime) -> int:
    return await seed(runtime)


async def _verified_resident(community):
    person = await resident(community)
    await User.filter(id=person.id).update(level=VerificationLevel.REAL_NAME)
    person.level = VerificationLevel.REAL_NAME
    return person


async def _cases(client: httpx.AsyncClient, headers: dict, **params) -> dict:
    response = await client.get("/api/v1/me/cases", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_me_cases__applications_and_reports_in_one_timeline(
    client: httpx.AsyncClient, settings, seeded, wechat_checks
) -> None:
    a, _ = await community_pair()
    person = await _verified_resident(a)
    headers = headers_for(person, settings)
    first = await client.post("/api/v1/gov/applications", json={"item_code": ONLINE_ITEM}, headers=headers)
    assert first.status_code == 201, first.text
    filed = await client.post("/api/v1/community/reports", json=report(), headers=headers)
    assert filed.status_code == 201, filed.text
    second = await client.post("/api/v1/gov/applications", json={"item_code": ONLINE_ITEM}, headers=headers)

    listed = await _cases(client, headers, lang="en")
    kinds = [(i["kind"], i["id"]) for i in listed["items"]]
    assert kinds == [
        ("gov_case", second.json()["id"]),
        ("community_report", filed.json()["id"]),
        ("gov_case", first.json()["id"]),
    ]
    report_item = listed["items"][1]
    assert report_item["title"] == "Road damage" or report_item["title"].isascii()
    assert report_item["status_label"].isascii() and report_item["link"].endswith(filed.json()["id"])

    # Paged across domains with one cursor: nothing repeats, nothing is lost.
    seen, cursor = [], None
    while True:
        page = await _cases(client, headers, limit=1, **({"cursor": cursor} if cursor else {}))
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["id"] for i in listed["items"]]


async def test_me_cases__a_proxy_sees_only_what_its_scopes_cover(
    client: httpx.AsyncClient, settings, seeded, wechat_checks
) -> None:
    a, _ = await community_pair()
    mother = await _verified_resident(a)
    son = await make_user()
    invite = await client.post(
        "/api/v1/me/family",
        json={"scopes": ["cases"], "relation": "parent"},
        headers=auth_headers(son, settings),
    )
    code = invite.json()["invitation_code"]
    accepted = await client.post(
        f"/api/v1/family-invitations/{code}/accept", headers=headers_for(mother, settings)
    )
    assert accepted.status_code == 200, accepted.text
    case = await client.post(
        "/api/v1/gov/applications", json={"item_code": ONLINE_ITEM}, headers=headers_for(mother, settings)
    )
    await client.post("/api/v1/community/reports", json=report(), headers=headers_for(mother, settings))

    # Her report is hers alone; her case is covered by the son's "cases" grant.
    as_son = await _cases(client, auth_headers(son, settings))
    assert [(i["kind"], i["id"], i["for_member"]) for i in as_son["items"]] == [
        ("gov_case", case.json()["id"], str(mother.id))
    ]
    acting = await _cases(client, auth_headers(son, settings, **{"X-Acting-For": str(mother.id)}))
    assert [i["kind"] for i in acting["items"]] == ["gov_case"]
    assert {i["kind"] for i in (await _cases(client, headers_for(mother, settings)))["items"]} == {
        "gov_case",
        "community_report",
    }


async def test_me_cases__care_orders_for_a_parent_reach_proxies_with_the_care_scope(
    client: httpx.AsyncClient, settings, seeded
) -> None:
    from services.care.enums import CareServiceKind
    from services.care.models import CareOrder

    mother, carer, clerk = await make_user(), await make_user(), await make_user()
    for proxy, scopes in ((carer, ["care"]), (clerk, ["cases"])):
        invite = await client.post(
            "/api/v1/me/family",
            json={"scopes": scopes, "relation": "parent"},
            headers=auth_headers(proxy, settings),
        )
        code = invite.json()["invitation_code"]
        accepted = await client.post(
            f"/api/v1/family-invitations/{code}/accept", headers=auth_headers(mother, settings)
        )
        assert accepted.status_code == 200, accepted.text
    order = await CareOrder.create(
        user_id=carer.id, subject_id=mother.id, kind=CareServiceKind.MEAL, community_code="xhj"
    )
    for viewer in (mother, carer):
        items = (await _cases(client, auth_headers(viewer, settings), lang="en"))["items"]
        assert [(i["kind"], i["id"], i["title"]) for i in items] == [
            ("care_order", str(order.id), "Meal help")
        ]
    assert (await _cases(client, auth_headers(clerk, settings)))["items"] == []
