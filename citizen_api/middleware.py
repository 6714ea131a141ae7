"""Per-request plumbing: request id, language, metrics, response headers."""

from __future__ import annotations

import re
import time
import uuid

from sanic import Request, Sanic
from sanic.response import HTTPResponse

from integrations.http import CallContext, call_context
from services.common.context import RequestContext, request_context
from services.common.i18n import negotiate

__all__ = ["register_middleware"]

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def register_middleware(app: Sanic) -> None:
    @app.on_request(priority=100)
    async def _begin(request: Request) -> None:
        incoming = request.headers.get("x-request-id", "")
        request.ctx.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.ctx.started = time.perf_counter()
        # Logs, outbox rows and adapter calls made for this request carry its id (the endpoint adds
        # the acting user once the caller is authenticated).
        request_context.set(RequestContext(request_id=request.ctx.request_id))
        call_context.set(CallContext(request_id=request.ctx.request_id))
        request.ctx.locale = negotiate(
            request.args.get("lang"), accept_language=request.headers.get("accept-language")
        )

    @app.on_response(priority=100)
    async def _end(request: Request, response: HTTPResponse) -> None:
        request_id = getattr(request.ctx, "request_id", None)
        if request_id:
            response.headers["X-Request-Id"] = request_id
        locale = getattr(request.ctx, "locale", None)
        if locale and "content-language" not in response.headers:
            response.headers["Content-Language"] = locale.replace("_", "-")
        started = getattr(request.ctx, "started", None)
        metrics = getattr(request.app.ctx, "metrics", None)
        if started is not None and metrics is not None:
            metrics.observe(
                route="/" + request.route.path.lstrip("/") if request.route else "unmatched",
                method=request.method,
                status=response.status,
                seconds=time.perf_counter() - started,
            )
