"""The government-service platform adapter against its sandbox running standalone on loopback."""

from __future__ import annotations

import uuid

import httpx
import pytest

from integrations.gov_platform.client import GovPlatformClient
from integrations.gov_platform.errors import CaseRefused, GovPlatformDown
from integrations.gov_platform.types import CaseSubmission, SubmissionMaterial
from integrations.http import CircuitBreaker
from integrations.sandbox import SandboxOptions


def _submission(event_id: str | None = None) -> CaseSubmission:
    return CaseSubmission(
        event_id=event_id or uuid.uuid4().hex,
        case_id=str(uuid.uuid4()),
        case_ref="JY20261130-ABC123",
        item_code="hukou-move-in",
        department_code="gongan",
        applicant_id=str(uuid.uuid4()),
        submitted_at="2026-11-30T09:00:00+08:00",
        materials=[
            SubmissionMaterial(
                code="proof_document", content_type="application/pdf", size=10, sha256="0" * 64
            )
        ],
        form_fields=["reason"],
    )


@pytest.fixture
async def rig(sandbox):
    options = SandboxOptions(app_key="citizen-api", app_secret="s3cret", callback_url=None)
    base_url, options = await sandbox("gov_platform", options)
    async with httpx.AsyncClient(timeout=5) as http:
        client = GovPlatformClient(
            base_url=base_url,
            http=http,
            app_key="citizen-api",
            app_secret="s3cret",
            breaker=CircuitBreaker(threshold=100),
        )
        async with httpx.AsyncClient(base_url=base_url, timeout=5) as control:
            yield client, control, options


async def test_submit__signed_and_deduplicated_on_the_event_id(rig) -> None:
    client, control, _ = rig
    submission = _submission()
    first = await client.submit_case(submission)
    again = await client.submit_case(submission)
    assert first.platform_ref.startswith("HN") and first.duplicate is False
    assert again.platform_ref == first.platform_ref and again.duplicate is True
    held = (await control.get("/api/cases")).json()
    assert held["received"] == 1
    assert held["cases"][0]["materials"][0]["code"] == "proof_document"

    await client.send_supplement(
        event_id="e-sup", platform_ref=first.platform_ref, note="见附件", materials=[]
    )
    await client.withdraw_case(event_id="e-wd", platform_ref=first.platform_ref, reason="不需要了")
    case = (await control.get(f"/api/cases/{first.platform_ref}")).json()
    assert case["status"] == "withdrawn" and len(case["supplements"]) == 1


async def test_submit__wrong_secret_is_refused_for_good(rig) -> None:
    _, control, _ = rig
    base_url = str(control.base_url).rstrip("/")
    async with httpx.AsyncClient(timeout=5) as http:
        impostor = GovPlatformClient(base_url=base_url, http=http, app_key="citizen-api", app_secret="wrong")
        with pytest.raises(CaseRefused) as refused:
            await impostor.submit_case(_submission())
    assert refused.value.status == 401 and refused.value.remote_code == "bad_signature"
    with pytest.raises(CaseRefused):
        await rig[0].withdraw_case(event_id="e", platform_ref="HN-NOPE", reason="")


async def test_submit__down_or_failing_platform_is_a_retryable_error(rig) -> None:
    client, control, _ = rig
    await control.post("/__faults", json={"down": True})
    with pytest.raises(GovPlatformDown):
        await client.submit_case(_submission())
    await control.post("/__faults", json={"down": False, "fail_next": 1, "fail_status": 500})
    with pytest.raises(GovPlatformDown):
        await client.submit_case(_submission())
    receipt = await client.submit_case(_submission())  # one attempt per call; this one gets through
    assert receipt.platform_ref
    assert (await control.get("/api/cases")).json()["received"] == 1


async def test_submit__unreachable_platform_is_a_retryable_error() -> None:
    async with httpx.AsyncClient(timeout=1) as http:
        client = GovPlatformClient(base_url="http://127.0.0.1:9", http=http, app_key="k", app_secret="s")
        with pytest.raises(GovPlatformDown):
            await client.submit_case(_submission())
