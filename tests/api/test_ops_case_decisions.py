"""Department operators decide cases from the staff console: accept, 补正, approve/reject, reply.

Each decision is a legal state transition, on the case's timeline, audited, told to the applicant
(inbox) and to the government-service platform (what the sandbox received)."""

from __future__ import annotations

import pytest

from services.accounts.enums import Role
from services.common import clock
from services.common.models import AuditEntry
from services.notifications.models import InboxMessage
from tests.api.test_gov_support import advance, deliver_all, platform_control, seed
from tests.factories import auth_headers, make_user

ITEM = "hukou-move-in"  # department gongan, promised in 5 working days
DEPARTMENT = "gongan"


@pytest.fixture
async def seeded(runtime) -> int:
    return await seed(runtime)


@pytest.fixture
async def platform(settings, runtime):
    async with platform_control(settings, runtime) as control:
        yield control


async def _delivered(client, settings, runtime, user) -> dict:
    created = await client.post(
        "/api/v1/gov/applications", json={"item_code": ITEM}, headers=auth_headers(user, settings)
    )
    assert created.status_code == 201, created.text
    await deliver_all(runtime)
    body = (
        await client.get(
            f"/api/v1/gov/applications/{created.json()['id']}", headers=auth_headers(user, settings)
        )
    ).json()
    assert body["delivered"] and body["platform_ref"]
    return body


async def test_decisions__accept_supplement_approve_reply_reach_applicant_audit_and_platform(
    client, settings, runtime, seeded, platform
) -> None:
    applicant = await make_user()
    mine = auth_headers(applicant, settings)
    operator = await make_user(roles={Role.DEPT_OPERATOR: [DEPARTMENT]})
    ops = auth_headers(operator, settings)
    case = await _delivered(client, settings, runtime, applicant)
    url, ref = f"/api/v1/ops/cases/{case['id']}", case["platform_ref"]

    waiting = (await client.get("/api/v1/ops/cases", params={"status": "submitted"}, headers=ops)).json()
    assert [i["id"] for i in waiting["items"]] == [case["id"]] and waiting["items"][0]["due_date"] is None

    accepted = await client.post(f"{url}/accept", json={"note": "材料齐全，予以受理"}, headers=ops)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["due_date"] == clock.add_working_days(clock.local_date(), 5).isoformat()

    asked = await client.post(
        f"{url}/supplement-request",
        json={"materials": ["proof_document"], "message": "请补充房产证明复印件"},
        headers=ops,
    )
    assert asked.status_code == 200, asked.text
    mine_view = (await client.get(f"/api/v1/gov/applications/{case['id']}", headers=mine)).json()
    assert mine_view["status"] == "supplement_requested"
    assert mine_view["supplement"]["materials"] == ["proof_document"]
    assert mine_view["supplement"]["message"] == "请补充房产证明复印件"

    # Approving while the applicant owes a 补正 is not a move the state machine draws.
    early = await client.post(f"{url}/decision", json={"outcome": "approved"}, headers=ops)
    assert early.status_code == 409 and early.json()["error"]["code"] == "gov.case.illegal_transition"

    from tests.api.test_gov_support import PDF

    await client.post(
        f"/api/v1/gov/applications/{case['id']}/materials",
        data={"material_code": "proof_document"},
        files={"file": ("proof.pdf", PDF, "application/pdf")},
        headers=mine,
    )
    answered = await client.post(
        f"/api/v1/gov/applications/{case['id']}/supplement", json={"note": "见附件"}, headers=mine
    )
    assert answered.json()["status"] == "in_review"

    approved = await client.post(
        f"{url}/decision", json={"outcome": "approved", "reason": "准予迁入"}, headers=ops
    )
    assert approved.status_code == 200, approved.text
    reply = await client.post(f"{url}/reply", json={"message": "请携带身份证到大厅领取户口簿"}, headers=ops)
    assert reply.status_code == 200, reply.text

    done = (await client.get(f"/api/v1/gov/applications/{case['id']}", headers=mine)).json()
    assert done["status"] == "approved" and done["note"] == "请携带身份证到大厅领取户口簿"
    statuses = [e["status_to"] for e in done["timeline"] if e["kind"] == "status"]
    assert statuses == ["submitted", "accepted", "supplement_requested", "in_review", "approved"]
    assert [e["actor"] for e in done["timeline"] if e["kind"] == "status"][1:3] == ["operator", "operator"]
    assert any(e["kind"] == "reply" and e["note"].startswith("请携带") for e in done["timeline"])

    # The applicant was told each time (status changes and the reply).
    kinds = (
        await InboxMessage.filter(user_id=applicant.id).order_by("created_at").values_list("kind", flat=True)
    )
    assert kinds[-5:] == [
        "notify.case.accepted",
        "notify.case.supplement_requested",
        "notify.case.in_review",
        "notify.case.approved",
        "notify.case.reply",
    ]
    # Audited, naming the operator and the case.
    audited = await AuditEntry.filter(target_id=case["id"]).order_by("seq").values_list("action", "actor_id")
    assert [a for a, _ in audited] == [
        "gov.case.accept",
        "gov.case.request_supplement",
        "gov.case.approve",
        "gov.case.reply",
    ]
    assert all(str(actor) == str(operator.id) for _, actor in audited)

    # The platform received each decision, in order, once (delivery after the case itself).
    await deliver_all(runtime)
    held = (await platform.get(f"/api/cases/{ref}")).json()
    assert [(d["action"], d["status"]) for d in held["decisions"]] == [
        ("accept", "accepted"),
        ("request_supplement", "supplement_requested"),
        ("approve", "approved"),
        ("reply", "approved"),
    ]
    assert held["decisions"][1]["materials"] == ["proof_document"]
    assert held["decisions"][2]["message"] == "准予迁入"
    await deliver_all(runtime)
    assert len((await platform.get(f"/api/cases/{ref}")).json()["decisions"]) == 4

    # The platform's later 办结 callback still applies on top of the operator's decision.
    assert (await advance(platform, ref, "completed"))["callback_status"] == 200
    assert (await client.get(f"/api/v1/gov/applications/{case['id']}", headers=mine)).json()[
        "status"
    ] == "completed"


async def test_decisions__reject_needs_a_reason_and_goes_through_review(
    client, settings, runtime, seeded, platform
) -> None:
    applicant = await make_user()
    ops = auth_headers(await make_user(roles={Role.DEPT_OPERATOR: [DEPARTMENT]}), settings)
    case = await _delivered(client, settings, runtime, applicant)
    url = f"/api/v1/ops/cases/{case['id']}"
    assert (await client.post(f"{url}/accept", json={}, headers=ops)).status_code == 200

    silent = await client.post(f"{url}/decision", json={"outcome": "rejected"}, headers=ops)
    assert silent.status_code == 422 and silent.json()["error"]["code"] == "gov.case.reason_required"
    english = await client.post(
        f"{url}/decision", json={"outcome": "rejected", "reason": " "}, headers=ops, params={"lang": "en"}
    )
    assert english.status_code == 422 and "reason" in english.json()["error"]["message"]
    bad = await client.post(f"{url}/decision", json={"outcome": "completed", "reason": "x"}, headers=ops)
    assert bad.status_code == 422

    rejected = await client.post(
        f"{url}/decision", json={"outcome": "rejected", "reason": "不符合落户条件"}, headers=ops
    )
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["status"] == "rejected" and body["note"] == "不符合落户条件"
    assert [e["status_to"] for e in body["timeline"] if e["kind"] == "status"][-2:] == [
        "in_review",
        "rejected",
    ]
    # A decided case is not decided again.
    again = await client.post(f"{url}/decision", json={"outcome": "approved"}, headers=ops)
    assert again.status_code == 409
    await deliver_all(runtime)
    held = (await platform.get(f"/api/cases/{case['platform_ref']}")).json()
    assert held["decisions"][-1] == {
        "event_id": held["decisions"][-1]["event_id"],
        "action": "reject",
        "status": "rejected",
        "message": "不符合落户条件",
        "materials": [],
    }


async def test_decisions__other_departments_and_residents_cannot_see_or_act(
    client, settings, runtime, seeded, platform
) -> None:
    applicant = await make_user()
    case = await _delivered(client, settings, runtime, applicant)
    url = f"/api/v1/ops/cases/{case['id']}"
    other = auth_headers(await make_user(roles={Role.DEPT_OPERATOR: ["shebao"]}), settings)
    assert (await client.get(url, headers=other)).status_code == 404
    assert (await client.post(f"{url}/accept", json={}, headers=other)).status_code == 404
    resident = auth_headers(applicant, settings)
    assert (await client.post(f"{url}/accept", json={}, headers=resident)).status_code == 403
    ops = auth_headers(await make_user(roles={Role.DEPT_OPERATOR: [DEPARTMENT]}), settings)
    detail = (await client.get(url, headers=ops)).json()
    assert detail["ref"] == case["ref"] and detail["for_member"] is None
    assert (await client.get("/api/v1/ops/cases/not-an-id", headers=ops)).status_code == 404
    # 补正 without materials, a reply without text: clear 422s, nothing changed.
    empty = await client.post(
        f"{url}/supplement-request", json={"materials": [], "message": "x"}, headers=ops
    )
    assert empty.status_code == 422
    assert (await client.post(f"{url}/reply", json={"message": ""}, headers=ops)).status_code == 422
    assert (await client.get(url, headers=ops)).json()["status"] == "submitted"
    assert not await AuditEntry.filter(target_id=case["id"]).exists()
