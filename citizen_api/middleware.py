"""Per-request plumbing: request id, language, input hygiene, metrics, response headers."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import os
import re
import time
from typing import Any
from urllib.parse import unquote_to_bytes

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from citizen_api.endpoint import client_ip, parse_multipart_body
from integrations.http import CallContext, call_context
from services.common import audit
from services.common.context import RequestContext, request_context
from services.common.errors import InvalidInput, PermissionDenied
from services.common.i18n import negotiate

__all__ = ["register_middleware"]

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_FORM = "application/x-www-form-urlencoded"
# Pages for operators, not citizens: they reveal internals (traffic, routes, schemas).
_OPERATOR_PAGES = ("/metrics", "/docs")


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def _refuse_nul_bytes(request: Request) -> None:
    """NUL in a URL, a JSON body or a form field is never meaningful text; PostgreSQL cannot store it.

    Refused here, before any handler, so no route can reach the database with it (uploaded file
    contents are binary and not inspected).
    """
    raw_url = request.raw_url
    # Only a raw NUL or its escape %00 can decode to NUL: skip the decoding for every other URL.
    if (b"%00" in raw_url or b"\x00" in raw_url) and b"\x00" in unquote_to_bytes(raw_url):
        raise InvalidInput("request.nul_byte")
    body = request.body
    if not body:
        return
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type == _FORM:
        if b"\x00" in unquote_to_bytes(body.replace(b"+", b" ")):
            raise InvalidInput("request.nul_byte")
    elif content_type.endswith("json"):
        if b"\x00" in body:
            raise InvalidInput("request.nul_byte")
        # Only a body spelling \u0000 can decode to NUL; parse it to tell that from an escaped backslash.
        if b"\\u0000" in body:
            try:
                parsed = request.json
            except Exception:  # noqa: BLE001 - malformed JSON is the handler's 400, not ours
                return
            if _holds_nul(parsed):
                raise InvalidInput("request.nul_byte")
    elif content_type == "multipart/form-data":
        parse_multipart_body(request)  # no boundary / garbled: a 400 here, not Sanic's ERROR traceback
        if any(_holds_nul(values) for values in request.form.values()):
            raise InvalidInput("request.nul_byte")
        if any(_holds_nul(f.name) for files in request.files.values() for f in files):
            raise InvalidInput("request.nul_byte")


def _is_operator_page(path: str) -> bool:
    return any(path == page or path.startswith(page + "/") for page in _OPERATOR_PAGES)


def _guard_operator_pages(request: Request) -> None:
    """Behind CITIZEN_OPS_RESTRICTED: an allowed network or the ops bearer token, else 403."""
    settings = request.app.ctx.runtime.settings
    if not settings.ops_pages_restricted or not _is_operator_page(request.path):
        return
    try:
        address = ipaddress.ip_address(request.remote_addr or request.ip)
    except ValueError:
        address = None
    if address is not None and any(
        address in ipaddress.ip_network(network, strict=False) for network in settings.ops_allowed_networks
    ):
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    expected = settings.ops_token.get_secret_value() if settings.ops_token else ""
    if (
        expected
        and scheme.lower() == "bearer"
        and hmac.compare_digest(token.strip().encode(), expected.encode())
    ):
        return
    raise PermissionDenied("ops.restricted")


# The Content-Language of each locale we serve (others are spelled out per response).
_CONTENT_LANGUAGE = {"zh_CN": "zh-CN", "en": "en"}


@functools.lru_cache(maxsize=512)
def _locale(lang: str | None, accept_language: str | None) -> str:
    # Clients send a handful of distinct Accept-Language values: negotiate each once (issue 12).
    return negotiate(lang, accept_language=accept_language)


class _RouteMetrics:
    """The metric children per (route, method, status), looked up once, not per request.

    Keyed by the route's path as Sanic stores it (None for an unmatched path): the label is built
    once per route, not per request.
    """

    def __init__(self, metrics: Any) -> None:
        self.metrics = metrics
        self.children: dict[tuple[str | None, str, int], tuple[Any, Any]] = {}

    def observe(self, route_path: str | None, method: str, status: int, seconds: float) -> None:
        key = (route_path, method, status)
        children = self.children.get(key)
        if children is None:
            if len(self.children) > 4096:  # unmatched paths are one label; this is only a backstop
                self.children.clear()
            label = "/" + route_path.lstrip("/") if route_path is not None else "unmatched"
            children = self.children[key] = (
                self.metrics.requests(label, method, str(status)),
                self.metrics.latency(label, method),
            )
        children[0].inc()
        children[1].observe(seconds)


def register_middleware(app: Sanic) -> None:
    """One request and one response middleware for every route; call once from create_app."""
    # Settings are fixed for the app's life: an unrestricted deployment pays nothing for the guard.
    guard_operator_pages = app.ctx.settings.ops_pages_restricted
    route_metrics = _RouteMetrics(app.ctx.metrics)
    request_id_pattern = _VALID_REQUEST_ID.match
    perf_counter = time.perf_counter

    @app.on_request(priority=100)
    async def _begin(request: Request) -> None:
        headers = request.headers
        incoming = headers.get("x-request-id")
        request_id = incoming if incoming and request_id_pattern(incoming) else os.urandom(16).hex()
        ctx = request.ctx
        ctx.request_id = request_id
        ctx.started = perf_counter()
        # Logs, outbox rows, audit entries and adapter calls made for this request carry its id (the
        # endpoint adds the acting user once the caller is authenticated).
        request_context.set(RequestContext(request_id=request_id))
        call_context.set(CallContext(request_id=request_id))
        audit.request_origin.set(audit.RequestOrigin(ip=client_ip(request), request_id=request_id))
        lang = request.args.get("lang") if request.query_string else None
        ctx.locale = _locale(lang, headers.get("accept-language"))
        _refuse_nul_bytes(request)
        if guard_operator_pages:
            _guard_operator_pages(request)

    @app.on_response(priority=100)
    async def _end(request: Request, response: HTTPResponse) -> None:
        ctx = request.ctx
        headers = response.headers
        request_id = getattr(ctx, "request_id", None)
        if request_id:
            headers["X-Request-Id"] = request_id
        locale = getattr(ctx, "locale", None)
        if locale and "content-language" not in headers:
            headers["Content-Language"] = _CONTENT_LANGUAGE.get(locale) or locale.replace("_", "-")
        started = getattr(ctx, "started", None)
        if started is not None:
            route = request.route
            route_metrics.observe(
                route.path if route else None, request.method, response.status, perf_counter() - started
            )
