"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging

from pydantic import BaseModel
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json, raw

from citizen_api.endpoint import endpoint
from citizen_api.metrics import CONTENT_TYPE_LATEST
from citizen_api.response_headers import EncodedHeadResponse
from services.common.db import ping

__all__ = ["create_blueprint"]


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


async def _check(probe) -> str:
    try:
        await asyncio.wait_for(probe(), timeout=2.0)
    except Exception as error:
        logging.getLogger(__name__).warning("readiness check failed", exc_info=error)
        return f"down: {type(error).__name__}"
    return "ok"


# The liveness answer never changes: encoded once (issue 12: no model, no JSON encoding per probe).
_HEALTH_BODY = Health(status="ok").model_dump_json().encode()


@endpoint(summary="Liveness: the process is up", tag="platform", response=Health)
async def health(request: Request) -> HTTPResponse:
    # The same response as HTTPResponse(body, content_type=...), built without its second Header.
    return EncodedHeadResponse(_HEALTH_BODY, status=200, content_type="application/json", head=())


@endpoint(summary="Readiness: database and Redis answer", tag="platform", response=Readiness)
async def ready(request: Request) -> HTTPResponse:
    runtime = request.app.ctx.runtime
    database, cache = await asyncio.gather(_check(ping), _check(runtime.redis.ping))
    checks = {"database": database, "redis": cache}
    healthy = all(value == "ok" for value in checks.values())
    return json(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


@endpoint(summary="Prometheus metrics", tag="platform")
async def metrics(request: Request) -> HTTPResponse:
    return raw(request.app.ctx.metrics.render(), content_type=CONTENT_TYPE_LATEST)


# (method, path, handler): attached to a fresh blueprint per app by create_blueprint.
ROUTES = (
    ("GET", "/health", health),
    ("GET", "/ready", ready),
    ("GET", "/metrics", metrics),
)


def create_blueprint() -> Blueprint:
    bp = Blueprint("platform")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp
