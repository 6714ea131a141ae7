"""What the simulators of the departments (and WeChat) share: their error answer, signed requests, JSON bodies, and the
lifecycles they walk on their own in the background (cancelled when the server stops)."""

from __future__ import annotations

import asyncio
import contextlib
import json as jsonlib
from collections.abc import Coroutine
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from integrations.sandbox.faults import SandboxOptions
from integrations.signing import verify_signature

__all__ = ["UNSIGNED", "Background", "json_body", "problem", "refuse_submission", "signed"]

UNSIGNED = (401, "bad_signature", "signature missing or invalid")


def problem(status: int, code: str, message: str) -> HTTPResponse:
    """A department's error answer: {"code", "message"} with `status`."""
    return json({"code": code, "message": message}, status=status)


def signed(request: Request, options: SandboxOptions) -> bool:
    """True when the request carries a valid HMAC signature with the sandbox's app secret."""
    return verify_signature(
        headers=request.headers,
        secret=options.app_secret,
        method=request.method,
        path=request.path,
        body=request.body or b"",
    )


def refuse_submission(request: Request, options: SandboxOptions) -> HTTPResponse | None:
    """The answer refusing a submission (unsigned 401, no X-Event-Id 400), or None to go on."""
    if not signed(request, options):
        return problem(*UNSIGNED)
    if not request.headers.get("x-event-id"):
        return problem(400, "missing_event_id", "X-Event-Id is required")
    return None


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; {} for no body, broken JSON or anything but an object."""
    try:
        data = jsonlib.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class Background:
    """Tasks a simulator runs on its own (a case walking through its states), stopped with the server."""

    def __init__(self, bp: Blueprint) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

        # A plain function: a blueprint takes anything else (a bound method) for a decorator factory
        # and registers nothing.
        async def stop(app: Any, _loop: Any = None) -> None:
            await self.stop()

        bp.after_server_stop(stop)

    def start(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)  # the loop keeps only weak references
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel every task still running (the server is stopping)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
