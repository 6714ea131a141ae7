"""The bureau's review round trip through its sandbox: delivery through the outbox, 补充材料,
approval and rejection with a reason, signed callbacks with replay protection, the staff queue."""

from __future__ import annotations

import json

import httpx
import pytest

from integrations.signing import sign_request
from services.accounts.enums import Role
from services.education.enums import Phase
from services.education.models import Application, ApplicationEvent
from services.notifications.models import InboxMessage
from tests.api.test_education_support import (
    PNG,
    application_body,
    bureau_control,
    child_id,
    clear_households,
    deliver_education,
    fresh_districts,
    make_round,
    real_name_parent,
    register_household,
    seed_catalogue,
    upload_all,
)
from tests.factories import auth_headers, make_user

ENROLL = "/api/v1/education/enrollments"
CALLBACK = "/api/v1/integrations/education_bureau/callback"


@pytest.fixture
async def bureau(settings):
    async with bureau_control(settings) as control:
        yield control
    await clear_households(settings)


async def _delivered(client, settings, runtime, app, *, serial: str = "555") -> dict:
    """A submitted application that has reached the bureau: (ids, headers, bureau ref)."""
    await seed_catalogue()
    fresh_districts(app)
    await make_round(runtime, phase=Phase.REGISTRATION)
    user, id_number = await real_name_parent(client, settings, serial=serial)
    child = child_id(serial=serial)
    await register_household(settings, id_number, child)
    headers = auth_headers(user, settings)
    created = (
        await client.post(ENROLL, json=application_body("T-2027-primary", child), headers=headers)
    ).json()
    await upload_all(client, headers, created["id"], created["required_materials"])
    assert (await client.post(f"{ENROLL}/{created['id']}/submit", headers=headers)).status_code == 200
    await deliver_education(runtime)
    ref = (await Application.get(id=created["id"])).bureau_ref
    assert ref
    return {
        "id": created["id"],
        "url": f"{ENROLL}/{created['id']}",
        "headers": headers,
        "ref": ref,
        "user": user,
    }


async def _review(bureau: httpx.AsyncClient, ref: str, decision: str, **extra) -> dict:
    response = await bureau.post(f"/__review/{ref}", json={"decision": decision, **extra})
    assert response.status_code == 200, response.text
    return response.json()


async def test_review__round_trip_with_supplementary_materials(
    client, settings, runtime, app, bureau
) -> None:
    case = await _delivered(client, settings, runtime, app)
    staff = await make_user(roles={Role.DEPT_OPERATOR: ["jiaoyu"]})
    queue = (await client.get("/api/v1/education/review-queue", headers=auth_headers(staff, settings))).json()
    assert [a["id"] for a in queue["items"]] == [case["id"]] and queue["items"][0]["child_name"] == "王**"

    assert (await _review(bureau, case["ref"], "in_review"))["callback_status"] == 200
    asked = await _review(
        bureau,
        case["ref"],
        "supplement_requested",
        reason="请补充房产证明原件扫描件",
        materials=["property_certificate"],
    )
    assert asked["callback_status"] == 200
    waiting = (await client.get(case["url"], headers=case["headers"])).json()
    assert waiting["status"] == "supplement_requested"
    assert waiting["supplement"]["materials"] == ["property_certificate"]
    assert waiting["supplement"]["message"] == "请补充房产证明原件扫描件"

    unanswered = await client.post(
        f"{case['url']}/supplement", json={"note": "见附件"}, headers=case["headers"]
    )
    assert unanswered.status_code == 422 and unanswered.json()["error"]["details"]["missing"] == [
        "property_certificate"
    ]
    upload = await client.post(
        f"{case['url']}/materials",
        data={"material_code": "property_certificate"},
        files={"file": ("deed.png", PNG, "image/png")},
        headers=case["headers"],
    )
    assert upload.status_code == 201 and upload.json()["for_supplement"] is True
    answered = await client.post(
        f"{case['url']}/supplement", json={"note": "已补充"}, headers=case["headers"]
    )
    assert answered.status_code == 200 and answered.json()["status"] == "in_review"
    await deliver_education(runtime)
    held = (await bureau.get(f"/api/applications/{case['ref']}")).json()
    assert [m["code"] for m in held["supplements"][0]["materials"]] == ["property_certificate"]
    assert held["supplements"][0]["note"] == "已补充"

    await _review(bureau, case["ref"], "approved")
    done = (await client.get(case["url"], headers=case["headers"])).json()
    assert done["status"] == "approved"
    assert [e["status_to"] for e in done["timeline"]] == [
        "draft",
        "submitted",
        "in_review",
        "supplement_requested",
        "in_review",
        "approved",
    ]
    kinds = (
        await InboxMessage.filter(user_id=case["user"].id)
        .order_by("created_at")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "notify.education.submitted",
        "notify.education.in_review",
        "notify.education.supplement_requested",
        "notify.education.in_review",
        "notify.education.approved",
    ]
    # The bureau retries its last callback (same event id, fresh signature): nothing changes.
    before = await ApplicationEvent.filter(application_id=case["id"]).count()
    assert (await bureau.post(f"/__replay/{case['ref']}")).json()["callback_status"] == 200
    assert await ApplicationEvent.filter(application_id=case["id"]).count() == before
    assert (await client.get("/api/v1/education/review-queue", headers=auth_headers(staff, settings))).json()[
        "items"
    ] == []


async def test_review__rejection_carries_its_reason(client, settings, runtime, app, bureau) -> None:
    case = await _delivered(client, settings, runtime, app, serial="556")
    assert (await bureau.post(f"/__review/{case['ref']}", json={"decision": "rejected"})).status_code == 400
    await _review(bureau, case["ref"], "rejected", reason="房产证明与户籍地址不一致")
    body = (await client.get(case["url"], headers={**case["headers"], "Accept-Language": "en"})).json()
    assert body["status"] == "rejected" and body["reason"] == "房产证明与户籍地址不一致"
    inbox = (await client.get("/api/v1/me/inbox", headers=case["headers"])).json()["items"]
    assert "房产证明与户籍地址不一致" in inbox[0]["text"]
    # Rejected frees the child's place in the round.
    assert (await Application.get(id=case["id"])).active_key is None


def _signed(settings, event: dict, *, secret: str | None = None) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(event).encode()
    headers = sign_request(
        app_key=settings.integration_app_key,
        secret=secret or settings.integration_app_secret.get_secret_value(),
        method="POST",
        path=CALLBACK,
        body=raw,
    )
    return raw, {**headers, "Content-Type": "application/json"}


async def test_callback__forged_replayed_and_malformed_are_refused(
    client, settings, runtime, app, bureau
) -> None:
    case = await _delivered(client, settings, runtime, app, serial="557")
    event = {"event_id": "EB-manual-1", "application_id": case["id"], "status": "in_review"}
    raw, headers = _signed(settings, event, secret="not-the-secret")
    forged = await client.post(CALLBACK, content=raw, headers=headers)
    assert forged.status_code == 401
    raw, headers = _signed(settings, event)
    applied = await client.post(CALLBACK, content=raw, headers=headers)
    assert applied.status_code == 200 and applied.json()["outcome"] == "applied"
    replayed = await client.post(CALLBACK, content=raw, headers=headers)  # the same nonce again
    assert replayed.status_code == 401 and replayed.json()["error"]["code"] == "integration.callback_replayed"
    raw, headers = _signed(settings, event)  # same event id, fresh signature: applied once only
    assert (await client.post(CALLBACK, content=raw, headers=headers)).json()["outcome"] == "duplicate"
    raw, headers = _signed(
        settings, {"event_id": "EB-manual-2", "application_id": case["id"], "status": "admitted"}
    )
    bad = await client.post(CALLBACK, content=raw, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "education.callback.invalid"
    raw, headers = _signed(
        settings, {"event_id": "EB-manual-3", "application_id": case["id"], "status": "rejected"}
    )
    assert (await client.post(CALLBACK, content=raw, headers=headers)).status_code == 422  # no reason


async def test_delivery__bureau_down_waits_and_retries_without_losing_it(
    client, settings, runtime, app, bureau
) -> None:
    await seed_catalogue()
    fresh_districts(app)
    await make_round(runtime, phase=Phase.REGISTRATION)
    user, id_number = await real_name_parent(client, settings, serial="558")
    child = child_id(serial="558")
    await register_household(settings, id_number, child)
    headers = auth_headers(user, settings)
    created = (
        await client.post(ENROLL, json=application_body("T-2027-primary", child), headers=headers)
    ).json()
    await upload_all(client, headers, created["id"], created["required_materials"])
    await bureau.post("/__faults", json={"down": True})
    submitted = await client.post(f"{ENROLL}/{created['id']}/submit", headers=headers)
    assert submitted.status_code == 200  # accepted by us; delivery waits for the bureau
    from citizen_api.worker import deliver_outbox_once

    await deliver_outbox_once(runtime)
    assert (await Application.get(id=created["id"])).bureau_ref is None
    await bureau.delete("/__faults")
    runtime.adapters.education_bureau.breaker.record_success()
    import asyncio

    await asyncio.sleep(0.1)
    await deliver_education(runtime)
    assert (await Application.get(id=created["id"])).bureau_ref
    held = (await bureau.get("/api/applications")).json()["applications"]
    assert [a["application_id"] for a in held].count(created["id"]) == 1  # delivered exactly once


async def test_review_queue__only_for_the_bureaus_staff(client, settings, app) -> None:
    resident = await make_user()
    assert (
        await client.get("/api/v1/education/review-queue", headers=auth_headers(resident, settings))
    ).status_code == 403
    other = await make_user(roles={Role.DEPT_OPERATOR: ["gongan"]})
    assert (
        await client.get("/api/v1/education/review-queue", headers=auth_headers(other, settings))
    ).status_code == 403
