"""Fault injection shared by every sandbox, and the options a sandbox is built with."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

__all__ = ["FaultPlan", "SandboxOptions", "install_faults"]


@dataclass(slots=True)
class FaultPlan:
    """What the sandbox does wrong: `down` answers 503, `fail_next` fails that many requests with
    `fail_status`, `latency_ms` delays every answer (a latency above the client timeout is a timeout)."""

    down: bool = False
    fail_next: int = 0
    fail_status: int = 500
    latency_ms: int = 0
    calls: int = 0
    # The trace headers of the latest calls (what a department's log would show), newest last.
    received: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))

    def to_dict(self) -> dict[str, Any]:
        return {
            "down": self.down,
            "fail_next": self.fail_next,
            "fail_status": self.fail_status,
            "latency_ms": self.latency_ms,
            "calls": self.calls,
        }


@dataclass(slots=True)
class SandboxOptions:
    """How a sandbox is configured. `permissive` (embedded profile) accepts any login/phone code."""

    permissive: bool = False
    appid: str = "wx0000000000demo"
    secret: str = "dev-wechat-secret"
    app_key: str = "citizen-api"
    app_secret: str = "dev-only-callback-secret"
    callback_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    faults: FaultPlan = field(default_factory=FaultPlan)

    @classmethod
    def from_settings(cls, settings: Any, system: str) -> SandboxOptions:
        return cls(
            permissive=settings.profile == "embedded",
            appid=settings.wechat_appid,
            secret=settings.wechat_secret.get_secret_value(),
            app_key=settings.integration_app_key,
            app_secret=settings.integration_app_secret.get_secret_value(),
            callback_url=f"{settings.base_url}/api/v1/integrations/{system}/callback",
            extra=dict((getattr(settings, "sandbox_extra", None) or {}).get(system) or {}),
        )


def install_faults(bp: Blueprint, plan: FaultPlan) -> None:
    """Add /__faults control routes and the middleware that applies `plan` to every other route."""

    @bp.on_request
    async def _apply(request: Request) -> HTTPResponse | None:
        if request.path.endswith(("/__faults", "/__trace")) or "/__control" in request.path:
            return None
        plan.calls += 1
        plan.received.append(
            {
                "method": request.method,
                "path": request.path,
                "request_id": request.headers.get("x-request-id"),
                "acting_user": request.headers.get("x-acting-user"),
                "case_id": request.headers.get("x-case-id"),
            }
        )
        if plan.latency_ms:
            await asyncio.sleep(plan.latency_ms / 1000)
        if plan.down:
            return json({"code": "unavailable", "message": "sandbox is down"}, status=503)
        if plan.fail_next > 0:
            plan.fail_next -= 1
            return json({"code": "injected_failure", "message": "injected failure"}, status=plan.fail_status)
        return None

    @bp.get("/__faults")
    async def _show(request: Request) -> HTTPResponse:
        return json(plan.to_dict())

    @bp.post("/__faults")
    async def _set(request: Request) -> HTTPResponse:
        body = request.json or {}
        for key in ("down", "fail_next", "fail_status", "latency_ms"):
            if key in body:
                setattr(plan, key, type(getattr(plan, key))(body[key]))
        return json(plan.to_dict())

    @bp.get("/__trace")
    async def _trace(request: Request) -> HTTPResponse:
        return json({"items": list(plan.received)})

    @bp.delete("/__faults")
    async def _clear(request: Request) -> HTTPResponse:
        plan.down, plan.fail_next, plan.latency_ms, plan.fail_status = False, 0, 0, 500
        plan.received.clear()
        return json(plan.to_dict())
