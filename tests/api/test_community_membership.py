"""Communities (nearest first) and membership: joining, staff verification, scope, masking."""

from __future__ import annotations

import httpx

from services.common.seeding import SeedContext
from services.community import seed
from services.community.models import Community, Membership
from tests.api.test_community_support import community_pair, headers_for, resident, staff_of


async def test_communities__seeded_list_nearest_first(client: httpx.AsyncClient, runtime) -> None:
    written = await seed.seed_demo(SeedContext(cipher=runtime.cipher))
    assert written == await seed.seed_demo(SeedContext(cipher=runtime.cipher))  # idempotent
    total = await Community.all().count()
    assert total >= 20
    # 王屋村's centre: the nearest is itself, then the next village over.
    near = await client.get("/api/v1/communities", params={"near": "35.1188,112.2822", "limit": 3})
    assert near.status_code == 200
    items = near.json()["items"]
    assert items[0]["name"] == "王屋村" and items[0]["distance_m"] == 0
    assert [i["distance_m"] for i in items] == sorted(i["distance_m"] for i in items)
    assert near.json()["next_cursor"]
    rest = await client.get(
        "/api/v1/communities",
        params={"near": "35.1188,112.2822", "limit": 100, "cursor": near.json()["next_cursor"]},
    )
    assert len(rest.json()["items"]) == total - 3
    english = await client.get(f"/api/v1/communities/{items[0]['id']}", headers={"Accept-Language": "en"})
    assert english.json()["name"] == "Wangwu Village" and english.json()["region"]["name"] == "Wangwu Town"
    plain = await client.get("/api/v1/communities", params={"region": "qinyuan"})
    assert {i["region"]["code"] for i in plain.json()["items"]} == {"qinyuan"}
    assert all(i["distance_m"] is None for i in plain.json()["items"])
    assert (await client.get("/api/v1/communities", params={"near": "north"})).status_code == 422
    assert (await client.get("/api/v1/communities/nope")).status_code == 404

    # Demo notices: pinned first, members-only ones hidden from the public, searchable.
    xuanhua = await Community.get(code="qinyuan-xuanhua")
    notices = (await client.get(f"/api/v1/communities/{xuanhua.id}/notices")).json()["items"]
    assert notices[0]["pinned"] and notices[0]["category"] == "utility_outage"
    assert all(n["visibility"] == "public" for n in notices) and len(notices) == 3
    found = await client.get("/api/v1/search", params={"q": "停水", "kinds": "notice"})
    assert found.json()["items"]


async def test_membership__join_pending_until_staff_verify(client: httpx.AsyncClient, settings) -> None:
    a, b = await community_pair()
    staff_a, staff_b = await staff_of(a), await staff_of(b)
    person = await resident()
    me = headers_for(person, settings)
    assert (await client.get("/api/v1/me/community", headers=me)).status_code == 404
    joined = await client.post(
        "/api/v1/me/community",
        json={"community_id": str(a.id), "address": "宣化街社区12号楼3单元401"},
        headers=me,
    )
    assert joined.status_code == 200
    assert joined.json()["status"] == "pending"
    membership_id = joined.json()["id"]

    pending = await client.get(
        f"/api/v1/staff/communities/{a.id}/members",
        params={"status": "pending"},
        headers=headers_for(staff_a, settings),
    )
    assert [m["id"] for m in pending.json()["items"]] == [membership_id]
    assert pending.json()["items"][0]["address"].endswith("****")
    assert "401" not in pending.text
    stored = await Membership.get(id=membership_id)
    assert "401" not in (stored.address_enc or "")

    other = await client.post(
        f"/api/v1/staff/memberships/{membership_id}/verify",
        json={"approve": True},
        headers=headers_for(staff_b, settings),
    )
    assert other.status_code == 404
    assert (
        await client.get(f"/api/v1/staff/communities/{a.id}/members", headers=headers_for(staff_b, settings))
    ).status_code == 403
    verified = await client.post(
        f"/api/v1/staff/memberships/{membership_id}/verify",
        json={"approve": True},
        headers=headers_for(staff_a, settings),
    )
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert (await client.get("/api/v1/me/community", headers=me)).json()["status"] == "verified"

    # Joining the same community again keeps the verification; moving starts over.
    again = await client.post("/api/v1/me/community", json={"community_id": str(a.id)}, headers=me)
    assert again.json()["status"] == "verified"
    moved = await client.post("/api/v1/me/community", json={"community_id": str(b.id)}, headers=me)
    assert moved.json()["status"] == "pending" and moved.json()["community_id"] == str(b.id)
    assert await Membership.filter(user_id=person.id).count() == 1


async def test_membership__auto_verify_policy(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    a.auto_verify_members = True
    await a.save()
    person = await resident()
    joined = await client.post(
        "/api/v1/me/community", json={"community_id": str(a.id)}, headers=headers_for(person, settings)
    )
    assert joined.json()["status"] == "verified"
    assert (await client.post("/api/v1/me/community", json={"community_id": str(a.id)})).status_code == 401
    unknown = await client.post(
        "/api/v1/me/community",
        json={"community_id": "0190aaaa-0000-7000-8000-000000000000"},
        headers=headers_for(person, settings),
    )
    assert unknown.status_code == 404


async def test_privacy__export_and_erase_community_data(client: httpx.AsyncClient, settings) -> None:
    from services.community.models import Report

    a, _ = await community_pair()
    person = await resident()
    me = headers_for(person, settings)
    await client.post(
        "/api/v1/me/community", json={"community_id": str(a.id), "address": "宣化街12号401"}, headers=me
    )
    created = await client.post(
        "/api/v1/community/reports",
        json={
            "category": "garbage",
            "description": "垃圾没人清运",
            "address": "宣化街社区12号楼",
            "contact_phone": "13812345678",
        },
        headers=me,
    )
    assert created.status_code == 201, created.text
    exported = await client.get("/api/v1/me/export", headers=me)
    assert exported.status_code == 200
    community = (
        exported.json()["domains"]["community"]
        if "domains" in exported.json()
        else exported.json()["community"]
    )
    assert community["membership"]["address"] == "宣化街12号401"
    assert community["reports"][0]["contact_phone"] == "13812345678"

    deleted = await client.delete("/api/v1/me", headers=me)
    assert deleted.status_code in (200, 204), deleted.text
    assert await Membership.filter(user_id=person.id).count() == 0
    report = await Report.get(id=created.json()["id"])
    assert report.reporter_id is None and report.contact_phone_enc is None and report.address_enc is None
    # The problem is still there for staff to fix (category, place, status), but not the person's words.
    assert report.description == "" and report.category.value == "garbage" and report.status.value == "open"
