"""Notices: staff scope, content security (risky refused, review held), scheduling, visibility,
pinned ordering and read receipts — through HTTP against the real server."""

from __future__ import annotations

import datetime as dt

import httpx

from citizen_api.worker import deliver_outbox_once
from services.common import clock
from services.common.models import OutboxMessage
from services.community.enums import MembershipStatus
from services.community.jobs import announce_scheduled
from services.community.models import Notice
from tests.api.test_community_support import (
    REVIEW_WORD,
    RISKY_WORD,
    community_pair,
    headers_for,
    resident,
    staff_of,
    wechat_checks,
)

__all__ = ["wechat_checks"]  # the fixture is used by name below


def notice(**extra) -> dict:
    return {
        "title": "停水通知",
        "body": "明日8:00-12:00 检修管道，暂停供水。",
        "category": "utility_outage",
        **extra,
    }


async def test_notice__staff_of_a_cannot_touch_b(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, b = await community_pair()
    staff_a, staff_b = await staff_of(a), await staff_of(b)
    posted = await client.post(
        f"/api/v1/staff/communities/{b.id}/notices", json=notice(), headers=headers_for(staff_a, settings)
    )
    assert posted.status_code == 403
    assert posted.json()["error"]["code"] == "community.staff_only"

    of_b = await client.post(
        f"/api/v1/staff/communities/{b.id}/notices", json=notice(), headers=headers_for(staff_b, settings)
    )
    assert of_b.status_code == 201
    notice_id = of_b.json()["id"]
    h = headers_for(staff_a, settings)
    for response in (
        await client.patch(f"/api/v1/staff/notices/{notice_id}", json={"pinned": True}, headers=h),
        await client.delete(f"/api/v1/staff/notices/{notice_id}", headers=h),
        await client.get(f"/api/v1/staff/notices/{notice_id}/reads", headers=h),
        await client.post(f"/api/v1/staff/notices/{notice_id}/review", json={"approve": True}, headers=h),
    ):
        assert response.status_code == 404, response.text
    listing = await client.get(f"/api/v1/staff/communities/{b.id}/notices", headers=h)
    assert listing.status_code == 403
    # A resident without the role is refused at the door.
    plain = await resident(a)
    denied = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices", json=notice(), headers=headers_for(plain, settings)
    )
    assert denied.status_code == 403
    still = await client.get(f"/api/v1/notices/{notice_id}")
    assert still.status_code == 200 and still.json()["status"] == "published"


async def test_notice__risky_text_refused_with_reason(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    response = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(body=f"欢迎参加{RISKY_WORD}活动"),
        headers={**headers_for(staff, settings), "Accept-Language": "en"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "community.content_risky"
    assert error["details"]["label"] == 20006
    assert "illegal activity" in error["message"]
    listing = await client.get(
        f"/api/v1/staff/communities/{a.id}/notices", headers=headers_for(staff, settings)
    )
    assert listing.json()["items"] == []


async def test_notice__review_held_until_second_staff_approves(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    author, second = await staff_of(a), await staff_of(a)
    held = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(title=f"{REVIEW_WORD}的通知"),
        headers=headers_for(author, settings),
    )
    assert held.status_code == 201
    assert held.json()["status"] == "review"
    notice_id = held.json()["id"]
    assert (await client.get(f"/api/v1/communities/{a.id}/notices")).json()["items"] == []
    assert (await client.get(f"/api/v1/notices/{notice_id}")).status_code == 404

    self_review = await client.post(
        f"/api/v1/staff/notices/{notice_id}/review",
        json={"approve": True},
        headers=headers_for(author, settings),
    )
    assert self_review.status_code == 403
    assert self_review.json()["error"]["code"] == "community.review_second_staff"

    approved = await client.post(
        f"/api/v1/staff/notices/{notice_id}/review",
        json={"approve": True},
        headers=headers_for(second, settings),
    )
    assert approved.status_code == 200 and approved.json()["status"] == "published"
    items = (await client.get(f"/api/v1/communities/{a.id}/notices")).json()["items"]
    assert [n["id"] for n in items] == [notice_id]
    again = await client.post(
        f"/api/v1/staff/notices/{notice_id}/review",
        json={"approve": False},
        headers=headers_for(second, settings),
    )
    assert again.status_code == 409


async def test_notice__members_only_hidden_from_others(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, b = await community_pair()
    staff = await staff_of(a)
    member = await resident(a)
    pending = await resident(a, status=MembershipStatus.PENDING)
    outsider = await resident(b)
    created = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(visibility="members", category="policy", title="居民议事会纪要"),
        headers=headers_for(staff, settings),
    )
    notice_id = created.json()["id"]
    public = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices", json=notice(), headers=headers_for(staff, settings)
    )
    public_id = public.json()["id"]

    def ids(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [n["id"] for n in response.json()["items"]]

    path = f"/api/v1/communities/{a.id}/notices"
    assert ids(await client.get(path)) == [public_id]
    assert ids(await client.get(path, headers=headers_for(outsider, settings))) == [public_id]
    assert ids(await client.get(path, headers=headers_for(pending, settings))) == [public_id]
    assert set(ids(await client.get(path, headers=headers_for(member, settings)))) == {public_id, notice_id}
    for who in (None, outsider, pending):
        headers = headers_for(who, settings) if who else {}
        assert (await client.get(f"/api/v1/notices/{notice_id}", headers=headers)).status_code == 404
    seen = await client.get(f"/api/v1/notices/{notice_id}", headers=headers_for(member, settings))
    assert seen.status_code == 200
    assert seen.json()["category_label"] == "政策"


async def test_notice__scheduling_window(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    now = clock.now()
    later = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(title="下周活动", publish_at=(now + dt.timedelta(hours=2)).isoformat()),
        headers=headers_for(staff, settings),
    )
    assert later.status_code == 201 and later.json()["status"] == "published"
    expired = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(
            title="已过期",
            publish_at=(now - dt.timedelta(days=2)).isoformat(),
            expire_at=(now - dt.timedelta(days=1)).isoformat(),
        ),
        headers=headers_for(staff, settings),
    )
    assert expired.status_code == 201
    current = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(title="正在生效", expire_at=(now + dt.timedelta(days=1)).isoformat()),
        headers=headers_for(staff, settings),
    )
    listing = (await client.get(f"/api/v1/communities/{a.id}/notices")).json()["items"]
    assert [n["id"] for n in listing] == [current.json()["id"]]
    assert (await client.get(f"/api/v1/notices/{later.json()['id']}")).status_code == 404
    assert (await client.get(f"/api/v1/notices/{expired.json()['id']}")).status_code == 404
    # Staff still see all three in their own list.
    staff_list = await client.get(
        f"/api/v1/staff/communities/{a.id}/notices", headers=headers_for(staff, settings)
    )
    assert len(staff_list.json()["items"]) == 3
    # Rescheduling to now makes it visible.
    moved = await client.patch(
        f"/api/v1/staff/notices/{later.json()['id']}",
        json={"publish_at": (now - dt.timedelta(minutes=1)).isoformat()},
        headers=headers_for(staff, settings),
    )
    assert moved.status_code == 200
    listing = (await client.get(f"/api/v1/communities/{a.id}/notices")).json()["items"]
    assert {n["id"] for n in listing} == {current.json()["id"], later.json()["id"]}
    bad = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(publish_at=now.isoformat(), expire_at=(now - dt.timedelta(hours=1)).isoformat()),
        headers=headers_for(staff, settings),
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "community.notice_bad_schedule"


async def test_notice__pinned_first_then_newest_and_withdraw(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    h = headers_for(staff, settings)
    now = clock.now()
    ids = []
    for hours in (3, 2, 1):
        created = await client.post(
            f"/api/v1/staff/communities/{a.id}/notices",
            json=notice(title=f"通知{hours}", publish_at=(now - dt.timedelta(hours=hours)).isoformat()),
            headers=h,
        )
        ids.append(created.json()["id"])
    oldest, middle, newest = ids
    await client.patch(f"/api/v1/staff/notices/{oldest}", json={"pinned": True}, headers=h)
    first = await client.get(f"/api/v1/communities/{a.id}/notices", params={"limit": 2})
    second = await client.get(
        f"/api/v1/communities/{a.id}/notices", params={"limit": 2, "cursor": first.json()["next_cursor"]}
    )
    order = [n["id"] for n in first.json()["items"]] + [n["id"] for n in second.json()["items"]]
    assert order == [oldest, newest, middle]
    assert second.json()["next_cursor"] is None
    withdrawn = await client.delete(f"/api/v1/staff/notices/{newest}", headers=h)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    order = [n["id"] for n in (await client.get(f"/api/v1/communities/{a.id}/notices")).json()["items"]]
    assert order == [oldest, middle]
    assert (await client.delete(f"/api/v1/staff/notices/{newest}", headers=h)).status_code == 409


async def test_notice__read_receipts(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, b = await community_pair()
    staff = await staff_of(a)
    m1, m2 = await resident(a), await resident(a)
    outsider = await resident(b)
    created = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices", json=notice(), headers=headers_for(staff, settings)
    )
    notice_id = created.json()["id"]
    for reader in (m1, m1, outsider):
        assert (
            await client.get(f"/api/v1/notices/{notice_id}", headers=headers_for(reader, settings))
        ).status_code == 200
    assert (await client.get(f"/api/v1/notices/{notice_id}")).status_code == 200  # anonymous: no receipt
    reads = await client.get(f"/api/v1/staff/notices/{notice_id}/reads", headers=headers_for(staff, settings))
    assert reads.status_code == 200
    body = reads.json()
    assert body["read_count"] == 1
    assert body["member_count"] == 2
    assert [r["user_id"] for r in body["items"]] == [str(m1.id)]
    await client.get(f"/api/v1/notices/{notice_id}", headers=headers_for(m2, settings))
    body = (
        await client.get(f"/api/v1/staff/notices/{notice_id}/reads", headers=headers_for(staff, settings))
    ).json()
    assert body["read_count"] == 2


async def test_notice__urgent_notice_pushed_to_members_once(
    client: httpx.AsyncClient, settings, runtime, wechat_checks
) -> None:
    a, b = await community_pair()
    staff = await staff_of(a)
    member = await resident(a)
    outsider = await resident(b)
    created = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(urgent=True),
        headers=headers_for(staff, settings),
    )
    assert created.status_code == 201
    await client.patch(
        f"/api/v1/staff/notices/{created.json()['id']}",
        json={"body": "改为14:00恢复供水"},
        headers=headers_for(staff, settings),
    )
    queued = await OutboxMessage.filter(topic="community.urgent_notice").values_list("payload", flat=True)
    assert queued == [{"notice_id": created.json()["id"]}]
    # A scheduled urgent notice is queued only when its time comes (periodic job).
    future = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(urgent=True, publish_at=(clock.now() + dt.timedelta(hours=1)).isoformat()),
        headers=headers_for(staff, settings),
    )
    assert future.status_code == 201
    assert await OutboxMessage.filter(topic="community.urgent_notice").count() == 1

    # Members find it in their inbox once the worker has delivered the outbox.
    await deliver_outbox_once(runtime)
    inbox = await client.get("/api/v1/me/inbox", headers=headers_for(member, settings))
    assert [m["kind"] for m in inbox.json()["items"]] == ["community.notify.urgent_notice"]
    assert "停水通知" in inbox.json()["items"][0]["text"]
    outsider_inbox = await client.get("/api/v1/me/inbox", headers=headers_for(outsider, settings))
    assert outsider_inbox.json()["items"] == []

    # When the scheduled one's time comes, the periodic job queues it (once).
    await Notice.filter(id=future.json()["id"]).update(publish_at=clock.now() - dt.timedelta(seconds=1))
    assert await announce_scheduled(runtime) == 1
    assert await announce_scheduled(runtime) == 0
    assert await OutboxMessage.filter(topic="community.urgent_notice").count() == 2


async def test_notice__unknown_ids_and_bad_input(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    assert (await client.get("/api/v1/notices/not-a-uuid")).status_code == 404
    assert (await client.get("/api/v1/communities/not-a-uuid/notices")).status_code == 404
    bad = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(category="gossip", extra_field=1),
        headers=headers_for(staff, settings),
    )
    assert bad.status_code == 422
    naive = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(publish_at="2026-12-01T08:00:00"),
        headers=headers_for(staff, settings),
    )
    assert naive.status_code == 422
    cursor = await client.get(f"/api/v1/communities/{a.id}/notices", params={"cursor": "garbage!!"})
    assert cursor.status_code == 422


async def test_notice__pdf_attachment(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    as_photo = await client.post(
        "/api/v1/community/uploads",
        files={"file": ("a.pdf", pdf, "application/pdf")},
        headers=headers_for(staff, settings),
    )
    assert as_photo.status_code == 422
    uploaded = await client.post(
        "/api/v1/community/uploads",
        params={"kind": "attachment"},
        files={"file": ("停水范围.pdf", pdf, "application/pdf")},
        headers=headers_for(staff, settings),
    )
    assert uploaded.status_code == 201, uploaded.text
    created = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(attachments=[{"file_id": uploaded.json()["id"], "name": "停水范围"}]),
        headers=headers_for(staff, settings),
    )
    assert created.status_code == 201, created.text
    attachment = created.json()["attachments"][0]
    assert attachment["name"] == "停水范围" and attachment["content_type"] == "application/pdf"
    public = await client.get(f"/api/v1/notices/{created.json()['id']}")
    fetched = await client.get(public.json()["attachments"][0]["url"])
    assert fetched.status_code == 200 and fetched.content == pdf


async def test_notice__public_ones_are_searchable_while_visible(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    h = headers_for(staff, settings)
    public = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices", json=notice(title="宣化街燃气管道检修"), headers=h
    )
    hidden = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(title="宣化街居民议事会", visibility="members"),
        headers=h,
    )

    async def found() -> set[str]:
        response = await client.get("/api/v1/search", params={"q": "宣化街", "kinds": "notice"})
        assert response.status_code == 200, response.text
        return {item["url"].rsplit("/", 1)[-1] for item in response.json()["items"]}

    assert await found() == {public.json()["id"]}
    assert hidden.json()["id"] not in await found()
    await client.delete(f"/api/v1/staff/notices/{public.json()['id']}", headers=h)
    assert await found() == set()


async def test_notice__through_the_mounted_wechat_sandbox(client: httpx.AsyncClient, settings) -> None:
    """No double: the app's own WeChat adapter against the sandbox mounted at /sandbox/wechat."""
    a, _ = await community_pair()
    staff = await staff_of(a)
    h = headers_for(staff, settings)
    risky = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices", json=notice(body="含有违禁词的内容"), headers=h
    )
    assert risky.status_code == 422 and risky.json()["error"]["details"]["label"] == 20006
    held = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices", json=notice(body="待审核的内容"), headers=h
    )
    assert held.status_code == 201 and held.json()["status"] == "review"
    clean = await client.post(f"/api/v1/staff/communities/{a.id}/notices", json=notice(), headers=h)
    assert clean.status_code == 201 and clean.json()["status"] == "published"


async def test_notice__rejected_then_rewritten_goes_back_to_review(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    author, second = await staff_of(a), await staff_of(a)
    held = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(body=f"{REVIEW_WORD}的内容"),
        headers=headers_for(author, settings),
    )
    notice_id = held.json()["id"]
    rejected = await client.post(
        f"/api/v1/staff/notices/{notice_id}/review",
        json={"approve": False},
        headers=headers_for(second, settings),
    )
    assert rejected.json()["status"] == "rejected"
    rewritten = await client.patch(
        f"/api/v1/staff/notices/{notice_id}",
        json={"body": "改写后的内容"},
        headers=headers_for(author, settings),
    )
    assert rewritten.status_code == 200 and rewritten.json()["status"] == "review"
    assert (await client.get(f"/api/v1/notices/{notice_id}")).status_code == 404
    approved = await client.post(
        f"/api/v1/staff/notices/{notice_id}/review",
        json={"approve": True},
        headers=headers_for(second, settings),
    )
    assert approved.json()["status"] == "published"
    assert (await client.get(f"/api/v1/notices/{notice_id}")).status_code == 200


async def test_notice__urgent_push_goes_to_wechat_for_members_with_a_consent(
    client: httpx.AsyncClient, settings, runtime
) -> None:
    template = "TPL_COMMUNITY_URGENT"
    saved = runtime.settings.wechat_templates
    runtime.settings.wechat_templates = {"community.notify.urgent_notice": template}
    async with httpx.AsyncClient(base_url=settings.sandbox_url("wechat")) as wechat:
        await wechat.post("/__control/reset")
        try:
            a, _ = await community_pair()
            staff = await staff_of(a)
            consenting, silent = await resident(a), await resident(a)
            consent = await client.post(
                "/api/v1/me/subscriptions",
                json={"template_ids": [template]},
                headers=headers_for(consenting, settings),
            )
            assert consent.status_code in (200, 201), consent.text
            # ... and WeChat holds the same consent (the user tapped "allow" in the mini-program).
            await wechat.post(
                "/__control/consents", json={"openid": consenting.openid, "template_id": template, "count": 1}
            )
            posted = await client.post(
                f"/api/v1/staff/communities/{a.id}/notices",
                json=notice(urgent=True),
                headers=headers_for(staff, settings),
            )
            assert posted.status_code == 201
            await deliver_outbox_once(
                runtime
            )  # community fan-out -> inbox (+ a subscribe send where consented)
            await deliver_outbox_once(runtime)  # the subscribe send itself
            sent = (await wechat.get("/__control/state")).json()["sent"]
            assert [(m["touser"], m["template_id"]) for m in sent] == [(consenting.openid, template)]
            for person in (consenting, silent):
                inbox = await client.get("/api/v1/me/inbox", headers=headers_for(person, settings))
                assert [m["kind"] for m in inbox.json()["items"]] == ["community.notify.urgent_notice"]
        finally:
            runtime.settings.wechat_templates = saved
            await wechat.post("/__control/reset")
