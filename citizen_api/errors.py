"""The one place where errors become HTTP: status codes, the envelope, and translated messages.

Envelope: {"error": {"code", "message", "details", "request_id"}}. No input of any shape
produces a 500; an unexpected exception is logged with its request id and answered with a
generic 500 that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_json
from sanic import Request, Sanic
from sanic.exceptions import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RangeNotSatisfiable,
    RequestCancelled,
    RequestTimeout,
    SanicException,
    ServiceUnavailable,
)
from sanic.response import HTTPResponse

from citizen_api.endpoint import serialise
from integrations.errors import IntegrationError, IntegrationRejected, IntegrationUnavailable
from services.common import errors as domain
from services.common.db import DatabaseUnavailable
from services.common.i18n import translate

__all__ = ["MAX_ERROR_DETAILS", "error_response", "register_error_handlers", "status_for"]

log = logging.getLogger("citizen_api.errors")

_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.InvalidInput, 422),
    (domain.Unauthenticated, 401),
    (domain.PermissionDenied, 403),
    (domain.NotFound, 404),
    (domain.Conflict, 409),
    (domain.Gone, 410),
    (domain.RateLimited, 429),
    (domain.Unavailable, 503),
]


def status_for(error: domain.DomainError) -> int:
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


def _locale(request: Request | None) -> str:
    return getattr(getattr(request, "ctx", None), "locale", None) or "zh_CN"


def _request_id(request: Request | None) -> str | None:
    return getattr(getattr(request, "ctx", None), "request_id", None)


def error_response(
    request: Request | None,
    *,
    status: int,
    code: str,
    params: dict[str, Any] | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    """The error envelope with `code`'s message in the caller's language."""
    body = {
        "error": {
            "code": code,
            "message": translate(code, _locale(request), **(params or {})),
            "details": serialise(details) if details is not None else {},
            "request_id": _request_id(request),
        }
    }
    return HTTPResponse(to_json(body), status=status, headers=headers, content_type="application/json")


def refusal_response(request: Request | None, error: domain.DomainError) -> HTTPResponse:
    """The answer to a refusal (a DomainError): its status, its code's message, Retry-After for 429.

    `@endpoint` handlers' refusals are answered by citizen_api.endpoint directly; the app's
    DomainError handler gives the same answer for the rest (middleware, routes outside @endpoint).
    """
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, domain.RateLimited) else None
    return error_response(
        request,
        status=status_for(error),
        code=error.code,
        params=error.params,
        details=error.details,
        headers=headers,
    )


# A body with thousands of bad fields must not answer megabytes of details: the first few suffice.
MAX_ERROR_DETAILS = 20


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """The first MAX_ERROR_DETAILS pydantic errors, without the input values (may be personal data)."""
    items = error.errors(include_url=False, include_input=False, include_context=False)
    return [
        {"field": ".".join(str(p) for p in item["loc"]), "type": item["type"], "reason": item["msg"]}
        for item in items[:MAX_ERROR_DETAILS]
    ]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    """The methods the request's path serves (Sanic gives none for an OPTIONS without a handler)."""
    allowed = []
    for method in _METHODS:
        try:
            request.app.router.get(request.path, method, request.headers.get("host"))
        except SanicException:  # NotFound, MethodNotAllowed: not served by that method
            continue
        allowed.append(method)
    return allowed


def register_error_handlers(app: Sanic) -> None:
    """Install the handlers; call once from create_app."""

    @app.exception(domain.DomainError)
    async def _domain(request: Request, error: domain.DomainError) -> HTTPResponse:
        return refusal_response(request, error)

    @app.exception(DatabaseUnavailable)
    async def _database(request: Request, error: DatabaseUnavailable) -> HTTPResponse:
        # The connection dropped before the work committed: nothing was stored, the client may retry
        # (reads were already retried once). Logged where it happened (services/common/db_postgres.py).
        return error_response(
            request, status=503, code=error.code, headers={"Retry-After": str(error.retry_after)}
        )

    @app.exception(ValidationError)
    async def _validation(request: Request, error: ValidationError) -> HTTPResponse:
        return error_response(request, status=422, code="request.invalid", details=validation_details(error))

    @app.exception(IntegrationError)
    async def _integration(request: Request, error: IntegrationError) -> HTTPResponse:
        log.warning("integration failure", extra={"system": error.system, "remote_code": error.remote_code})
        if error.public_status and error.public_code:
            return error_response(
                request, status=error.public_status, code=error.public_code, params={"system": error.system}
            )
        if isinstance(error, IntegrationUnavailable):
            return error_response(
                request, status=503, code="integration.unavailable", params={"system": error.system}
            )
        if isinstance(error, IntegrationRejected):
            return error_response(
                request, status=502, code="integration.rejected", params={"system": error.system}
            )
        return error_response(
            request, status=502, code="integration.bad_answer", params={"system": error.system}
        )

    @app.exception(NotFound)
    async def _not_found(request: Request, error: Exception) -> HTTPResponse:
        return error_response(request, status=404, code="request.route_not_found")

    @app.exception(MethodNotAllowed)
    async def _method(request: Request, error: MethodNotAllowed) -> HTTPResponse:
        allow = getattr(error, "allowed_methods", None) or _allowed_methods(request)
        headers = {"Allow": ", ".join(sorted(allow))}
        return error_response(request, status=405, code="request.method_not_allowed", headers=headers)

    @app.exception(PayloadTooLarge)
    async def _too_large(request: Request, error: Exception) -> HTTPResponse:
        return error_response(request, status=413, code="request.too_large")

    @app.exception(RequestTimeout, RequestCancelled, RangeNotSatisfiable, ServiceUnavailable)
    async def _passthrough(request: Request, error: SanicException) -> HTTPResponse:
        return error_response(request, status=error.status_code, code="request.failed")

    @app.exception(BadRequest)
    async def _bad_request(request: Request, error: Exception) -> HTTPResponse:
        return error_response(request, status=400, code="request.malformed")

    @app.exception(SanicException)
    async def _sanic(request: Request, error: SanicException) -> HTTPResponse:
        status = getattr(error, "status_code", 500) or 500
        if status >= 500:
            log.error("server error", exc_info=error)
            return error_response(request, status=500, code="server.error")
        return error_response(request, status=status, code="request.failed")

    @app.exception(Exception)
    async def _unexpected(request: Request, error: Exception) -> HTTPResponse:
        log.error("unhandled error", exc_info=error)
        return error_response(request, status=500, code="server.error")
