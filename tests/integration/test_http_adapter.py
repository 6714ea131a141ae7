"""The adapter base: retries only idempotent calls, circuit breaker, signing, typed errors."""

from __future__ import annotations

import json

import httpx
import pytest

from integrations.errors import (
    CircuitOpen,
    IntegrationProtocolError,
    IntegrationRejected,
    IntegrationUnavailable,
)
from integrations.http import CallContext, CircuitBreaker, HttpAdapter, call_context
from integrations.signing import verify_signature


class Department(HttpAdapter):
    system = "department"


def adapter(handler, **kwargs) -> tuple[Department, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request, len(seen))

    client = httpx.AsyncClient(transport=httpx.MockTransport(record))
    return Department(base_url="http://dept.test/api", http=client, **kwargs), seen


async def test_request__idempotent_get_retried_until_success() -> None:
    dept, seen = adapter(lambda req, n: httpx.Response(503) if n < 3 else httpx.Response(200, json={"ok": 1}))
    assert await dept.request_json("GET", "/status") == {"ok": 1}
    assert len(seen) == 3


async def test_request__post_is_not_retried() -> None:
    dept, seen = adapter(lambda req, n: httpx.Response(503))
    with pytest.raises(IntegrationUnavailable):
        await dept.request_json("POST", "/cases", json_body={"a": 1})
    assert len(seen) == 1


async def test_request__post_declared_idempotent_is_retried() -> None:
    dept, seen = adapter(lambda req, n: httpx.Response(502) if n == 1 else httpx.Response(200, json={}))
    await dept.request_json("POST", "/cases", json_body={"event_id": "e1"}, idempotent=True)
    assert len(seen) == 2


async def test_request__transport_error_and_timeout_are_unavailable() -> None:
    def fail(request: httpx.Request, n: int) -> httpx.Response:
        raise httpx.ConnectError("refused") if n == 1 else httpx.ReadTimeout("slow")

    dept, _ = adapter(fail, retries=2)
    with pytest.raises(IntegrationUnavailable) as error:
        await dept.request("GET", "/x")
    assert error.value.system == "department" and "timeout" in str(error.value)


async def test_request_json__4xx_rejected_with_remote_code_and_bad_json_is_protocol_error() -> None:
    dept, _ = adapter(lambda req, n: httpx.Response(400, json={"code": "E1001", "message": "bad"}))
    with pytest.raises(IntegrationRejected) as error:
        await dept.request_json("GET", "/x")
    assert error.value.remote_code == "E1001" and error.value.status == 400
    dept, _ = adapter(lambda req, n: httpx.Response(200, content=b"<html>oops</html>"))
    with pytest.raises(IntegrationProtocolError):
        await dept.request_json("GET", "/x")


async def test_circuit_breaker__opens_after_failures_and_short_circuits() -> None:
    dept, seen = adapter(
        lambda req, n: httpx.Response(500), retries=1, breaker=CircuitBreaker(threshold=3, cooldown_s=60)
    )
    for _ in range(3):
        with pytest.raises(IntegrationUnavailable):
            await dept.request("GET", "/x")
    with pytest.raises(CircuitOpen):
        await dept.request("GET", "/x")
    assert len(seen) == 3  # the open circuit sent nothing


async def test_circuit_breaker__half_open_trial_closes_it() -> None:
    breaker = CircuitBreaker(threshold=1, cooldown_s=0.0)
    dept, _ = adapter(
        lambda req, n: httpx.Response(500) if n == 1 else httpx.Response(200, json={}),
        retries=1,
        breaker=breaker,
    )
    with pytest.raises(IntegrationUnavailable):
        await dept.request("GET", "/x")
    await dept.request_json("GET", "/x")
    assert breaker.opened_at is None and breaker.failures == 0


async def test_request__signed_and_traced() -> None:
    dept, seen = adapter(lambda req, n: httpx.Response(200, json={}), app_key="citizen", app_secret="s3cret")
    token = call_context.set(CallContext(request_id="req-1", acting_user="u-1", case_id="case-9"))
    try:
        await dept.request_json("POST", "/cases", json_body={"name": "王"}, params={"v": 2})
    finally:
        call_context.reset(token)
    request = seen[0]
    assert request.headers["X-Request-Id"] == "req-1"
    assert request.headers["X-Acting-User"] == "u-1" and request.headers["X-Case-Id"] == "case-9"
    assert json.loads(request.content) == {"name": "王"}
    assert verify_signature(
        headers=request.headers,
        secret="s3cret",
        method="POST",
        path=request.url.raw_path.decode(),
        body=request.content,
    )
    assert not verify_signature(
        headers=request.headers,
        secret="other",
        method="POST",
        path=request.url.raw_path.decode(),
        body=request.content,
    )
