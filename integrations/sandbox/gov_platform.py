"""Sandbox of the government-service platform (一网通办): takes cases, reports progress by callback.

Cases arrive signed (HMAC) with our outbox event id in X-Event-Id; a repeated event returns the first
receipt and records nothing new, so an at-least-once sender still creates each case exactly once.
Progress goes back to us as HMAC-signed POSTs to `options.callback_url`. In the embedded profile
(`permissive`) the sandbox walks each case through accepted -> in_review -> approved -> completed on
its own; tests drive it step by step with POST /__advance/<platform_ref>.

Routes (under /sandbox/gov_platform when mounted):
  POST /api/cases                             submit a case  -> {"platform_ref", "duplicate"}
  POST /api/cases/<ref>/supplements           answer to a 补正 request
  POST /api/cases/<ref>/withdrawal            the citizen withdrew
  POST /api/cases/<ref>/decisions             a department operator decided in the citizen API's console
                                              (kept in the case's "decisions"; the simulated walk stops)
  GET  /api/cases, GET /api/cases/<ref>       what the platform holds (for tests and demos)
  POST /__advance/<ref>                       {"status", "message"?, "materials"?} call back now
  (options.extra["auto_advance"]: false turns the embedded walk off, e.g. for the console's browser tests)
  GET|POST|DELETE /__faults                   fault injection (down, fail_next, latency)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from integrations.sandbox.callbacks import post_signed_callback
from integrations.sandbox.departments import (
    UNSIGNED,
    Background,
    json_body,
    problem,
    refuse_submission,
    signed,
)
from integrations.sandbox.faults import SandboxOptions, install_faults

__all__ = ["create_blueprint"]

log = logging.getLogger(__name__)

# The walk a case takes on its own in the embedded demo, with the pause before each step (seconds).
_AUTO_STEPS = (("accepted", 3.0), ("in_review", 5.0), ("approved", 10.0), ("completed", 5.0))


def _masked(applicant: Any) -> dict[str, str] | None:
    if not isinstance(applicant, dict) or not applicant.get("id_number"):
        return None
    number, name = str(applicant["id_number"]), str(applicant.get("name") or "")
    return {
        "name": name[:1] + "*" * (len(name) - 1),
        "id_number": number[:4] + "*" * (len(number) - 8) + number[-4:],
    }


def create_blueprint(options: SandboxOptions) -> Blueprint:
    bp = Blueprint(f"sandbox_gov_platform_{uuid.uuid4().hex[:8]}")
    install_faults(bp, options.faults)
    cases: dict[str, dict[str, Any]] = {}
    by_event: dict[str, str] = {}
    received: list[str] = []  # event ids of every accepted, non-duplicate submission
    auto_advance = bool(options.extra.get("auto_advance", options.permissive))
    background = Background(bp)

    def signed_case(request: Request, ref: str) -> tuple[dict[str, Any] | None, HTTPResponse | None]:
        """The case a signed request names, or the answer refusing it (unsigned 401, unknown 404)."""
        if not signed(request, options):
            return None, problem(*UNSIGNED)
        case = cases.get(ref)
        return (case, None) if case is not None else (None, problem(404, "not_found", "no such case"))

    async def call_back(event: dict[str, Any]) -> int:
        """POST one signed event to the citizen API; its HTTP status (0 = unreachable)."""
        return await post_signed_callback(options, event)

    def make_event(case: dict[str, Any], status: str, message: str, materials: list[str]) -> dict[str, Any]:
        event = {
            "event_id": "GP-" + uuid.uuid4().hex,
            "case_id": case["case_id"],
            "platform_ref": case["platform_ref"],
            "status": status,
            "message": message,
            "materials": materials,
            "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        case["status"] = status
        case["events"].append(event)
        return event

    async def walk(case: dict[str, Any]) -> None:
        for status, pause in _AUTO_STEPS:
            await asyncio.sleep(pause)
            if case["status"] in ("withdrawn", "supplement_requested") or case["decisions"]:
                return  # the citizen withdrew, or the department acts through the console now
            await call_back(make_event(case, status, "", []))

    @bp.post("/api/cases")
    async def submit(request: Request) -> HTTPResponse:
        if (refusal := refuse_submission(request, options)) is not None:
            return refusal
        event_id = request.headers["x-event-id"]
        if event_id in by_event:
            return json({"platform_ref": by_event[event_id], "duplicate": True})
        body = json_body(request)
        if not body.get("case_id") or not body.get("item_code"):
            return problem(400, "bad_request", "case_id and item_code are required")
        platform_ref = "HN" + dt.datetime.now(dt.UTC).strftime("%Y%m%d") + uuid.uuid4().hex[:8].upper()
        cases[platform_ref] = {
            "platform_ref": platform_ref,
            "case_id": str(body["case_id"]),
            "case_ref": body.get("case_ref"),
            "item_code": body["item_code"],
            "department_code": body.get("department_code"),
            "materials": body.get("materials") or [],
            # Kept masked: the sandbox shows it has the applicant without echoing their identity.
            "applicant": _masked(body.get("applicant")),
            "status": "received",
            "events": [],
            "supplements": [],
            "decisions": [],
            "event_id": event_id,
        }
        by_event[event_id] = platform_ref
        received.append(event_id)
        if auto_advance:
            background.start(walk(cases[platform_ref]))
        return json({"platform_ref": platform_ref, "duplicate": False}, status=201)

    @bp.post("/api/cases/<ref>/supplements")
    async def supplement(request: Request, ref: str) -> HTTPResponse:
        case, refusal = signed_case(request, ref)
        if case is None:
            return refusal
        body = json_body(request)
        event_id = request.headers.get("x-event-id") or body.get("event_id")
        if event_id not in {s["event_id"] for s in case["supplements"]}:
            case["supplements"].append({"event_id": event_id, "materials": body.get("materials") or []})
            case["status"] = "in_review"
            if auto_advance:
                background.start(finish_after_supplement(case))
        return json({"ok": True})

    async def finish_after_supplement(case: dict[str, Any]) -> None:
        for status in ("approved", "completed"):
            await asyncio.sleep(5.0)
            if case["status"] == "withdrawn" or case["decisions"]:
                return
            await call_back(make_event(case, status, "", []))

    @bp.post("/api/cases/<ref>/withdrawal")
    async def withdrawal(request: Request, ref: str) -> HTTPResponse:
        case, refusal = signed_case(request, ref)
        if case is None:
            return refusal
        case["status"] = "withdrawn"
        return json({"ok": True})

    @bp.post("/api/cases/<ref>/decisions")
    async def decision(request: Request, ref: str) -> HTTPResponse:
        case, refusal = signed_case(request, ref)
        if case is None:
            return refusal
        body = json_body(request)
        event_id = request.headers.get("x-event-id") or body.get("event_id")
        if not body.get("action"):
            return problem(400, "bad_request", "action is required")
        if event_id not in {d["event_id"] for d in case["decisions"]}:
            case["decisions"].append(
                {
                    "event_id": event_id,
                    "action": str(body["action"]),
                    "status": str(body.get("status") or ""),
                    "message": str(body.get("message") or ""),
                    "materials": [str(m) for m in body.get("materials") or []],
                }
            )
            if body.get("status"):
                case["status"] = str(body["status"])
        return json({"ok": True})

    @bp.get("/api/cases")
    async def list_cases(request: Request) -> HTTPResponse:
        return json(
            {
                "cases": [
                    {k: v for k, v in case.items() if k != "events"} | {"events": len(case["events"])}
                    for case in cases.values()
                ],
                "received": len(received),
            }
        )

    @bp.get("/api/cases/<ref>")
    async def show(request: Request, ref: str) -> HTTPResponse:
        case = cases.get(ref)
        if case is None:
            return problem(404, "not_found", "no such case")
        return json(case)

    @bp.post("/__advance/<ref>")
    async def advance(request: Request, ref: str) -> HTTPResponse:
        """Move a case and call the citizen API back now; answers with the callback's HTTP status."""
        case = cases.get(ref)
        if case is None:
            return problem(404, "not_found", "no such case")
        body = json_body(request)
        status = str(body.get("status") or "")
        if not status:
            return problem(400, "bad_request", "status is required")
        materials = [str(m) for m in body.get("materials") or []]
        event = make_event(case, status, str(body.get("message") or ""), materials)
        callback_status = await call_back(event)
        return json({"event": event, "callback_status": callback_status})

    @bp.post("/__replay/<ref>")
    async def replay(request: Request, ref: str) -> HTTPResponse:
        """Send the last callback again (fresh signature, same event id), as a platform retry would."""
        case = cases.get(ref)
        if case is None or not case["events"]:
            return problem(404, "not_found", "no callback to replay")
        return json({"callback_status": await call_back(case["events"][-1])})

    return bp
