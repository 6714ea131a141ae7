"""Open311 GeoReport v2 at /open311/v2 (JSON and XML), plus the admin routes issuing partner api keys.

The documents are built by services.community.open311; this module only picks the format, reads
the form-encoded POST, and renders results and errors exactly as the specification shows them:
errors are `[{"code": 403, "description": "..."}]` or `<errors><error><code>403</code>...`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any
from xml.etree import ElementTree as ET

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, raw

from citizen_api.endpoint import endpoint, enforce_limit
from citizen_api.schemas.common import Page
from citizen_api.schemas.open311 import ApiKeyIn, ApiKeyOut
from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common.errors import DomainError, RateLimited
from services.common.i18n import translate
from services.common.storage import LocalFileStore, download_headers
from services.community import open311, publication

__all__ = ["create_admin_blueprint", "create_blueprint", "render", "to_xml"]

FORMATS = ("json", "xml")
PREFIX = "/open311/v2"
# How long a shared cache may keep a public photo (a withdrawal must take effect soon).
MEDIA_MAX_AGE_S = 60
# XML element name of the items of each list, by the list's own element name (the spec's examples).
_ITEM_TAG = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
_ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\]]{1,64})\](\[\])?$")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        child_tag = _ITEM_TAG.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, child_tag), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    """The spec's XML: declaration with encoding, no namespace, lists as repeated child elements."""
    element = ET.Element(root)
    _fill(element, value)
    body = ET.tostring(element, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def render(fmt: str, root: str, value: Any, *, status: int = 200) -> HTTPResponse:
    if fmt == "xml":
        return HTTPResponse(to_xml(root, value), status=status, content_type="text/xml; charset=utf-8")
    return HTTPResponse(
        json.dumps(value, ensure_ascii=False).encode(),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def _base(request: Request) -> str:
    return f"{request.scheme}://{request.host}"


def _policy(request: Request) -> publication.PublicPolicy:
    settings = request.app.ctx.runtime.settings
    return publication.PublicPolicy(
        categories=frozenset(settings.open311_public_categories), media_ttl_s=settings.open311_media_ttl_s
    )


def _error(request: Request, fmt: str, status: int, code: str, params: dict[str, Any]) -> HTTPResponse:
    description = translate(code, request.ctx.locale, **params)
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)


def _split(name: str) -> tuple[str, str | None]:
    """'123.json' -> ('123', 'json'); an unknown or missing extension -> (name, None)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or ext not in FORMATS:
        return name, None
    return stem, ext


def spec_errors(
    handler: Callable[..., Awaitable[HTTPResponse]],
) -> Callable[..., Awaitable[HTTPResponse]]:
    """Answer refusals in the GeoReport error format of the requested representation."""

    @functools.wraps(handler)
    async def wrapper(request: Request, *args: Any, fmt: str = "json", **kwargs: Any) -> HTTPResponse:
        try:
            return await handler(request, *args, fmt=fmt, **kwargs)
        except open311.Open311Error as error:
            return _error(request, fmt, error.status, error.code, error.params)
        except RateLimited as error:
            limited = _error(request, fmt, 429, error.code, error.params)
            limited.headers["Retry-After"] = str(error.retry_after)
            return limited
        except DomainError as error:
            return _error(request, fmt, 400, error.code, error.params)

    return wrapper


def _form(request: Request) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Plain fields (last value wins) and attribute[code] / attribute[code][] values."""
    fields: dict[str, str] = {}
    attributes: dict[str, list[str]] = {}
    form = request.form or {}
    for key in form:
        values = [str(v) for v in form.getlist(key)]
        match = _ATTRIBUTE_KEY.match(key)
        if match:
            attributes.setdefault(match.group(1), []).extend(values)
        elif values:
            fields[key] = values[-1]
    return fields, attributes


def _bind(
    handler: Callable[..., Awaitable[HTTPResponse]], fmt: str
) -> Callable[..., Awaitable[HTTPResponse]]:
    """`handler` with its format fixed (a real function, so its type hints resolve for Sanic)."""

    async def bound(request: Request) -> HTTPResponse:
        return await handler(request, fmt=fmt)

    bound.__name__ = f"{handler.__name__}_{fmt}"
    return bound


@spec_errors
async def discovery(request: Request, *, fmt: str) -> HTTPResponse:
    return render(fmt, "discovery", open311.discovery(base_url=_base(request), locale=request.ctx.locale))


@spec_errors
async def services(request: Request, *, fmt: str) -> HTTPResponse:
    return render(fmt, "services", open311.service_list(locale=request.ctx.locale))


@spec_errors
async def post_request(request: Request, *, fmt: str) -> HTTPResponse:
    fields, attributes = _form(request)
    # Per partner key (hashed: the key itself never goes to Redis) and per address.
    partner = hashlib.sha256(fields.get("api_key", "").encode()).hexdigest()[:32]
    await enforce_limit(request, "open311.create", user_id=partner)
    submitted = await open311.submit_request(
        form=fields,
        attributes=attributes,
        cipher=request.app.ctx.runtime.cipher,
        locale=request.ctx.locale,
        checker=request.app.ctx.runtime.adapters.wechat,
        check_as_openid=request.app.ctx.runtime.settings.open311_sec_check_openid,
    )
    body = [
        {
            "service_request_id": str(submitted.report.id),
            "service_notice": submitted.notice,
            "account_id": submitted.account_id,
        }
    ]
    return render(fmt, "service_requests", body, status=201)


@spec_errors
async def get_requests(request: Request, *, fmt: str) -> HTTPResponse:
    args = request.args
    items = await open311.query_requests(
        service_request_id=args.get("service_request_id"),
        service_code=args.get("service_code"),
        start_date=args.get("start_date"),
        end_date=args.get("end_date"),
        status=args.get("status"),
        locale=request.ctx.locale,
        policy=_policy(request),
        cipher=request.app.ctx.runtime.cipher,
        base_url=_base(request),
    )
    return render(fmt, "service_requests", items)


async def _dispatch(
    request: Request, name: str, run: Callable[[str, str], Awaitable[HTTPResponse]]
) -> HTTPResponse:
    stem, fmt = _split(name)
    if fmt is None:
        return _error(request, "json", 404, "open311.format_unknown", {})
    return await run(stem, fmt)


@endpoint(summary="GeoReport v2: service definition ({code}.json|.xml)", tag="open311")
async def service_definition(request: Request, name: str) -> HTTPResponse:
    @spec_errors
    async def run(request: Request, code: str, *, fmt: str) -> HTTPResponse:
        return render(
            fmt,
            "service_definition",
            open311.service_definition(service_code=code, locale=request.ctx.locale),
        )

    return await _dispatch(request, name, lambda stem, fmt: run(request, stem, fmt=fmt))


@endpoint(summary="GeoReport v2: one service request ({id}.json|.xml)", tag="open311")
async def get_request(request: Request, name: str) -> HTTPResponse:
    @spec_errors
    async def run(request: Request, request_id: str, *, fmt: str) -> HTTPResponse:
        items = await open311.get_request(
            service_request_id=request_id,
            locale=request.ctx.locale,
            policy=_policy(request),
            cipher=request.app.ctx.runtime.cipher,
            base_url=_base(request),
        )
        return render(fmt, "service_requests", items)

    return await _dispatch(request, name, lambda stem, fmt: run(request, stem, fmt=fmt))


@endpoint(summary="GeoReport v2: service_request_id from a token ({token}.json|.xml)", tag="open311")
async def get_token(request: Request, name: str) -> HTTPResponse:
    @spec_errors
    async def run(request: Request, token: str, *, fmt: str) -> HTTPResponse:
        return render(fmt, "service_requests", await open311.request_for_token(token=token))

    return await _dispatch(request, name, lambda stem, fmt: run(request, stem, fmt=fmt))


@endpoint(
    summary="A reviewed photo of a public service request (signed link from media_url, expires)",
    tag="open311",
)
async def media(request: Request, report_id: str, index: str) -> HTTPResponse:
    rt = request.app.ctx.runtime
    try:
        stored, data = await publication.read_public_media(
            report_id=report_id,
            index=index,
            expires=request.args.get("expires"),
            signature=request.args.get("signature"),
            cipher=rt.cipher,
            policy=_policy(request),
            store=LocalFileStore(rt.settings.upload_dir),
        )
    except publication.MediaLinkInvalid:
        refused = _error(request, "json", 403, "open311.media_link_invalid", {})
        refused.headers["Cache-Control"] = "no-store"
        return refused
    # Public only while reviewed and public: a shared cache may keep it a minute at most (and never
    # past the link's expiry), so a withdrawal, a report made private or an erasure takes effect.
    remaining = int(request.args.get("expires", "0")) - int(time.time())
    return raw(
        data,
        content_type=stored.content_type,
        headers={
            "Cache-Control": f"public, max-age={max(1, min(MEDIA_MAX_AGE_S, remaining))}",
            **download_headers(content_type=stored.content_type, filename=stored.filename),
        },
    )


async def unknown(request: Request, rest: str) -> HTTPResponse:
    """Anything else under /open311/v2 is a 404 in the spec's error format."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    return _error(request, fmt, 404, "open311.not_found", {})


# ------------------------------------------------------------------------------------- partner keys (admin)


@endpoint(
    summary="Issue an Open311 api_key to a partner system (shown once)",
    tag="open311 admin",
    body=ApiKeyIn,
    response=ApiKeyOut,
    status=201,
    roles=[Role.ADMIN],
)
async def issue_key(request: Request, *, body: ApiKeyIn, actor: Principal) -> ApiKeyOut:
    issued = await open311.issue_api_key(
        actor=actor, partner=body.partner, cipher=request.app.ctx.runtime.cipher
    )
    return ApiKeyOut.from_domain(issued.key, issued.plaintext)


@endpoint(summary="Partner api keys", tag="open311 admin", response=Page[ApiKeyOut], roles=[Role.ADMIN])
async def list_keys(request: Request, *, actor: Principal) -> dict:
    keys = await open311.list_api_keys(actor=actor)
    return {"items": [ApiKeyOut.from_domain(k) for k in keys], "next_cursor": None}


@endpoint(summary="Revoke a partner api key", tag="open311 admin", response=ApiKeyOut, roles=[Role.ADMIN])
async def revoke_key(request: Request, key_id: str, *, actor: Principal) -> ApiKeyOut:
    return ApiKeyOut.from_domain(await open311.revoke_api_key(actor=actor, key_id=key_id))


# (path, methods, handler) besides the per-format routes: attached to a fresh blueprint per app.
ROUTES = (
    (f"{PREFIX}/services/<name:str>", ["GET"], service_definition),
    (f"{PREFIX}/requests/<name:str>", ["GET"], get_request),
    (f"{PREFIX}/tokens/<name:str>", ["GET"], get_token),
    (f"{PREFIX}/media/<report_id:str>/<index:str>", ["GET"], media),
    (f"{PREFIX}/<rest:path>", ["GET", "POST"], unknown),
)
# (path under /api/v1, methods, handler): the partner-key administration, on the API group.
ADMIN_ROUTES = (
    ("/admin/open311/keys", ["POST"], issue_key),
    ("/admin/open311/keys", ["GET"], list_keys),
    ("/admin/open311/keys/<key_id:str>", ["DELETE"], revoke_key),
)


def create_blueprint() -> Blueprint:
    """The Open311 routes at /open311/v2 on a new blueprint (one per app)."""
    bp = Blueprint("open311")
    for fmt in FORMATS:
        for path, handler, method, summary in (
            ("discovery", discovery, "GET", "Open311 service discovery"),
            ("services", services, "GET", "GeoReport v2: service list"),
            ("requests", get_requests, "GET", "GeoReport v2: service requests (filters per the spec)"),
            (
                "requests",
                post_request,
                "POST",
                "GeoReport v2: create a service request (form-encoded, api_key)",
            ),
        ):
            documented = endpoint(summary=summary, tag="open311", limited=handler is post_request)(
                _bind(handler, fmt)
            )
            bp.add_route(
                documented, f"{PREFIX}/{path}.{fmt}", methods=[method], name=f"{path}_{method.lower()}_{fmt}"
            )
    for uri, methods, handler in ROUTES:
        bp.add_route(handler, uri, methods=methods)
    return bp


def create_admin_blueprint() -> Blueprint:
    """Issuing and revoking partner api keys (admins), mounted under /api/v1 by the composition."""
    bp = Blueprint("open311_admin")
    for uri, methods, handler in ADMIN_ROUTES:
        bp.add_route(handler, uri, methods=methods)
    return bp
