"""随手拍 reports: placement, duplicate suggestion and "me too", staff status changes with notes and
notifications, the "was it fixed?" question reopening a report, scope between communities, masking."""

from __future__ import annotations

import httpx

from citizen_api.worker import deliver_outbox_once
from services.community.models import Report
from tests.api.test_community_support import (
    RISKY_WORD,
    community_pair,
    headers_for,
    resident,
    staff_of,
    wechat_checks,
)

__all__ = ["wechat_checks"]

# ~50 m and ~400 m from community A's centre.
NEAR = (35.0956, 112.5869)
FAR = (35.0988, 112.5868)


def report(lat_lng=NEAR, **extra) -> dict:
    return {
        "category": "road_damage",
        "description": "路面有一个大坑，电动车容易摔倒",
        "lat": lat_lng[0],
        "lng": lat_lng[1],
        **extra,
    }


async def _inbox(client: httpx.AsyncClient, user, settings) -> list[dict]:
    response = await client.get("/api/v1/me/inbox", headers=headers_for(user, settings))
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_report__duplicate_offered_then_me_too(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    first, second = await resident(a), await resident(a)
    created = await client.post(
        "/api/v1/community/reports",
        json=report(address="济源市宣化街12号", contact_phone="13812345678"),
        headers=headers_for(first, settings),
    )
    assert created.status_code == 201, created.text
    original = created.json()
    assert original["community_id"] == str(a.id)
    assert original["status"] == "open"
    assert original["contact_phone"] == "138****5678"

    similar = await client.get(
        "/api/v1/community/reports/similar",
        params={"category": "road_damage", "lat": NEAR[0] + 0.0005, "lng": NEAR[1]},
        headers=headers_for(second, settings),
    )
    assert [c["id"] for c in similar.json()["items"]] == [original["id"]]
    assert "13812345678" not in similar.text and "宣化街12号" not in similar.text

    again = await client.post(
        "/api/v1/community/reports",
        json=report(lat_lng=(NEAR[0] + 0.0005, NEAR[1])),
        headers=headers_for(second, settings),
    )
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "community.report_possible_duplicate"
    assert [c["id"] for c in error["details"]["candidates"]] == [original["id"]]
    assert error["details"]["candidates"][0]["distance_m"] < 200

    joined = await client.post(
        f"/api/v1/community/reports/{original['id']}/me-too", headers=headers_for(second, settings)
    )
    assert joined.status_code == 200
    assert joined.json()["me_too_count"] == 1
    assert joined.json()["my_role"] == "follower"
    assert joined.json()["contact_phone"] is None  # a follower never sees the reporter's contact
    assert joined.json()["address"] != "济源市宣化街12号"
    twice = await client.post(
        f"/api/v1/community/reports/{original['id']}/me-too", headers=headers_for(second, settings)
    )
    assert twice.json()["me_too_count"] == 1
    own = await client.post(
        f"/api/v1/community/reports/{original['id']}/me-too", headers=headers_for(first, settings)
    )
    assert own.status_code == 409
    mine = await client.get("/api/v1/community/reports", headers=headers_for(second, settings))
    assert [r["id"] for r in mine.json()["items"]] == [original["id"]]
    own = await client.get("/api/v1/community/reports", headers=headers_for(first, settings))
    assert [r["id"] for r in own.json()["items"]] == [original["id"]]
    assert own.json()["items"][0]["my_role"] == "reporter"

    # Another category, or farther than 200 m, is not a duplicate; confirm_new submits anyway.
    other = await client.post(
        "/api/v1/community/reports",
        json=report(category="streetlight"),
        headers=headers_for(second, settings),
    )
    assert other.status_code == 201
    far = await client.post(
        "/api/v1/community/reports", json=report(lat_lng=FAR), headers=headers_for(second, settings)
    )
    assert far.status_code == 201
    confirmed = await client.post(
        "/api/v1/community/reports", json=report(confirm_new=True), headers=headers_for(second, settings)
    )
    assert confirmed.status_code == 201


async def test_report__status_changes_notify_and_reopen_when_not_fixed(
    client: httpx.AsyncClient, settings, runtime, wechat_checks
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    reporter, follower = await resident(a), await resident(a)
    created = await client.post(
        "/api/v1/community/reports", json=report(), headers=headers_for(reporter, settings)
    )
    report_id = created.json()["id"]
    await client.post(
        f"/api/v1/community/reports/{report_id}/me-too", headers=headers_for(follower, settings)
    )
    h = headers_for(staff, settings)

    early = await client.post(
        f"/api/v1/community/reports/{report_id}/feedback",
        json={"fixed": True},
        headers=headers_for(reporter, settings),
    )
    assert early.status_code == 409

    moved = await client.post(
        f"/api/v1/staff/reports/{report_id}/status",
        json={"status": "in_progress", "note": "已派人查看"},
        headers=h,
    )
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    resolved = await client.post(
        f"/api/v1/staff/reports/{report_id}/status", json={"status": "resolved", "note": "已修补"}, headers=h
    )
    assert resolved.json()["status"] == "resolved"
    illegal = await client.post(
        f"/api/v1/staff/reports/{report_id}/status", json={"status": "in_progress"}, headers=h
    )
    assert illegal.status_code == 409

    await deliver_outbox_once(runtime)
    kinds = [m["kind"] for m in await _inbox(client, reporter, settings)]
    assert kinds == ["community.notify.report_resolved", "community.notify.report_status"]
    follower_inbox = await _inbox(client, follower, settings)
    assert [m["kind"] for m in follower_inbox] == ["community.notify.report_status"] * 2
    assert "道路破损" in follower_inbox[0]["text"]

    detail = await client.get(
        f"/api/v1/community/reports/{report_id}", headers=headers_for(reporter, settings)
    )
    assert detail.json()["awaiting_feedback"] is True
    not_fixed = await client.post(
        f"/api/v1/community/reports/{report_id}/feedback",
        json={"fixed": False, "note": "坑还在"},
        headers=headers_for(reporter, settings),
    )
    assert not_fixed.status_code == 200
    body = not_fixed.json()
    assert body["status"] == "open" and body["reopen_count"] == 1 and body["fixed_confirmed"] is False
    assert [h["to_status"] for h in body["history"]] == ["open", "in_progress", "resolved", "open"]
    await deliver_outbox_once(runtime)
    assert (await _inbox(client, follower, settings))[0]["kind"] == "community.notify.report_reopened"

    await client.post(f"/api/v1/staff/reports/{report_id}/status", json={"status": "resolved"}, headers=h)
    fixed = await client.post(
        f"/api/v1/community/reports/{report_id}/feedback",
        json={"fixed": True},
        headers=headers_for(reporter, settings),
    )
    assert fixed.json()["status"] == "closed"
    follower_feedback = await client.post(
        f"/api/v1/community/reports/{report_id}/feedback",
        json={"fixed": False},
        headers=headers_for(follower, settings),
    )
    assert follower_feedback.status_code == 404


async def test_report__staff_of_a_cannot_touch_b(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, b = await community_pair()
    staff_a = await staff_of(a)
    reporter = await resident(b)
    created = await client.post(
        "/api/v1/community/reports",
        json=report(community_id=str(b.id)),
        headers=headers_for(reporter, settings),
    )
    report_id = created.json()["id"]
    assert created.json()["community_id"] == str(b.id)
    h = headers_for(staff_a, settings)
    assert (await client.get(f"/api/v1/community/reports/{report_id}", headers=h)).status_code == 404
    change = await client.post(
        f"/api/v1/staff/reports/{report_id}/status", json={"status": "closed"}, headers=h
    )
    assert change.status_code == 404
    assert (await client.get(f"/api/v1/staff/communities/{b.id}/reports", headers=h)).status_code == 403
    own = await client.get(f"/api/v1/staff/communities/{a.id}/reports", headers=h)
    assert own.status_code == 200 and own.json()["items"] == []
    # Another resident cannot read it either.
    stranger = await resident(a)
    assert (
        await client.get(f"/api/v1/community/reports/{report_id}", headers=headers_for(stranger, settings))
    ).status_code == 404
    assert (await Report.get(id=report_id)).status.value == "open"


async def test_report__duplicate_of_links_and_moves_followers(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, b = await community_pair()
    staff = await staff_of(a)
    r1, r2 = await resident(a), await resident(a)
    first = (
        await client.post("/api/v1/community/reports", json=report(), headers=headers_for(r1, settings))
    ).json()
    second = (
        await client.post(
            "/api/v1/community/reports", json=report(confirm_new=True), headers=headers_for(r2, settings)
        )
    ).json()
    h = headers_for(staff, settings)
    bad = await client.post(
        f"/api/v1/staff/reports/{second['id']}/status",
        json={"status": "duplicate", "duplicate_of": second["id"]},
        headers=h,
    )
    assert bad.status_code == 422
    marked = await client.post(
        f"/api/v1/staff/reports/{second['id']}/status",
        json={"status": "duplicate", "duplicate_of": first["id"], "note": "同一个坑"},
        headers=h,
    )
    assert marked.status_code == 200
    assert marked.json()["duplicate_of"] == first["id"]
    original = await client.get(f"/api/v1/community/reports/{first['id']}", headers=headers_for(r2, settings))
    assert original.status_code == 200 and original.json()["my_role"] == "follower"


async def test_report__staff_see_full_address_others_masked(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    reporter = await resident(a)
    address = "河南省济源市沁园街道宣化街社区12号楼3单元"
    created = await client.post(
        "/api/v1/community/reports",
        json={"category": "garbage", "description": "楼下垃圾没人清运", "address": address},
        headers=headers_for(reporter, settings),
    )
    assert created.status_code == 201, created.text
    assert created.json()["community_id"] == str(a.id)  # placed by the community name in the address
    listing = await client.get(
        f"/api/v1/staff/communities/{a.id}/reports", headers=headers_for(staff, settings)
    )
    assert listing.json()["items"][0]["address"] == address
    stored = await Report.get(id=created.json()["id"])
    assert address not in (stored.address_enc or "")


async def test_report__risky_description_refused_and_location_required(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    reporter = await resident(a)
    risky = await client.post(
        "/api/v1/community/reports",
        json=report(description=f"这里有人{RISKY_WORD}"),
        headers=headers_for(reporter, settings),
    )
    assert risky.status_code == 422 and risky.json()["error"]["code"] == "community.content_risky"
    nowhere = await client.post(
        "/api/v1/community/reports",
        json={"category": "noise", "description": "夜间施工"},
        headers=headers_for(reporter, settings),
    )
    assert nowhere.status_code == 422
    assert nowhere.json()["error"]["code"] == "community.report_location_required"
    anonymous = await client.post("/api/v1/community/reports", json=report())
    assert anonymous.status_code == 401


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def test_report__photos_are_own_uploads(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, _ = await community_pair()
    reporter, other = await resident(a), await resident(a)
    uploaded = await client.post(
        "/api/v1/community/uploads",
        files={"file": ("hole.png", PNG, "image/png")},
        headers=headers_for(reporter, settings),
    )
    assert uploaded.status_code == 201, uploaded.text
    photo = uploaded.json()
    assert photo["content_type"] == "image/png"
    not_image = await client.post(
        "/api/v1/community/uploads",
        files={"file": ("x.png", PDF, "image/png")},
        headers=headers_for(reporter, settings),
    )
    assert not_image.status_code == 422
    stolen = await client.post(
        "/api/v1/community/reports", json=report(photos=[photo["id"]]), headers=headers_for(other, settings)
    )
    assert stolen.status_code == 422 and stolen.json()["error"]["code"] == "community.bad_file"
    created = await client.post(
        "/api/v1/community/reports",
        json=report(photos=[photo["id"]]),
        headers=headers_for(reporter, settings),
    )
    assert created.status_code == 201
    # The same file, each link signed afresh (?t= expires).
    assert [u.split("?")[0] for u in created.json()["photos"]] == [photo["url"].split("?")[0]]
    fetched = await client.get(photo["url"])
    assert fetched.status_code == 200 and fetched.content == PNG
    assert fetched.headers["content-type"] == "image/png"
    # Not on the public feed before staff review it, and never by its file address.
    open311 = await client.get(f"/open311/v2/requests/{created.json()['id']}.json")
    assert open311.json()[0]["media_url"] is None and photo["url"].split("?")[0] not in open311.text


async def test_report__rate_limited_per_person(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, _ = await community_pair()
    reporter = await resident(a)
    statuses = []
    for index in range(21):
        response = await client.post(
            "/api/v1/community/reports",
            json=report(lat_lng=(35.0 + index * 0.01, 112.5868), confirm_new=True),
            headers=headers_for(reporter, settings),
        )
        statuses.append(response.status_code)
    assert statuses[:20] == [201] * 20
    assert statuses[20] == 429


async def test_report__idempotency_key_files_once(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, _ = await community_pair()
    reporter = await resident(a)
    headers = {**headers_for(reporter, settings), "Idempotency-Key": "report-1"}
    first = await client.post("/api/v1/community/reports", json=report(), headers=headers)
    again = await client.post("/api/v1/community/reports", json=report(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert await Report.filter(reporter_id=reporter.id).count() == 1
    other = await client.post("/api/v1/community/reports", json=report(category="garbage"), headers=headers)
    assert other.status_code == 422
