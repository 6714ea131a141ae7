"""Per-request plumbing: request id, language, input hygiene, metrics, response headers."""

from __future__ import annotations

import functools
import hmac
import ipaddress
import itertools
import os
import re
import time
from typing import Any
from urllib.parse import unquote_to_bytes

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from citizen_api.endpoint import behind_proxy, parse_multipart_body
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
_REQUEST_ID = b"X-Request-Id"
_LANGUAGE = b"Content-Language"


@functools.lru_cache(maxsize=512)
def _locale(lang: str | None, accept_language: str | None) -> str:
    # Clients send a handful of distinct Accept-Language values: negotiate each once (issue 12).
    return negotiate(lang, accept_language=accept_language)


# Without ?lang= (nearly every request): the locale by Accept-Language alone, one dict read instead of
# the LRU's key building and bookkeeping (bounded: a full table is dropped and refilled).
_LOCALE_BY_HEADER: dict[str | None, str] = {}
_MAX_LOCALE_HEADERS = 512


def _header_locale(accept_language: str | None) -> str:
    locale = _LOCALE_BY_HEADER.get(accept_language)
    if locale is None:
        if len(_LOCALE_BY_HEADER) >= _MAX_LOCALE_HEADERS:
            _LOCALE_BY_HEADER.clear()
        locale = _LOCALE_BY_HEADER[accept_language] = _locale(None, accept_language)
    return locale


@functools.lru_cache(maxsize=64)
def _language_value(locale: str) -> bytes:
    return (_CONTENT_LANGUAGE.get(locale) or locale.replace("_", "-")).encode()


# The locales we serve, read without the LRU's call (others go through _language_value).
_LANGUAGE_WIRE = {locale: _language_value(locale) for locale in _CONTENT_LANGUAGE}


# Request ids: 64 random bits drawn once per process, then a counter (32 hex digits in all). Unique
# across workers and restarts (each process draws its own prefix: two of them share one with a
# chance of 2^-64 per pair) and within a process (the counter never repeats). Cheaper than 16 bytes
# of os.urandom per request (a system call each). Request ids are not secrets: they are echoed to
# the client, written to logs, audit entries and outbox rows and sent to departments; nothing
# authorises or deduplicates by them (clients may send their own, see _VALID_REQUEST_ID).
class _RequestIds:
    """The process's id source; drawn again in a forked child (it must not repeat its parent's ids)."""

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        prefix = os.urandom(8).hex()
        self.next = map(f"{prefix}{{:016x}}".format, itertools.count(1)).__next__


_REQUEST_IDS = _RequestIds()


def new_request_id() -> str:
    """A request id unique across processes and restarts (see above)."""
    return _REQUEST_IDS.next()


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
        children[0].value += 1
        children[1].observe(seconds)


perf_counter = time.perf_counter
_tuple = tuple.__new__


class _Edge:
    """What every response of the app carries and records, added as its head is written.

    `citizen_api.response_headers.processed_headers` calls `head()` for each response of a request
    that `_begin` marked (request.ctx.edge): the request id (replacing one a handler set), the
    Content-Language of request.ctx.locale (unless the handler set one) and the route's metrics.
    """

    __slots__ = ("route_metrics",)

    def __init__(self, metrics: Any) -> None:
        self.route_metrics = _RouteMetrics(metrics)

    def head(self, request: Request, response: HTTPResponse, wire: list[tuple[bytes, bytes]]) -> None:
        ctx = request.ctx
        headers = response.headers
        if headers.get("x-request-id") is not None:
            wire[:] = [item for item in wire if item[0].lower() != b"x-request-id"]
        wire.append((_REQUEST_ID, ctx.request_id_bytes))
        if "content-language" not in headers:
            locale = ctx.locale
            wire.append((_LANGUAGE, _LANGUAGE_WIRE.get(locale) or _language_value(locale)))
        route = request.route
        self.route_metrics.observe(
            route.path if route else None, request.method, response.status, perf_counter() - ctx.started
        )


def register_middleware(app: Sanic) -> None:
    """One request middleware for every route (the response side is `_Edge`); call once from create_app."""
    # Settings are fixed for the app's life: an unrestricted deployment pays nothing for the guard.
    guard_operator_pages = app.ctx.settings.ops_pages_restricted
    edge = _Edge(app.ctx.metrics)
    request_id_pattern = _VALID_REQUEST_ID.match
    proxied = behind_proxy(app.config)

    # Bound once: each request sets all three (issue 12: attribute lookups per request add up).
    set_request_context = request_context.set
    set_call_context = call_context.set
    set_origin = audit.request_origin.set
    origin = audit.RequestOrigin

    # A plain function: Sanic awaits only what is awaitable, so no coroutine is made per request.
    @app.on_request(priority=100)
    def _begin(request: Request) -> None:
        headers = request.headers
        incoming = headers.get("x-request-id")
        request_id = incoming if incoming and request_id_pattern(incoming) else _REQUEST_IDS.next()
        ctx = request.ctx
        ctx.started = perf_counter()
        ctx.request_id = request_id
        ctx.request_id_bytes = request_id.encode()  # the pattern and our ids are ASCII
        if request.query_string and (lang := request.args.get("lang")) is not None:
            ctx.locale = _locale(lang, headers.get("accept-language"))
        else:
            ctx.locale = _header_locale(headers.get("accept-language"))
        ctx.edge = edge
        # Logs, outbox rows, audit entries and adapter calls made for this request carry its id (the
        # endpoint adds the acting user once the caller is authenticated). The NamedTuples are made
        # by tuple.__new__, which is what their generated __new__ calls, without that extra call.
        set_request_context(_tuple(RequestContext, (request_id, None)))
        set_call_context(_tuple(CallContext, (request_id, None, None)))
        ip = (request.remote_addr or request.ip or "unknown") if proxied else (request.ip or "unknown")
        set_origin(_tuple(origin, (ip, request_id)))
        if request.body or b"%00" in request.raw_url or b"\x00" in request.raw_url:
            _refuse_nul_bytes(request)
        if guard_operator_pages:
            _guard_operator_pages(request)
