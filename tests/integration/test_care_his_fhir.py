"""FHIR validated on both sides of the hospital interface: the HIS sandbox refuses an invalid Appointment
with an OperationOutcome, and our adapter refuses an answer that is not valid FHIR R4 (a protocol error,
never a half-read schedule) and reads an OperationOutcome as the HIS's refusal with its issue code."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import httpx
import pytest

from integrations.his.client import HisClient
from integrations.his.errors import HisProtocolError, HisRejected
from integrations.his.fhir import operation_outcome

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_his_sandbox__refuses_an_appointment_that_is_not_valid_fhir(client: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/fhir+json"}
    invalid = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": "tomorrow morning",  # not a FHIR instant
        "participant": [{"status": "accepted"}],
    }
    answer = await client.post("/sandbox/his/fhir/Appointment", content=json.dumps(invalid), headers=headers)
    assert answer.status_code == 400
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["code"] == "structure"
    # Valid FHIR, but not ours: without our booking identifier the HIS cannot deduplicate a retry.
    anonymous = {
        "resourceType": "Appointment",
        "status": "booked",
        "participant": [{"actor": {"reference": "PractitionerRole/jy-rmyy-nk-01"}, "status": "accepted"}],
    }
    answer = await client.post(
        "/sandbox/his/fhir/Appointment", content=json.dumps(anonymous), headers=headers
    )
    assert answer.status_code == 400 and answer.json()["issue"][0]["code"] == "required"


def _his(handler) -> HisClient:
    return HisClient(
        base_url="http://his.test",
        http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        retries=1,
    )


async def test_his_client__an_invalid_fhir_answer_is_a_protocol_error() -> None:
    slot = {
        "resourceType": "Slot",
        "id": "s1",
        "schedule": {"reference": "Schedule/x"},
        "status": "free",
        "start": "3 December, 8 o'clock",  # not a FHIR instant
        "end": "2026-12-03T08:30:00+08:00",
    }
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": slot}]}
    his = _his(lambda request: httpx.Response(200, json=bundle))
    with pytest.raises(HisProtocolError):
        await his.slots("jy-rmyy-nk-01", dt.date(2026, 12, 3), tz=SHANGHAI)
    not_a_bundle = _his(lambda request: httpx.Response(200, json={"resourceType": "Patient", "id": "p"}))
    with pytest.raises(HisProtocolError):
        await not_a_bundle.hospitals()


async def test_his_client__an_operation_outcome_is_the_his_refusal_with_its_issue_code() -> None:
    outcome = operation_outcome("conflict", "the slot has no number left")
    his = _his(lambda request: httpx.Response(409, json=outcome))
    with pytest.raises(HisRejected) as refused:
        await his.hospitals()
    assert refused.value.remote_code == "conflict" and refused.value.status == 409
