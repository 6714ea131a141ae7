"""The identity adapter against its sandbox on loopback: verdicts, signing, failures."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from integrations.errors import IntegrationUnavailable
from integrations.identity.client import IdentityClient
from integrations.identity.errors import IdentityRequestRejected
from integrations.sandbox import SandboxOptions
from integrations.sandbox.identity import check_character, id_number_problem, make_id_number
from integrations.signing import sign_request


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def _client(base: str, options: SandboxOptions, http: httpx.AsyncClient, **kwargs) -> IdentityClient:
    return IdentityClient(
        base_url=base, http=http, app_key=options.app_key, app_secret=options.app_secret, **kwargs
    )


async def test_identity_client__valid_number_matches(sandbox, http) -> None:
    base, options = await sandbox("identity")
    verdict = await _client(base, options, http).verify(name="张三", id_number=make_id_number())
    assert verdict.matched and verdict.outcome == "match" and verdict.reference


async def test_identity_client__invalid_numbers(sandbox, http) -> None:
    base, options = await sandbox("identity")
    client = _client(base, options, http)
    good = make_id_number()
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    future_first17 = f"419001{dt.date.today().year + 1}0101123"
    bad_region_first17 = "99000119900101123"
    for number in (
        wrong_check,
        "41900119900230123" + check_character("41900119900230123"),  # 30 February
        future_first17 + check_character(future_first17),
        bad_region_first17 + check_character(bad_region_first17),
        "4190011990010112",
    ):
        verdict = await client.verify(name="张三", id_number=number)
        assert verdict.outcome == "invalid_id_number", number
        assert not verdict.matched


async def test_identity_client__configured_rejections(sandbox, http) -> None:
    rejected, unknown = make_id_number(serial="001"), make_id_number(serial="002")
    options = SandboxOptions(extra={"reject": [("李四", rejected)], "unknown": [unknown]})
    base, options = await sandbox("identity", options)
    client = _client(base, options, http)
    assert (await client.verify(name="李四", id_number=rejected)).outcome == "mismatch"
    assert (await client.verify(name="王五", id_number=rejected)).outcome == "match"
    assert (await client.verify(name="李四", id_number=unknown)).outcome == "not_found"


async def test_identity_client__wrong_secret_is_rejected(sandbox, http) -> None:
    base, options = await sandbox("identity")
    client = IdentityClient(base_url=base, http=http, app_key=options.app_key, app_secret="not-the-secret")
    with pytest.raises(IdentityRequestRejected):
        await client.verify(name="张三", id_number=make_id_number())


async def test_identity_sandbox__replayed_request_is_refused(sandbox, http) -> None:
    base, options = await sandbox("identity")
    body = b'{"name": "\\u5f20\\u4e09", "id_number": "' + make_id_number().encode() + b'"}'
    headers = sign_request(
        app_key=options.app_key, secret=options.app_secret, method="POST", path="/v1/verifications", body=body
    )
    headers["Content-Type"] = "application/json"
    first = await http.post(f"{base}/v1/verifications", content=body, headers=headers)
    again = await http.post(f"{base}/v1/verifications", content=body, headers=headers)
    assert first.status_code == 200 and again.status_code == 401


async def test_identity_client__retries_a_transient_failure(sandbox, http) -> None:
    base, options = await sandbox("identity")
    options.faults.fail_next = 1
    verdict = await _client(base, options, http).verify(name="张三", id_number=make_id_number())
    assert verdict.matched
    assert options.faults.calls == 2


async def test_identity_client__system_down_is_unavailable(sandbox, http) -> None:
    base, options = await sandbox("identity")
    options.faults.down = True
    with pytest.raises(IntegrationUnavailable):
        await _client(base, options, http).verify(name="张三", id_number=make_id_number())
    assert options.faults.calls == 3


def test_id_number_problem__gb11643() -> None:
    assert id_number_problem("11010519491231002X") is None  # the standard's own example
    assert id_number_problem("11010519491231002x") is None
    assert id_number_problem("110105194912310021") == "checksum"
    assert id_number_problem("abc") == "format"
