"""Online applications through HTTP: apply, upload materials, submit, withdraw, list; no BOLA."""

from __future__ import annotations

import pytest

from services.accounts.enums import VerificationLevel
from services.common.models import OutboxMessage
from services.notifications.models import InboxMessage
from tests.api.test_gov_support import ONLINE_ITEM, PDF, PNG, UPLOAD_ITEM, seed
from tests.factories import auth_headers, make_user


@pytest.fixture
async def seeded(runtime) -> int:
    return await seed(runtime)


async def _apply(client, settings, user, item: str = ONLINE_ITEM, **body):
    return await client.post(
        "/api/v1/gov/applications",
        json={"item_code": item, **body},
        headers=auth_headers(user, settings),
    )


async def _upload(client, settings, user, case_id: str, code: str, data: bytes, name: str = "scan.pdf"):
    return await client.post(
        f"/api/v1/gov/applications/{case_id}/materials",
        data={"material_code": code},
        files={"file": (name, data, "application/pdf")},
        headers=auth_headers(user, settings),
    )


async def test_apply__needs_real_name_verification(client, settings, seeded) -> None:
    user = await make_user(level=VerificationLevel.PHONE)
    response = await _apply(client, settings, user)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "auth.verification_required"
    assert error["details"]["next"] == "/api/v1/me/identity"
    assert (await client.post("/api/v1/gov/applications", json={"item_code": ONLINE_ITEM})).status_code == 401


async def test_apply__submitted_at_once_with_timeline_outbox_and_inbox(client, settings, seeded) -> None:
    user = await make_user()
    response = await _apply(client, settings, user, form={"purpose": "购房", "copies": 2})
    assert response.status_code == 201, response.text
    case = response.json()
    assert case["status"] == "submitted" and case["status_label"] == "已提交"
    assert case["ref"].startswith("JY")
    assert case["item_name"] == "社会保险参保缴费证明打印"
    assert case["form_fields"] == ["copies", "purpose"]  # the answers themselves are never echoed
    assert [(e["kind"], e["status_to"]) for e in case["timeline"]] == [
        ("created", "draft"),
        ("status", "submitted"),
    ]
    assert case["delivered"] is False
    assert await OutboxMessage.filter(topic="gov.case_submit", aggregate_id=case["id"]).count() == 1
    inbox = await InboxMessage.filter(user_id=user.id).values_list("kind", flat=True)
    assert inbox == ["notify.case.submitted"]

    shown = await client.get(f"/api/v1/gov/applications/{case['id']}", headers=auth_headers(user, settings))
    assert shown.status_code == 200
    assert shown.json()["id"] == case["id"]


async def test_apply__unknown_or_offline_item_and_bad_bodies_are_4xx(client, settings, seeded) -> None:
    user = await make_user()
    unknown = await _apply(client, settings, user, item="no-such-item")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "gov.item.not_found"
    offline = await _apply(client, settings, user, item="idcard-renewal")  # fingerprints: window only
    assert offline.status_code == 422 and offline.json()["error"]["code"] == "gov.item.not_online"
    extra = await _apply(client, settings, user, surprise=True)
    assert extra.status_code == 422
    nested = await _apply(client, settings, user, form={"a": {"b": 1}})
    assert nested.status_code == 422


async def test_draft__materials_then_submit_and_missing_ones_refused(client, settings, seeded) -> None:
    user = await make_user()
    draft = (await _apply(client, settings, user, item=UPLOAD_ITEM, submit=False)).json()
    assert draft["status"] == "draft"
    early = await client.post(
        f"/api/v1/gov/applications/{draft['id']}/submit", headers=auth_headers(user, settings)
    )
    assert early.status_code == 422
    assert early.json()["error"]["code"] == "gov.case.materials_missing"
    assert set(early.json()["error"]["details"]["missing"]) == {"termination_proof", "bank_card"}

    pdf = await _upload(client, settings, user, draft["id"], "termination_proof", PDF)
    assert pdf.status_code == 201, pdf.text
    assert pdf.json()["content_type"] == "application/pdf"
    # Named .pdf, but it is a PNG: the type comes from the content.
    png = await _upload(client, settings, user, draft["id"], "bank_card", PNG, name="card.pdf")
    assert png.status_code == 201
    assert png.json()["content_type"] == "image/png"

    submitted = await client.post(
        f"/api/v1/gov/applications/{draft['id']}/submit", headers=auth_headers(user, settings)
    )
    assert submitted.status_code == 200
    body = submitted.json()
    assert body["status"] == "submitted"
    assert {m["material_code"] for m in body["materials"]} == {"termination_proof", "bank_card"}
    assert [e["kind"] for e in body["timeline"]] == ["created", "material", "material", "status"]

    # Submitted: the file is closed until the department asks for more (补正).
    late = await _upload(client, settings, user, draft["id"], "bank_card", PDF)
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "gov.case.materials_locked"


async def test_materials__type_size_and_code_checked(client, settings, seeded, tmp_path) -> None:
    user = await make_user()
    draft = (await _apply(client, settings, user, item=UPLOAD_ITEM, submit=False)).json()
    exe = await _upload(
        client, settings, user, draft["id"], "bank_card", b"MZ\x90\x00" + b"\x00" * 200, "a.pdf"
    )
    assert exe.status_code == 422
    assert exe.json()["error"]["code"] == "upload.type_not_allowed"
    text = await _upload(
        client, settings, user, draft["id"], "bank_card", b"just some text, not a scan", "a.jpg"
    )
    assert text.status_code == 422 and text.json()["error"]["code"] == "upload.type_not_allowed"
    big = await _upload(client, settings, user, draft["id"], "bank_card", PDF + b"0" * (5 * 1024 * 1024))
    assert big.status_code == 422
    assert big.json()["error"]["code"] == "upload.too_large"
    empty = await _upload(client, settings, user, draft["id"], "bank_card", b"")
    assert empty.status_code == 422
    unknown = await _upload(client, settings, user, draft["id"], "passport", PDF)
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "gov.case.unknown_material"
    missing_field = await client.post(
        f"/api/v1/gov/applications/{draft['id']}/materials",
        files={"file": ("a.pdf", PDF, "application/pdf")},
        headers=auth_headers(user, settings),
    )
    assert missing_field.status_code == 422
    case = (
        await client.get(f"/api/v1/gov/applications/{draft['id']}", headers=auth_headers(user, settings))
    ).json()
    assert case["materials"] == []


async def test_withdraw__then_every_further_citizen_move_refused(client, settings, seeded) -> None:
    user = await make_user()
    case = (await _apply(client, settings, user)).json()
    headers = auth_headers(user, settings)
    withdrawn = await client.post(
        f"/api/v1/gov/applications/{case['id']}/withdraw", json={"reason": "不需要了"}, headers=headers
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["status"] == "withdrawn"
    assert await OutboxMessage.filter(topic="gov.case_withdraw", aggregate_id=case["id"]).count() == 1
    for path, body in (("withdraw", {}), ("supplement", {"note": "x"}), ("submit", None)):
        again = await client.post(f"/api/v1/gov/applications/{case['id']}/{path}", json=body, headers=headers)
        assert again.status_code == 409, path
        assert again.json()["error"]["code"] == "gov.case.illegal_transition"
    # A draft withdrawn before submission never bothers the platform.
    draft = (await _apply(client, settings, user, submit=False)).json()
    await client.post(f"/api/v1/gov/applications/{draft['id']}/withdraw", json={}, headers=headers)
    assert await OutboxMessage.filter(aggregate_id=draft["id"]).count() == 0


async def test_cases__another_users_case_is_invisible_and_untouchable(client, settings, seeded) -> None:
    owner = await make_user()
    stranger = await make_user()
    case = (await _apply(client, settings, owner, item=UPLOAD_ITEM, submit=False)).json()
    theirs = auth_headers(stranger, settings)
    base = f"/api/v1/gov/applications/{case['id']}"
    attempts = [
        await client.get(base, headers=theirs),
        await client.post(f"{base}/submit", headers=theirs),
        await client.post(f"{base}/withdraw", json={}, headers=theirs),
        await client.post(f"{base}/supplement", json={"note": "x"}, headers=theirs),
        await _upload(client, settings, stranger, case["id"], "bank_card", PDF),
        await client.post(f"/api/v1/cases/{case['id']}/rating", json={"level": "satisfied"}, headers=theirs),
    ]
    for response in attempts:
        assert response.status_code == 404, response.text
    # Same answer as for an id that does not exist at all: nothing leaks.
    ghost = await client.get("/api/v1/gov/applications/0190a0b0-0000-7000-8000-000000000000", headers=theirs)
    assert ghost.json()["error"]["code"] == attempts[0].json()["error"]["code"] == "gov.case.not_found"
    assert (await client.get("/api/v1/gov/applications/not-an-id", headers=theirs)).status_code == 404
    listed = await client.get("/api/v1/me/cases", headers=theirs)
    assert listed.json()["items"] == []
    still = await client.get(base, headers=auth_headers(owner, settings))
    assert still.json()["status"] == "draft" and still.json()["materials"] == []


async def test_me_cases__mine_newest_first_in_pages(client, settings, seeded) -> None:
    user = await make_user()
    other = await make_user()
    ids = [(await _apply(client, settings, user)).json()["id"] for _ in range(5)]
    await _apply(client, settings, other)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (
            await client.get("/api/v1/me/cases", params=params, headers=auth_headers(user, settings))
        ).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    bad = await client.get(
        "/api/v1/me/cases", params={"cursor": "eyJ4IjoxfQ"}, headers=auth_headers(user, settings)
    )
    assert bad.status_code == 422


async def test_apply__idempotency_key_replays_the_first_case(client, settings, seeded) -> None:
    user = await make_user()
    headers = auth_headers(user, settings, **{"Idempotency-Key": "apply-once-1"})
    body = {"item_code": ONLINE_ITEM, "form": {"purpose": "落户"}}
    first = await client.post("/api/v1/gov/applications", json=body, headers=headers)
    again = await client.post("/api/v1/gov/applications", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = await client.post("/api/v1/gov/applications", json={**body, "form": {}}, headers=headers)
    assert other.status_code == 422
    listed = await client.get("/api/v1/me/cases", headers=auth_headers(user, settings))
    assert len(listed.json()["items"]) == 1
    assert await OutboxMessage.filter(topic="gov.case_submit").count() == 1


async def test_proxy__apply_for_a_parent_and_see_it_in_me_cases(client, settings, seeded) -> None:
    child = await make_user()
    parent = await make_user()
    stranger = await make_user()
    invite = await client.post(
        "/api/v1/me/family",
        json={"scopes": ["cases"], "relation": "parent"},
        headers=auth_headers(child, settings),
    )
    assert invite.status_code == 201, invite.text
    accepted = await client.post(
        f"/api/v1/family-invitations/{invite.json()['invitation_code']}/accept",
        headers=auth_headers(parent, settings),
    )
    assert accepted.status_code == 200, accepted.text

    for_parent = auth_headers(child, settings, **{"X-Acting-For": str(parent.id)})
    created = await client.post(
        "/api/v1/gov/applications", json={"item_code": ONLINE_ITEM}, headers=for_parent
    )
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["for_member"] == str(parent.id)
    assert case["timeline"][0]["actor"] == "proxy"

    # The parent owns it; the child reaches it under the grant, and sees it in their own list.
    assert (
        await client.get(f"/api/v1/gov/applications/{case['id']}", headers=auth_headers(parent, settings))
    ).status_code == 200
    assert (await client.get(f"/api/v1/gov/applications/{case['id']}", headers=for_parent)).status_code == 200
    mine = (await client.get("/api/v1/me/cases", headers=auth_headers(child, settings))).json()["items"]
    assert [(c["id"], c["for_member"]) for c in mine] == [(case["id"], str(parent.id))]
    theirs = (await client.get("/api/v1/me/cases", headers=auth_headers(parent, settings))).json()["items"]
    assert [c["id"] for c in theirs] == [case["id"]] and theirs[0]["for_member"] is None
    # Without a grant, the same header is refused; and the case stays invisible to others.
    refused = await client.post(
        "/api/v1/gov/applications",
        json={"item_code": ONLINE_ITEM},
        headers=auth_headers(stranger, settings, **{"X-Acting-For": str(parent.id)}),
    )
    assert refused.status_code == 403
    assert (await client.get("/api/v1/me/cases", headers=auth_headers(stranger, settings))).json()[
        "items"
    ] == []
    # Only the applicant rates (not the proxy).
    rating = await client.post(
        f"/api/v1/cases/{case['id']}/rating", json={"level": "satisfied"}, headers=for_parent
    )
    assert rating.status_code in (403, 404)


async def test_privacy__export_shows_my_answers_and_deletion_wipes_them(client, settings, seeded) -> None:
    from services.gov.models import Case

    user = await make_user()
    headers = auth_headers(user, settings)
    draft = (
        await _apply(client, settings, user, item=UPLOAD_ITEM, submit=False, form={"reason": "公司裁员"})
    ).json()
    await _upload(client, settings, user, draft["id"], "bank_card", PDF, name="我的银行卡.pdf")

    exported = await client.get("/api/v1/me/export", headers=headers)
    assert exported.status_code == 200
    gov = exported.json()["domains"]["gov"]
    assert gov["cases"][0]["form"] == {"reason": "公司裁员"}
    assert gov["cases"][0]["materials"][0]["filename"] == "我的银行卡.pdf"

    assert (await client.delete("/api/v1/me", headers=headers)).status_code == 204
    case = await Case.get(id=draft["id"])
    assert case.form_enc is None  # the record stays (administrative), the answers are gone


async def test_privacy__deletion_removes_stored_case_materials(client, settings, runtime, seeded) -> None:
    from pathlib import Path

    from citizen_api.worker import deliver_outbox_once
    from services.gov.models import CaseMaterial

    user = await make_user()
    draft = (await _apply(client, settings, user, item=UPLOAD_ITEM, submit=False)).json()
    await _upload(client, settings, user, draft["id"], "bank_card", PDF, name="我的银行卡.pdf")
    material = await CaseMaterial.get(case_id=draft["id"])
    stored = Path(settings.upload_dir) / material.file_key
    assert stored.read_bytes() == PDF

    assert (await client.delete("/api/v1/me", headers=auth_headers(user, settings))).status_code == 204
    await deliver_outbox_once(runtime)
    assert not stored.exists()
    material = await CaseMaterial.get(id=material.id)
    assert (material.file_key, material.filename) == ("", "")


async def _upload_first(client, settings, user, data: bytes = PDF, name: str = "scan.pdf", **headers):
    return await client.post(
        "/api/v1/gov/uploads",
        files={"file": (name, data, "application/pdf")},
        headers=auth_headers(user, settings, **headers),
    )


async def test_apply__in_one_step_with_uploaded_materials(client, settings, runtime, seeded) -> None:
    user, stranger = await make_user(), await make_user()
    first = await _upload_first(client, settings, user, name="离职证明.pdf")
    assert first.status_code == 201, first.text
    assert first.json()["filename"] == "离职证明.pdf" and first.json()["expires_at"]
    second = (await _upload_first(client, settings, user)).json()

    # One material short: the answer names what is missing, in the reader's language.
    short = await _apply(
        client,
        settings,
        user,
        item=UPLOAD_ITEM,
        materials=[{"material_code": "termination_proof", "upload_id": first.json()["id"]}],
    )
    assert short.status_code == 422 and short.json()["error"]["code"] == "gov.case.materials_missing"
    assert short.json()["error"]["details"]["missing"] == ["bank_card"]
    assert "银行卡" in short.json()["error"]["message"]
    english = await client.post(
        "/api/v1/gov/applications?lang=en",
        json={"item_code": UPLOAD_ITEM},
        headers=auth_headers(user, settings),
    )
    assert "bank card" in english.json()["error"]["message"].lower()

    # Someone else's upload is not theirs to use.
    stolen = await _apply(
        client,
        settings,
        stranger,
        item=UPLOAD_ITEM,
        materials=[
            {"material_code": "termination_proof", "upload_id": first.json()["id"]},
            {"material_code": "bank_card", "upload_id": second["id"]},
        ],
    )
    assert stolen.status_code == 422 and stolen.json()["error"]["code"] == "gov.case.upload_unknown"

    # Both at once: submitted in one request, the platform gets the case with its materials.
    done = await _apply(
        client,
        settings,
        user,
        item=UPLOAD_ITEM,
        form={"reason": "合同到期"},
        materials=[
            {"material_code": "termination_proof", "upload_id": first.json()["id"]},
            {"material_code": "bank_card", "upload_id": second["id"]},
        ],
    )
    assert done.status_code == 201, done.text
    case = done.json()
    assert case["status"] == "submitted"
    assert sorted(m["material_code"] for m in case["materials"]) == ["bank_card", "termination_proof"]
    assert {m["filename"] for m in case["materials"]} == {"离职证明.pdf", "scan.pdf"}
    # An upload is used once.
    again = await _apply(
        client,
        settings,
        user,
        item=UPLOAD_ITEM,
        materials=[{"material_code": "bank_card", "upload_id": second["id"]}],
    )
    assert again.status_code == 422 and again.json()["error"]["code"] == "gov.case.upload_unknown"
    outbox = await OutboxMessage.filter(topic="gov.case_submit", aggregate_id=case["id"]).count()
    assert outbox == 1


async def test_apply__uploads_for_nobody_expire(client, settings, runtime, seeded) -> None:
    import datetime as dt
    from pathlib import Path

    from citizen_api.worker import deliver_outbox_once
    from services.gov import jobs
    from services.gov.models import MaterialUpload

    user = await make_user()
    upload = (await _upload_first(client, settings, user)).json()
    row = await MaterialUpload.get(id=upload["id"])
    stored = Path(settings.upload_dir) / row.file_key
    assert stored.exists()
    await MaterialUpload.filter(id=row.id).update(created_at=row.created_at - dt.timedelta(days=2))
    await jobs.expire_uploads(runtime)
    await deliver_outbox_once(runtime)
    assert not await MaterialUpload.exists(id=row.id) and not stored.exists()
