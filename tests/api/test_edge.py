"""The HTTP edge: error envelope in the caller's language, request ids, readiness, metrics, OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import Field
from sanic import Blueprint, HTTPResponse, Request, json

from citizen_api.app import create_app
from citizen_api.endpoint import endpoint
from citizen_api.schemas.common import ListQuery, StrictModel
from citizen_api.settings import Settings
from services.common.errors import Conflict, RateLimited
from tests.conftest import free_port, start_server, stop_server


class EchoIn(StrictModel):
    name: str = Field(min_length=1, max_length=20)
    count: int = Field(ge=1, le=5)


def _probe_blueprint() -> Blueprint:
    bp = Blueprint("probe", url_prefix="/probe")

    @bp.post("/echo")
    @endpoint(summary="Echo", tag="probe", body=EchoIn)
    async def echo(request: Request, *, body: EchoIn) -> dict:
        return {"name": body.name, "count": body.count}

    @bp.get("/list")
    @endpoint(summary="List", tag="probe", query=ListQuery)
    async def listing(request: Request, *, query: ListQuery) -> dict:
        return {"limit": query.limit}

    @bp.get("/conflict")
    @endpoint(summary="Conflict", tag="probe")
    async def conflict(request: Request) -> dict:
        raise Conflict("outbox.not_retryable", status="delivered")

    @bp.get("/conflict-outside")
    async def conflict_outside(request: Request) -> dict:
        # A route outside @endpoint: its refusal reaches the app's DomainError handler.
        raise Conflict("outbox.not_retryable", status="delivered")

    @bp.post("/limited")
    @endpoint(summary="Limited", tag="probe", body=EchoIn)
    async def limited(request: Request, *, body: EchoIn) -> dict:
        raise RateLimited(retry_after=17)

    @bp.post("/limited-outside")
    async def limited_outside(request: Request) -> dict:
        raise RateLimited(retry_after=17)

    @bp.get("/times")
    @endpoint(summary="Times", tag="probe")
    async def times(request: Request) -> dict:
        import datetime as dt

        return {
            "at": dt.datetime(2026, 12, 1, 4, 30, tzinfo=dt.UTC),
            "list": [dt.datetime(2026, 1, 1, tzinfo=dt.UTC)],
        }

    @bp.get("/late")
    @endpoint(summary="Late", tag="probe")
    async def late(request: Request) -> dict:
        import datetime as dt

        raise Conflict(
            "outbox.not_retryable", details={"deadline": dt.datetime(2026, 12, 1, 4, 30, tzinfo=dt.UTC)}
        )

    @bp.get("/own-headers")
    @endpoint(summary="Own headers", tag="probe")
    async def own_headers(request: Request) -> HTTPResponse:
        # A handler that sets the edge's headers itself: its language stays, its request id does not.
        return json({"ok": True}, headers={"X-Request-Id": "handler-chosen-id", "Content-Language": "fr"})

    @bp.get("/boom")
    @endpoint(summary="Boom", tag="probe")
    async def boom(request: Request) -> dict:
        raise RuntimeError("secret internal detail 13812345678")

    return bp


@pytest.fixture(scope="module")
async def probe(settings: Settings, db: None) -> AsyncIterator[httpx.AsyncClient]:
    port = free_port()
    app = create_app(settings.model_copy(update={"port": port}))
    app.blueprint(_probe_blueprint())
    app.ctx.exceptions_handled = []

    @app.signal("http.lifecycle.exception")
    async def _seen(request: Request, exception: BaseException) -> None:
        app.ctx.exceptions_handled.append(request.path)

    server = await start_server(app, port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        http._probe_app = app  # type: ignore[attr-defined]
        yield http
    await stop_server(server)


def probe_app_of(probe: httpx.AsyncClient):
    return probe._probe_app  # type: ignore[attr-defined]


def _error(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["request_id"] == response.headers["X-Request-Id"]
    return body["error"]


async def test_unknown_route__404_envelope_in_chinese_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    error = _error(response)
    assert error["code"] == "request.route_not_found" and error["message"] == "接口不存在。"


async def test_unknown_route__english_from_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert _error(response)["message"] == "There is no such endpoint."
    assert response.headers["Content-Language"] == "en"


async def test_wrong_method__405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health")
    assert response.status_code == 405
    assert _error(response)["code"] == "request.method_not_allowed"
    assert "GET" in response.headers["Allow"]


async def test_malformed_json__400(probe: httpx.AsyncClient) -> None:
    response = await probe.post(
        "/probe/echo", content=b'{"name": "x",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "request.malformed"


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "", "count": 1},
        {"name": "x", "count": "many"},
        {"name": "x", "count": 9},
        {"name": "x"},
        {"name": "x", "count": 1, "unknown": True},
        {"name": ["x"], "count": {"a": 1}},
    ],
)
async def test_invalid_body__422_with_field_details_and_no_echo(
    probe: httpx.AsyncClient, payload: dict
) -> None:
    response = await probe.post("/probe/echo", json=payload, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    error = _error(response)
    assert error["code"] == "request.invalid"
    assert error["details"] and all({"field", "type", "reason"} <= set(d) for d in error["details"])
    assert "many" not in response.text  # input values are not echoed back


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"42", b"null"])
async def test_body_not_an_object__422(probe: httpx.AsyncClient, raw: bytes) -> None:
    response = await probe.post("/probe/echo", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 422


async def test_valid_body__handler_result_serialised(probe: httpx.AsyncClient) -> None:
    response = await probe.post("/probe/echo", json={"name": " 王屋山 ", "count": 2})
    assert response.status_code == 200 and response.json() == {"name": "王屋山", "count": 2}


async def test_list_limit__capped_and_validated(probe: httpx.AsyncClient) -> None:
    assert (await probe.get("/probe/list")).json() == {"limit": 20}
    assert (await probe.get("/probe/list?limit=500")).status_code == 422
    assert (await probe.get("/probe/list?limit=abc")).status_code == 422


async def test_domain_error__mapped_status_and_translated_params(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/probe/conflict", headers={"Accept-Language": "en"})
    assert response.status_code == 409
    assert "(delivered)" in _error(response)["message"]


@pytest.mark.parametrize(
    ("inside", "outside", "method"),
    [
        ("/probe/conflict", "/probe/conflict-outside", "GET"),
        ("/probe/limited", "/probe/limited-outside", "POST"),
    ],
)
async def test_domain_error__an_endpoints_refusal_is_answered_as_the_apps_handler_answers(
    probe: httpx.AsyncClient, inside: str, outside: str, method: str
) -> None:
    # @endpoint answers its handlers' refusals itself, not through Sanic's exception handling
    # (issue 12); what the caller receives must not differ from the app's DomainError handler.
    app = probe_app_of(probe)
    seen_before = list(app.ctx.exceptions_handled)
    body = {"name": "a", "count": 1} if method == "POST" else None
    for language in ("en", "zh-CN"):
        answers = [
            await probe.request(method, path, json=body, headers={"Accept-Language": language})
            for path in (inside, outside)
        ]
        first, second = answers
        assert first.status_code == second.status_code and first.status_code in (409, 429)
        for name in ("Content-Type", "Content-Language", "Retry-After"):
            assert first.headers.get_list(name) == second.headers.get_list(name), name
        assert len(first.headers.get_list("X-Request-Id")) == 1
        envelopes = [_error(answer) for answer in answers]
        for envelope in envelopes:
            envelope.pop("request_id")
        assert envelopes[0] == envelopes[1]
    if method == "POST":
        assert first.headers["Retry-After"] == "17"
    # Sanic's exception path ran for the route outside @endpoint only.
    assert app.ctx.exceptions_handled[len(seen_before) :] == [outside, outside]


async def test_unexpected_exception__generic_500_without_details(
    probe: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await probe.get("/probe/boom")
    assert response.status_code == 500
    error = _error(response)
    assert error["code"] == "server.error" and "secret" not in response.text


async def test_request_id__echoed_when_valid_generated_when_not(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"X-Request-Id": "abc-123-def-456"})
    assert response.headers["X-Request-Id"] == "abc-123-def-456"
    response = await client.get("/health", headers={"X-Request-Id": "bad id\twith junk"})
    assert (
        response.headers["X-Request-Id"] != "bad id\twith junk"
        and len(response.headers["X-Request-Id"]) == 32
    )


async def test_edge_headers__one_request_id_and_the_handlers_language(probe: httpx.AsyncClient) -> None:
    response = await probe.get("/probe/own-headers", headers={"X-Request-Id": "client-id-0001"})
    assert response.headers.get_list("X-Request-Id") == ["client-id-0001"]
    assert response.headers.get_list("Content-Language") == ["fr"]


async def test_edge_headers__on_a_500_and_a_405_too(probe: httpx.AsyncClient) -> None:
    failed = await probe.get("/probe/boom", headers={"Accept-Language": "en"})
    assert failed.status_code == 500
    assert failed.headers.get_list("Content-Language") == ["en"]
    assert len(failed.headers.get_list("X-Request-Id")) == 1
    assert failed.json()["error"]["request_id"] == failed.headers["X-Request-Id"]
    refused = await probe.delete("/probe/echo")
    assert refused.status_code == 405 and refused.headers["Content-Language"] == "zh-CN"


async def test_request_ids__distinct_per_request(client: httpx.AsyncClient) -> None:
    ids = {(await client.get("/health")).headers["X-Request-Id"] for _ in range(50)}
    assert len(ids) == 50 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


async def test_ready__503_with_details_when_redis_is_down(settings: Settings, db: None) -> None:
    port = free_port()
    closed = free_port()
    app = create_app(settings.model_copy(update={"port": port, "redis_url": f"redis://127.0.0.1:{closed}/0"}))
    server = await start_server(app, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.get("/ready")
            health = await http.get("/health")
    finally:
        await stop_server(server)
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["redis"].startswith("down")
    assert health.status_code == 200  # alive, just not ready


async def test_metrics__counts_requests_by_route_and_status(client: httpx.AsyncClient) -> None:
    await client.get("/health")
    await client.get("/api/v1/no-such-thing")
    text = (await client.get("/metrics")).text
    assert 'citizen_http_requests_total{method="GET",route="/health",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "citizen_http_request_duration_seconds_bucket" in text


async def test_metrics__each_request_counted_once(client: httpx.AsyncClient) -> None:
    line = 'citizen_http_requests_total{method="GET",route="/health",status="200"} '

    async def count() -> float:
        text = (await client.get("/metrics")).text
        return float(next((row[len(line) :] for row in text.splitlines() if row.startswith(line)), 0))

    before = await count()
    for _ in range(7):
        await client.get("/health")
    assert await count() - before == 7


async def test_openapi__every_route_documented_with_summary(openapi_document: dict, app, client) -> None:
    document = openapi_document
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    documented = {(path, method.upper()) for path, ops in paths.items() for method in ops}
    undocumented = []
    for route in app.router.routes:
        uri = "/" + route.path.lstrip("/")
        # Not part of the API contract: the docs themselves, simulators, the console's static files,
        # and Open311's catch-all that answers unknown paths with its own 404.
        if uri.startswith(("/docs", "/sandbox", "/console")) or route.name.endswith(
            ("static", "_faults", "open311.unknown")
        ):
            continue
        openapi_uri = (
            "/"
            + "/".join(
                "{" + part[1:-1].split(":")[0] + "}" if part.startswith("<") else part
                for part in uri.strip("/").split("/")
            )
            if uri != "/"
            else "/"
        )
        for method in route.methods:
            if method in {"HEAD", "OPTIONS"}:
                continue
            operation = paths.get(openapi_uri, {}).get(method.lower())
            if (openapi_uri, method) not in documented or not operation or not operation.get("summary"):
                undocumented.append(f"{method} {openapi_uri}")
    assert not undocumented, f"routes without an OpenAPI summary: {undocumented}"
    ui = await client.get("/docs")
    assert ui.status_code == 200 and "html" in ui.headers["content-type"]


# -- bad input that used to answer 500 (issue 10, point 8) -------------------------------------------


def _cursor(raw: str) -> str:
    import base64

    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("seq", ["1e400", str(2**63), "-1", "1.5", "true", '"7"', "null"])
async def test_audit_cursor__out_of_range_or_not_an_integer_is_422(client, settings, seq: str) -> None:
    from services.accounts.enums import Role
    from tests.factories import auth_headers, make_user

    admin = await make_user(roles={Role.ADMIN: [""]})
    response = await client.get(
        "/api/v1/admin/audit",
        params={"cursor": _cursor('{"seq":' + seq + "}")},
        headers=auth_headers(admin, settings),
    )
    assert response.status_code == 422, response.text
    assert _error(response)["code"] == "request.bad_cursor"


async def test_wechat_push__json_nested_1000_deep_is_a_clear_4xx(client, settings) -> None:
    from tests.api.test_wechat_push import signed

    token = settings.wechat_push_token.get_secret_value()
    raw = b'{"a":' * 1000 + b"1" + b"}" * 1000
    response = await client.post(
        "/wechat/push", params=signed(token), content=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert _error(response)["code"] == "request.malformed"


async def test_multipart_without_boundary__400_and_no_error_logged(
    client, settings, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from tests.factories import auth_headers, make_user

    user = await make_user()
    caplog.set_level(logging.INFO)
    response = await client.post(
        "/api/v1/community/uploads",
        content=b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\nabc\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data"} | auth_headers(user, settings),
    )
    assert response.status_code == 400, response.text
    assert _error(response)["code"] == "request.malformed"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_body_with_760000_unknown_keys__fast_small_422(probe: httpx.AsyncClient) -> None:
    import json
    import time

    body = json.dumps({f"k{n}": 0 for n in range(760_000)} | {"name": "a", "count": 1}).encode()
    started = time.monotonic()
    response = await probe.post("/probe/echo", content=body, headers={"Content-Type": "application/json"})
    elapsed = time.monotonic() - started
    assert response.status_code == 422, response.text[:200]
    assert len(response.content) < 10_000
    assert _error(response)["code"] == "request.too_many_fields"
    assert elapsed < 2.0, elapsed  # 5.7 s before: decoding, then building 760,000 errors


async def test_body_with_300_unknown_keys__too_many_fields(probe: httpx.AsyncClient) -> None:
    response = await probe.post("/probe/echo", json={f"k{n}": 0 for n in range(300)})
    assert response.status_code == 422
    assert _error(response)["code"] == "request.too_many_fields"


async def test_validation_details__capped_at_20(probe: httpx.AsyncClient) -> None:
    body = {f"k{n}": 0 for n in range(60)} | {"name": "a", "count": 1}
    response = await probe.post("/probe/echo", json=body)
    assert response.status_code == 422
    details = _error(response)["details"]
    assert len(details) == 20 and all(d["type"] == "extra_forbidden" for d in details)


async def test_times__every_response_in_city_time_with_offset(probe: httpx.AsyncClient) -> None:
    body = (await probe.get("/probe/times")).json()
    assert body == {"at": "2026-12-01T12:30:00+08:00", "list": ["2026-01-01T08:00:00+08:00"]}
    error = _error(await probe.get("/probe/late"))
    assert error["details"] == {"deadline": "2026-12-01T12:30:00+08:00"}
