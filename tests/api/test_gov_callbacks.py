"""The platform's callbacks: a case walked through its life by the sandbox; signatures, replays, 404s."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.accounts.enums import Role
from services.common import clock
from services.notifications.models import InboxMessage
from tests.api.test_gov_support import (
    CALLBACK_PATH,
    PDF,
    advance,
    deliver_all,
    platform_control,
    seed,
    signed_callback,
)
from tests.factories import auth_headers, make_user

ITEM = "hukou-move-in"  # promised in 5 working days; nothing to upload up front


@pytest.fixture
async def seeded(runtime) -> int:
    return await seed(runtime)


@pytest.fixture
async def platform(settings, runtime):
    async with platform_control(settings, runtime) as control:
        yield control


async def _delivered_case(client, settings, runtime, user) -> dict:
    created = await client.post(
        "/api/v1/gov/applications", json={"item_code": ITEM}, headers=auth_headers(user, settings)
    )
    assert created.status_code == 201, created.text
    await deliver_all(runtime)
    case = await client.get(
        f"/api/v1/gov/applications/{created.json()['id']}", headers=auth_headers(user, settings)
    )
    body = case.json()
    assert body["delivered"] is True and body["platform_ref"]
    return body


async def test_callbacks__a_case_from_acceptance_through_supplement_to_completion(
    client, settings, runtime, seeded, platform
) -> None:
    user = await make_user()
    headers = auth_headers(user, settings)
    case = await _delivered_case(client, settings, runtime, user)
    ref, url = case["platform_ref"], f"/api/v1/gov/applications/{case['id']}"

    assert (await advance(platform, ref, "accepted"))["callback_status"] == 200
    accepted = (await client.get(url, headers=headers)).json()
    assert accepted["status"] == "accepted"
    # The deadline clock runs in working days from acceptance (holidays and 调休 included).
    assert accepted["due_date"] == clock.add_working_days(clock.local_date(), 5).isoformat()

    await advance(platform, ref, "in_review")
    await advance(
        platform, ref, "supplement_requested", message="请补充房产证明复印件", materials=["proof_document"]
    )
    waiting = (await client.get(url, headers=headers)).json()
    assert waiting["status"] == "supplement_requested"
    assert waiting["supplement"]["message"] == "请补充房产证明复印件"
    assert waiting["supplement"]["materials"] == ["proof_document"]

    unanswered = await client.post(f"{url}/supplement", json={"note": "见附件"}, headers=headers)
    assert unanswered.status_code == 422
    assert unanswered.json()["error"]["details"]["missing"] == ["proof_document"]
    upload = await client.post(
        f"{url}/materials",
        data={"material_code": "proof_document"},
        files={"file": ("proof.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert upload.status_code == 201 and upload.json()["for_supplement"] is True
    answered = await client.post(f"{url}/supplement", json={"note": "见附件"}, headers=headers)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "in_review"
    await deliver_all(runtime)
    held = (await platform.get(f"/api/cases/{ref}")).json()
    assert (
        len(held["supplements"]) == 1 and held["supplements"][0]["materials"][0]["code"] == "proof_document"
    )

    await advance(platform, ref, "approved", message="准予迁入")
    await advance(platform, ref, "completed")
    done = (await client.get(url, headers=headers)).json()
    assert done["status"] == "completed" and done["completed_at"]
    statuses = [e["status_to"] for e in done["timeline"] if e["kind"] == "status"]
    assert statuses == [
        "submitted",
        "accepted",
        "in_review",
        "supplement_requested",
        "in_review",
        "approved",
        "completed",
    ]
    assert any(e["kind"] == "delivered" for e in done["timeline"])
    assert any(e["kind"] == "supplement_answered" for e in done["timeline"])
    # The applicant heard of every status change.
    kinds = await InboxMessage.filter(user_id=user.id).order_by("created_at").values_list("kind", flat=True)
    assert kinds == [f"notify.case.{s}" for s in statuses]
    english = await client.get("/api/v1/me/inbox", params={"lang": "en"}, headers=headers)
    assert "is completed" in english.json()["items"][0]["text"]

    # A platform retry of the last callback (same event id, fresh signature) changes nothing.
    replay = await platform.post(f"/__replay/{ref}")
    assert replay.json()["callback_status"] == 200
    again = (await client.get(url, headers=headers)).json()
    assert again["timeline"] == done["timeline"] and again["status"] == "completed"


async def test_callback__bad_or_missing_signature_is_refused(
    client, settings, runtime, seeded, platform
) -> None:
    user = await make_user()
    case = await _delivered_case(client, settings, runtime, user)
    event = {"event_id": "E-1", "case_id": case["id"], "status": "accepted"}

    raw, headers = signed_callback(settings, event, secret="not-the-shared-secret")
    wrong_secret = await client.post(CALLBACK_PATH, content=raw, headers=headers)
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"]["code"] == "integration.callback_signature_invalid"

    raw, headers = signed_callback(settings, event)
    tampered = await client.post(
        CALLBACK_PATH, content=raw.replace(b"accepted", b"completed"), headers=headers
    )
    assert tampered.status_code == 401

    unsigned = await client.post(CALLBACK_PATH, json=event)
    assert unsigned.status_code == 401

    raw, headers = signed_callback(settings, event)
    stale = await client.post(CALLBACK_PATH, content=raw, headers={**headers, "X-Timestamp": "1700000000"})
    assert stale.status_code == 401

    raw, headers = signed_callback(settings, event)
    wrong_key = await client.post(
        CALLBACK_PATH, content=raw, headers={**headers, "X-App-Key": "someone-else"}
    )
    assert wrong_key.status_code == 401

    shown = await client.get(f"/api/v1/gov/applications/{case['id']}", headers=auth_headers(user, settings))
    assert shown.json()["status"] == "submitted"  # nothing above changed the case


async def test_callback__replays_are_idempotent(client, settings, runtime, seeded, platform) -> None:
    user = await make_user()
    case = await _delivered_case(client, settings, runtime, user)
    event = {"event_id": f"E-{uuid.uuid4().hex}", "case_id": case["id"], "status": "accepted"}

    raw, headers = signed_callback(settings, event)
    first = await client.post(CALLBACK_PATH, content=raw, headers=headers)
    assert first.status_code == 200 and first.json()["outcome"] == "applied"
    # The very same request again (same nonce): a captured request cannot be replayed.
    exact = await client.post(CALLBACK_PATH, content=raw, headers=headers)
    assert exact.status_code == 401
    assert exact.json()["error"]["code"] == "integration.callback_replayed"
    # The same event re-sent and re-signed, as a platform retry would: acknowledged, nothing applied.
    raw, headers = signed_callback(settings, event)
    retry = await client.post(CALLBACK_PATH, content=raw, headers=headers)
    assert retry.status_code == 200 and retry.json()["outcome"] == "duplicate"

    shown = (
        await client.get(f"/api/v1/gov/applications/{case['id']}", headers=auth_headers(user, settings))
    ).json()
    assert [e["status_to"] for e in shown["timeline"] if e["kind"] == "status"] == ["submitted", "accepted"]
    assert await InboxMessage.filter(user_id=user.id, kind="notify.case.accepted").count() == 1


async def test_callback__unknown_case_system_status_and_illegal_moves(
    client, settings, runtime, seeded, platform
) -> None:
    user = await make_user()
    case = await _delivered_case(client, settings, runtime, user)

    async def send(event: dict, path: str = CALLBACK_PATH):
        raw, headers = signed_callback(settings, event)
        return await client.post(path, content=raw, headers=headers)

    unknown = await send({"event_id": "E-u", "case_id": str(uuid.uuid4()), "status": "accepted"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "gov.case.not_found"
    garbage_id = await send({"event_id": "E-g", "case_id": "../../etc", "status": "accepted"})
    assert garbage_id.status_code == 404
    system = await send(
        {"event_id": "E-s", "case_id": case["id"], "status": "accepted"}, "/api/v1/integrations/nope/callback"
    )
    assert system.status_code == 404 and system.json()["error"]["code"] == "integration.unknown_system"
    status = await send({"event_id": "E-b", "case_id": case["id"], "status": "teleported"})
    assert status.status_code == 422
    citizen_only = await send({"event_id": "E-w", "case_id": case["id"], "status": "withdrawn"})
    assert citizen_only.status_code == 422  # the platform cannot withdraw for the citizen
    skipping = await send({"event_id": "E-c", "case_id": case["id"], "status": "completed"})
    assert skipping.status_code == 409
    assert skipping.json()["error"]["code"] == "gov.case.illegal_transition"
    raw, headers = signed_callback(settings, [1, 2])
    not_object = await client.post(CALLBACK_PATH, content=raw, headers=headers)
    assert not_object.status_code == 422

    shown = (
        await client.get(f"/api/v1/gov/applications/{case['id']}", headers=auth_headers(user, settings))
    ).json()
    assert shown["status"] == "submitted"


async def test_deadline__late_running_cases_flagged_once_and_applicant_told(
    client, settings, runtime, seeded, platform
) -> None:
    from services.gov import timeline

    user = await make_user()
    headers = auth_headers(user, settings)
    case = await _delivered_case(client, settings, runtime, user)
    await advance(platform, case["platform_ref"], "accepted")
    due = dt.date.fromisoformat(
        (await client.get(f"/api/v1/gov/applications/{case['id']}", headers=headers)).json()["due_date"]
    )

    assert await timeline.flag_overdue_cases(today=due) == 0  # due today is not late yet
    assert await timeline.flag_overdue_cases(today=due + dt.timedelta(days=1)) == 1
    assert await timeline.flag_overdue_cases(today=due + dt.timedelta(days=2)) == 0  # once per case
    shown = (await client.get(f"/api/v1/gov/applications/{case['id']}", headers=headers)).json()
    assert (
        shown["timeline"][-1]["kind"] == "overdue" and shown["timeline"][-1]["label"] == "已超过承诺办结时限"
    )
    assert await InboxMessage.filter(user_id=user.id, kind="notify.case.overdue").count() == 1

    # While the citizen owes a 补正 the clock is stopped: such a case is never flagged.
    other = await _delivered_case(client, settings, runtime, user)
    await advance(platform, other["platform_ref"], "accepted")
    await advance(platform, other["platform_ref"], "supplement_requested", materials=["proof_document"])
    assert await timeline.flag_overdue_cases(today=due + dt.timedelta(days=30)) == 0


async def test_delivery__carries_the_verified_applicant_identity_to_the_platform(
    client, settings, runtime, seeded, platform
) -> None:
    from services.common.models import OutboxMessage
    from tests.api.accounts_helpers import bearer, make_id_number, verified_user

    id_number = make_id_number()
    session = await verified_user(client, name="王小明", id_number=id_number)
    created = await client.post("/api/v1/gov/applications", json={"item_code": ITEM}, headers=bearer(session))
    assert created.status_code == 201, created.text
    # The outbox row names the case only: the identity is read and decrypted at delivery time.
    row = await OutboxMessage.get(topic="gov.case_submit", aggregate_id=created.json()["id"])
    assert set(row.payload) == {"case_id"}
    await deliver_all(runtime)
    ref = (
        await client.get(f"/api/v1/gov/applications/{created.json()['id']}", headers=bearer(session))
    ).json()["platform_ref"]
    held = (await platform.get(f"/api/cases/{ref}")).json()
    assert held["applicant"] == {"name": "王**", "id_number": id_number[:4] + "*" * 10 + id_number[-4:]}


async def test_callbacks__supplement_for_an_unlisted_material_is_answerable_and_the_timeline_reads_in_order(
    client, settings, runtime, seeded, platform
) -> None:
    user = await make_user()
    headers = auth_headers(user, settings)
    case = await _delivered_case(client, settings, runtime, user)
    ref, url = case["platform_ref"], f"/api/v1/gov/applications/{case['id']}"
    await advance(platform, ref, "accepted")
    await advance(platform, ref, "in_review")
    # The item's guide does not list a marriage certificate; the officer asks for one anyway.
    await advance(platform, ref, "supplement_requested", message="请补充结婚证", materials=["marriage_cert"])
    not_asked = await client.post(
        f"{url}/materials",
        data={"material_code": "tax_receipt"},
        files={"file": ("x.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert not_asked.status_code == 422
    upload = await client.post(
        f"{url}/materials",
        data={"material_code": "marriage_cert"},
        files={"file": ("marriage.pdf", PDF, "application/pdf")},
        headers=headers,
    )
    assert upload.status_code == 201, upload.text
    answered = await client.post(f"{url}/supplement", json={"note": "已上传结婚证"}, headers=headers)
    assert answered.status_code == 200, answered.text
    await deliver_all(runtime)
    held = (await platform.get(f"/api/cases/{ref}")).json()
    assert held["supplements"][0]["materials"][0]["code"] == "marriage_cert"

    timeline = answered.json()["timeline"]
    steps = [e["status_to"] if e["kind"] == "status" else e["kind"] for e in timeline]
    answered_at = steps.index("supplement_answered")
    assert steps[answered_at + 1] == "in_review"  # "More materials sent", then "In review"
    assert steps[answered_at - 2 : answered_at] == ["supplement_requested", "material"]


async def test_callbacks__a_refused_callback_is_recorded_alerts_operators_and_the_next_one_reconciles(
    client, settings, runtime, seeded, platform
) -> None:
    user = await make_user()
    operator = await make_user(roles={Role.DEPT_OPERATOR: ["gongan"]})
    other_department = await make_user(roles={Role.DEPT_OPERATOR: ["shebao"]})
    headers = auth_headers(user, settings)
    case = await _delivered_case(client, settings, runtime, user)
    ref, url = case["platform_ref"], f"/api/v1/gov/applications/{case['id']}"

    # The platform says "approved" although it never told us it accepted the case.
    assert (await advance(platform, ref, "approved", message="准予迁入"))["callback_status"] == 409
    refused = (await client.get(url, headers=headers)).json()
    assert refused["status"] == "submitted"
    entry = refused["timeline"][-1]
    assert entry["kind"] == "callback_refused" and entry["status_to"] == "approved"
    assert entry["label"] == "平台状态更新未能应用，已通知业务人员"
    alerts = await InboxMessage.filter(user_id=operator.id).values_list("kind", flat=True)
    assert alerts == ["notify.gov.callback_refused"]
    assert not await InboxMessage.filter(user_id=other_department.id).exists()
    inbox = (await client.get("/api/v1/me/inbox", headers=auth_headers(operator, settings))).json()
    assert case["ref"] in inbox["items"][0]["text"]

    # The platform's next callback is taken as it stands and fills in what we missed.
    assert (await advance(platform, ref, "completed"))["callback_status"] == 200
    done = (await client.get(url, headers=headers)).json()
    assert done["status"] == "completed" and done["accepted_at"] and done["due_date"]
    last = done["timeline"][-1]
    assert (last["kind"], last["status_from"], last["status_to"]) == ("status", "submitted", "completed")
    # Back in step: an illegal move is refused (and recorded) again rather than reconciled silently.
    assert (await advance(platform, ref, "accepted"))["callback_status"] == 409
