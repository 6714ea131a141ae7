"""The public Open311 feed shows only what a stranger may read (issue 11.1): public categories, no
private report, location rounded to ~100 m, the description only after staff approve it (ID and
phone numbers masked), photos only after review and through signed links that expire; an erased
account's reports keep nothing the person wrote or photographed. The reporter and staff keep the detail."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from citizen_api.worker import deliver_outbox_once
from integrations.sandbox.identity import make_id_number
from services.community.models import CommunityFile, Report
from tests.api.test_community_reports import PNG
from tests.api.test_community_support import community_pair, headers_for, resident, staff_of, wechat_checks

__all__ = ["wechat_checks"]

ID_NUMBER = make_id_number(serial="517")
TYPED = f"井盖丢失，我是李四，电话 138 1234 5678，身份证{ID_NUMBER}，座机0391-6612345"
EXACT = (35.095312, 112.586941)


async def _report_with_photo(client: httpx.AsyncClient, settings, reporter, *, category: str = "road_damage"):
    uploaded = await client.post(
        "/api/v1/community/uploads",
        files={"file": ("hole.png", PNG, "image/png")},
        headers=headers_for(reporter, settings),
    )
    assert uploaded.status_code == 201, uploaded.text
    created = await client.post(
        "/api/v1/community/reports",
        json={
            "category": category,
            "description": TYPED,
            "lat": EXACT[0],
            "lng": EXACT[1],
            "photos": [uploaded.json()["id"]],
            "confirm_new": True,
        },
        headers=headers_for(reporter, settings),
    )
    assert created.status_code == 201, created.text
    return created.json()


def _leaks(text: str) -> list[str]:
    return [
        secret
        for secret in ("5678", ID_NUMBER, "6612345", "35.095312", "112.586941", "/api/v1/community/files/")
        if secret in text
    ]


async def test_open311_feed__unreviewed_report_shows_no_text_exact_spot_or_photo(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    reporter = await resident(a)
    report = await _report_with_photo(client, settings, reporter)

    listed = await client.get("/open311/v2/requests.json")
    assert listed.status_code == 200
    assert [r["service_request_id"] for r in listed.json()] == [report["id"]]
    item = listed.json()[0]
    assert item["description"] is None and item["media_url"] is None
    assert (item["lat"], item["long"]) == (35.095, 112.587)
    assert _leaks(listed.text) == []
    assert _leaks((await client.get(f"/open311/v2/requests/{report['id']}.xml")).text) == []

    # The reporter and staff keep the full detail.
    own = await client.get(
        f"/api/v1/community/reports/{report['id']}", headers=headers_for(reporter, settings)
    )
    assert own.json()["description"] == TYPED and own.json()["location"] == {"lat": EXACT[0], "lng": EXACT[1]}
    staff = await staff_of(a)
    seen = await client.get(f"/api/v1/community/reports/{report['id']}", headers=headers_for(staff, settings))
    assert seen.json()["description"] == TYPED and len(seen.json()["photos"]) == 1


async def test_open311_feed__approved_text_is_scrubbed_and_photo_link_is_signed_and_expires(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    reporter, other = await resident(a), await resident(a)
    report = await _report_with_photo(client, settings, reporter)
    staff = await staff_of(a)
    refused = await client.post(
        f"/api/v1/staff/reports/{report['id']}/publication",
        json={"description": True, "photos": True},
        headers=headers_for(other, settings),
    )
    assert refused.status_code == 403
    published = await client.post(
        f"/api/v1/staff/reports/{report['id']}/publication",
        json={"description": True, "photos": True},
        headers=headers_for(staff, settings),
    )
    assert published.status_code == 200, published.text
    assert published.json()["photos_public"] is True

    item = (await client.get(f"/open311/v2/requests/{report['id']}.json")).json()[0]
    assert item["description"].startswith("井盖丢失，我是李四，电话 ***")
    assert _leaks(item["description"]) == [] and "***" in item["description"]
    media = item["media_url"]
    assert media and "/open311/v2/media/" in media and "signature=" in media and "expires=" in media
    assert _leaks(media) == []
    fetched = await client.get(media)
    assert fetched.status_code == 200 and fetched.content == PNG

    tampered = media.replace("signature=", "signature=0")
    assert (await client.get(tampered)).status_code == 403
    base, query = media.split("?", 1)
    params = dict(part.split("=", 1) for part in query.split("&"))
    stale = f"{base}?expires={int(time.time()) - 10}&signature={params['signature']}"
    assert (await client.get(stale)).status_code == 403
    unsigned = await client.get(base)
    assert unsigned.status_code == 403 and unsigned.json()[0]["code"] == 403

    # Staff withdraw the photos: the link that was handed out stops working.
    await client.post(
        f"/api/v1/staff/reports/{report['id']}/publication",
        json={"description": True, "photos": False},
        headers=headers_for(staff, settings),
    )
    assert (await client.get(media)).status_code == 403


async def test_open311_feed__only_public_categories_and_not_private_reports(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    reporter = await resident(a)
    noise = await _report_with_photo(client, settings, reporter, category="noise")
    pothole = await _report_with_photo(client, settings, reporter)
    listed = {r["service_request_id"] for r in (await client.get("/open311/v2/requests.json")).json()}
    assert listed == {pothole["id"]}
    assert (await client.get(f"/open311/v2/requests/{noise['id']}.json")).status_code == 404
    by_id = await client.get("/open311/v2/requests.json", params={"service_request_id": noise["id"]})
    assert by_id.json() == []

    made_private = await client.post(
        f"/api/v1/community/reports/{pothole['id']}/privacy",
        json={"private": True},
        headers=headers_for(reporter, settings),
    )
    assert made_private.status_code == 200 and made_private.json()["private"] is True
    assert (await client.get("/open311/v2/requests.json")).json() == []
    assert (await client.get(f"/open311/v2/requests/{pothole['id']}.json")).status_code == 404
    someone = await resident(a)
    not_theirs = await client.post(
        f"/api/v1/community/reports/{pothole['id']}/privacy",
        json={"private": False},
        headers=headers_for(someone, settings),
    )
    assert not_theirs.status_code == 404

    private_from_start = await client.post(
        "/api/v1/community/reports",
        json={"category": "garbage", "description": "垃圾", "lat": 35.0953, "lng": 112.5869, "private": True},
        headers=headers_for(reporter, settings),
    )
    assert private_from_start.status_code == 201, private_from_start.text
    assert (
        await client.get(f"/open311/v2/requests/{private_from_start.json()['id']}.json")
    ).status_code == 404


async def test_open311_feed__erased_account_reports_lose_text_and_photos(
    client: httpx.AsyncClient, settings, runtime, wechat_checks
) -> None:
    a, _ = await community_pair()
    reporter = await resident(a)
    report = await _report_with_photo(client, settings, reporter)
    staff = await staff_of(a)
    await client.post(
        f"/api/v1/staff/reports/{report['id']}/publication",
        json={"description": True, "photos": True},
        headers=headers_for(staff, settings),
    )
    media = (await client.get(f"/open311/v2/requests/{report['id']}.json")).json()[0]["media_url"]
    stored = await CommunityFile.get(owner_id=reporter.id)
    path = Path(settings.upload_dir) / stored.key
    assert path.exists()

    assert (await client.delete("/api/v1/me", headers=headers_for(reporter, settings))).status_code == 204
    await deliver_outbox_once(runtime)

    item = (await client.get(f"/open311/v2/requests/{report['id']}.json")).json()[0]
    assert item["description"] is None and item["media_url"] is None
    assert (await client.get(media)).status_code == 403
    row = await Report.get(id=report["id"])
    assert row.description == "" and row.photos == [] and row.reporter_id is None
    assert not await CommunityFile.exists(owner_id=reporter.id)
    assert not path.exists()
