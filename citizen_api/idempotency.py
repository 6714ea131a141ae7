"""`Idempotency-Key` for POST handlers that create something (bookings, applications).

Usage in a handler (the `@endpoint` has already validated `body` and authenticated `actor`):

    @bp.post("/api/v1/bookings")
    @endpoint(..., status=201, headers=[IDEMPOTENCY_HEADER])
    async def create_booking(request, *, body: BookingIn, actor: Principal):
        return await idempotent(
            request, actor=actor, route="bookings.create", payload=body, status=201,
            run=lambda: service.book(actor=actor, ...),
            render=BookingOut.from_domain,
        )

Without the header the request simply runs. With it, the scope is "<user>:<route>": the same key and
the same request (body + whom the caller acts for) replay the first response (status and body, with
`Idempotent-Replayed: true`); the same key with another request is 422 `idempotency.key_reused`;
concurrent duplicates wait for the first and replay it (409 `idempotency.in_progress` if it takes over
10 s), so exactly one thing is created. A request that fails (any error) stores nothing and releases
the key, because nothing was done and a retry should be allowed to succeed. A client that disconnects
does not cancel the work or its record (shielded), so its retry replays what was done. Kept 24 h.

A handler whose work is one transaction (bookings) uses `record_in_work` instead: the service writes
the key with its answer inside that transaction (no claim before, no completion after: two round trips
fewer), and on a refusal the handler asks `key_was_used` and, if so, hands over to `idempotent`, which
replays the first answer (or says 422 for another request with the key).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from sanic import Request
from sanic.response import HTTPResponse, json

from citizen_api.endpoint import serialise
from services.accounts.principal import Principal
from services.common import idempotency
from services.common.errors import DomainError

__all__ = ["IDEMPOTENCY_HEADER", "idempotent", "key_was_used", "record_in_work", "shielded"]

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Strong references to shielded work whose request was cancelled (the loop keeps only weak ones).
_UNFINISHED: set[asyncio.Future[Any]] = set()
REPLAYED_HEADER = "Idempotent-Replayed"
log = logging.getLogger("citizen_api.idempotency")


async def key_was_used(
    request: Request, *, actor: Principal, route: str, record: idempotency.Record | None = None
) -> bool:
    """True when the request's Idempotency-Key already has a record in `idempotent`'s scope.

    For a handler that checks its refusals before claiming the key: a refusal may be answered at once
    (nothing stored, as `idempotent` would do) unless the key was used — then `idempotent` must decide
    (replay the first answer, wait for a duplicate in progress, or 422 for another request).
    `record` (the request's `record_in_work`): its `used` answers without a query when the work knew.
    """
    if record is not None and record.used is not None:
        return record.used
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return False
    return await idempotency.exists(scope=f"{actor.user_id}:{route}", key=key.strip())


def _fingerprint(route: str, payload: BaseModel | dict[str, Any] | None, actor: Principal) -> str:
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    return idempotency.request_fingerprint(route, body, str(actor.acting_for or ""))


def record_in_work(
    request: Request,
    *,
    actor: Principal,
    route: str,
    payload: BaseModel | dict[str, Any] | None,
    render: Callable[[Any], Any],
    status: int = 201,
    live: Callable[[str, str, str], str] | None = None,
) -> idempotency.Record | None:
    """The request's Idempotency-Key as a record for the work to write in its own transaction.

    None without the header; a malformed key is a 422 at once. The scope and fingerprint are those of
    `idempotent`, so a retry handed over to it replays this record. `live`: see `Record.live`.
    """
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    return idempotency.Record(
        scope=f"{actor.user_id}:{route}",
        key=idempotency.check_key(key.strip()),
        request_hash=lambda: _fingerprint(route, payload, actor),
        status_code=status,
        render=lambda value: serialise(render(value)),
        live=live,
    )


async def shielded(work: Awaitable[Any]) -> Any:
    """Await `work` so a client hanging up does not cancel it half-way (its transaction completes)."""
    task = asyncio.ensure_future(work)
    _UNFINISHED.add(task)
    task.add_done_callback(_UNFINISHED.discard)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.add_done_callback(_settle_abandoned)
        raise


async def idempotent(
    request: Request,
    *,
    actor: Principal,
    route: str,
    payload: BaseModel | dict[str, Any] | None,
    run: Callable[[], Awaitable[Any]],
    render: Callable[[Any], Any] = lambda value: value,
    status: int = 201,
) -> HTTPResponse:
    """Run `run()` once per Idempotency-Key and answer `render(result)` with `status` (see module doc)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return json(serialise(render(await run())), status=status)
    fingerprint = _fingerprint(route, payload, actor)
    outcome = await idempotency.claim(
        scope=f"{actor.user_id}:{route}", key=key.strip(), request_hash=fingerprint
    )
    if isinstance(outcome, idempotency.Replay):
        return json(outcome.response, status=outcome.status_code, headers={REPLAYED_HEADER: "true"})

    async def work_and_record() -> Any:
        try:
            response = serialise(render(await run()))
        except Exception:
            # Errors are raised before anything commits (services validate first and write last).
            await idempotency.release(outcome.record_id)
            raise
        await idempotency.complete(outcome.record_id, status_code=status, response=response)
        return response

    # Sanic cancels the handler when the client hangs up. The work and its record run shielded in a
    # task of their own, so a committed write is always recorded and the client's retry replays it.
    return json(await shielded(work_and_record()), status=status)


def _settle_abandoned(work: asyncio.Future[Any]) -> None:
    """Retrieve the outcome of work whose client hung up (nobody else will).

    A cancelled `shield` stops watching its inner task, so a failure after the hang-up was reported
    as "Task exception was never retrieved". A refusal (a DomainError: the slot filled meanwhile)
    is an answer nobody is waiting for; anything else is logged as the error it is.
    """
    if work.cancelled():
        return
    error = work.exception()
    if error is not None and not isinstance(error, DomainError):
        log.error("work of a disconnected request failed", exc_info=error)
