"""Sandbox of the education bureau's enrollment review system (招生审核系统).

Applications arrive HMAC-signed with our outbox event id in X-Event-Id; a repeated event returns the
first receipt. A captured request re-sent with the same nonce is refused (replay protection), as is
a stale timestamp. The reviewer's decisions go back to us as HMAC-signed POSTs to
`options.callback_url`, each with a fresh nonce and its own event id:

    received -> in_review -> supplement_requested (补充材料, with the materials wanted)
             -> in_review (after the family's answer) -> approved | rejected (with a reason)

In the embedded profile (`permissive`) an application is taken into review and approved on its own
after a few seconds; tests drive it step by step with POST /__review/<bureau_ref>.

Routes (under /sandbox/education_bureau when mounted):
  POST /api/applications                          submit -> {"bureau_ref", "duplicate"}
  POST /api/applications/<ref>/supplements        the family's answer to 补充材料
  POST /api/applications/<ref>/withdrawal         the family withdrew
  GET  /api/applications, GET /api/applications/<ref>   what the bureau holds (child data masked)
  POST /__review/<ref>  {"decision", "reason"?, "materials"?}   decide now and call back
  POST /__replay/<ref>                            send the last callback again (same event id)
  GET|POST|DELETE /__faults                       fault injection (down, fail_next, latency)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from integrations.sandbox.callbacks import post_signed_callback
from integrations.sandbox.departments import Background, json_body, problem, signed
from integrations.sandbox.faults import SandboxOptions, install_faults

__all__ = ["DECISIONS", "create_blueprint"]

DECISIONS = ("in_review", "supplement_requested", "approved", "rejected")


def _mask(value: Any, keep: int = 1) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if len(value) > 8:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    return value[:keep] + "*" * (len(value) - keep)


def create_blueprint(options: SandboxOptions) -> Blueprint:
    bp = Blueprint(f"sandbox_education_bureau_{uuid.uuid4().hex[:8]}")
    install_faults(bp, options.faults)
    applications: dict[str, dict[str, Any]] = {}
    by_event: dict[str, str] = {}
    seen_nonces: set[str] = set()
    auto_review = bool(options.extra.get("auto_review", options.permissive))
    background = Background(bp)

    def refused(request: Request) -> HTTPResponse | None:
        if request.headers.get("x-app-key") != options.app_key or not signed(request, options):
            return problem(401, "bad_signature", "signature missing, stale or invalid")
        nonce = request.headers.get("x-nonce", "")
        if nonce in seen_nonces:
            return problem(401, "replayed_nonce", "nonce already used")
        seen_nonces.add(nonce)
        return None

    async def call_back(event: dict[str, Any]) -> int:
        """POST one signed event to the citizen API; its HTTP status (0 = unreachable)."""
        return await post_signed_callback(options, event)

    def decide(app: dict[str, Any], decision: str, reason: str, materials: list[str]) -> dict[str, Any]:
        event = {
            "event_id": "EB-" + uuid.uuid4().hex,
            "application_id": app["application_id"],
            "bureau_ref": app["bureau_ref"],
            "status": decision,
            "reason": reason,
            "materials": materials,
            "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        app["status"] = decision
        app["events"].append(event)
        return event

    async def walk(app: dict[str, Any]) -> None:
        for decision, pause in (("in_review", 3.0), ("approved", 6.0)):
            await asyncio.sleep(pause)
            if app["status"] in ("withdrawn", "supplement_requested", "rejected", "approved"):
                return
            await call_back(decide(app, decision, "", []))

    @bp.post("/api/applications")
    async def submit(request: Request) -> HTTPResponse:
        if (answer := refused(request)) is not None:
            return answer
        event_id = request.headers.get("x-event-id")
        if not event_id:
            return problem(400, "missing_event_id", "X-Event-Id is required")
        if event_id in by_event:
            return json({"bureau_ref": by_event[event_id], "duplicate": True})
        body = json_body(request)
        child = body.get("child") if isinstance(body.get("child"), dict) else {}
        if not body.get("application_id") or not body.get("school_code") or not child.get("id_number"):
            return problem(400, "bad_request", "application_id, school_code and the child are required")
        bureau_ref = "JYJY" + dt.datetime.now(dt.UTC).strftime("%Y%m%d") + uuid.uuid4().hex[:8].upper()
        applications[bureau_ref] = {
            "bureau_ref": bureau_ref,
            "application_id": str(body["application_id"]),
            "ref": body.get("ref"),
            "round_code": body.get("round_code"),
            "school_code": body.get("school_code"),
            "category": body.get("category"),
            "materials": body.get("materials") or [],
            # Kept masked: the sandbox shows it received the child without echoing the identity.
            "child": {"name": _mask(child.get("name")), "id_number": _mask(child.get("id_number"))},
            "guardian_present": bool((body.get("guardian") or {}).get("id_number")),
            "status": "received",
            "events": [],
            "supplements": [],
            "event_id": event_id,
        }
        by_event[event_id] = bureau_ref
        if auto_review:
            background.start(walk(applications[bureau_ref]))
        return json({"bureau_ref": bureau_ref, "duplicate": False}, status=201)

    @bp.post("/api/applications/<ref>/supplements")
    async def supplement(request: Request, ref: str) -> HTTPResponse:
        if (answer := refused(request)) is not None:
            return answer
        app = applications.get(ref)
        if app is None:
            return problem(404, "not_found", "no such application")
        body = json_body(request)
        event_id = request.headers.get("x-event-id") or body.get("event_id")
        if event_id not in {s["event_id"] for s in app["supplements"]}:
            app["supplements"].append(
                {
                    "event_id": event_id,
                    "note": body.get("note") or "",
                    "materials": body.get("materials") or [],
                }
            )
            app["status"] = "in_review"
            if auto_review:
                background.start(walk(app))
        return json({"ok": True})

    @bp.post("/api/applications/<ref>/withdrawal")
    async def withdrawal(request: Request, ref: str) -> HTTPResponse:
        if (answer := refused(request)) is not None:
            return answer
        app = applications.get(ref)
        if app is None:
            return problem(404, "not_found", "no such application")
        app["status"] = "withdrawn"
        return json({"ok": True})

    @bp.get("/api/applications")
    async def list_all(request: Request) -> HTTPResponse:
        return json(
            {"applications": [{k: v for k, v in a.items() if k != "events"} for a in applications.values()]}
        )

    @bp.get("/api/applications/<ref>")
    async def show(request: Request, ref: str) -> HTTPResponse:
        app = applications.get(ref)
        if app is None:
            return problem(404, "not_found", "no such application")
        return json(app)

    @bp.post("/__review/<ref>")
    async def review(request: Request, ref: str) -> HTTPResponse:
        """A reviewer's decision, called back now; answers with the callback's HTTP status."""
        app = applications.get(ref)
        if app is None:
            return problem(404, "not_found", "no such application")
        body = json_body(request)
        decision = str(body.get("decision") or "")
        if decision not in DECISIONS:
            return problem(400, "bad_request", f"decision must be one of {', '.join(DECISIONS)}")
        if decision == "rejected" and not body.get("reason"):
            return problem(400, "bad_request", "a rejection needs a reason")
        materials = [str(m) for m in body.get("materials") or []]
        if decision == "supplement_requested" and not materials:
            return problem(400, "bad_request", "say which materials are wanted")
        event = decide(app, decision, str(body.get("reason") or ""), materials)
        return json({"event": event, "callback_status": await call_back(event)})

    @bp.post("/__replay/<ref>")
    async def replay(request: Request, ref: str) -> HTTPResponse:
        """Send the last callback again (fresh signature, same event id), as a retry would."""
        app = applications.get(ref)
        if app is None or not app["events"]:
            return problem(404, "not_found", "no callback to replay")
        return json({"callback_status": await call_back(app["events"][-1])})

    return bp
