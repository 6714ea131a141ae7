"""Sandbox of the scenic areas' ticketing and gate system.

Gates: each area's turnstiles count entries and exits through the day; occupancy is entries minus
exits. Unless an area is pinned (tests), the simulator lets visitors in and out over time with a
daily rhythm (arrivals in the morning, departures in the afternoon), so the crowd level moves.
Tickets: POST /tickets issues a real-name ticket, deduplicated by X-Event-Id and HMAC-checked.

Routes (under /sandbox/ticketing when mounted):
  GET  /gates/occupancy?areas=a,b      current figures per area
  PUT  /gates/<code>                   {"occupancy": n} pin an area's figure (stops the simulation there)
  POST /gates/<code>/passes            {"entries": n, "exits": m} record gate passes
  POST /tickets, GET|DELETE /tickets/<id>   issue / look up / void a ticket
  GET|POST|DELETE /__faults            fault injection (down, fail_next, latency)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from integrations.sandbox.faults import SandboxOptions, install_faults
from integrations.signing import verify_signature

__all__ = ["create_blueprint"]

_CITY_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(slots=True)
class _Gate:
    entries: int
    exits: int
    pinned: bool = False
    last_tick: float = 0.0

    @property
    def occupancy(self) -> int:
        return max(0, self.entries - self.exits)


def _initial_gate(code: str, now: float) -> _Gate:
    # A stable starting crowd per area, so the demo looks different from one area to the next.
    seed = int(hashlib.sha256(code.encode()).hexdigest()[:8], 16)
    inside = 150 + seed % 2500
    return _Gate(entries=inside + seed % 400, exits=seed % 400, last_tick=now)


def _advance(gate: _Gate, now: float, rng: random.Random) -> None:
    """Let visitors through the gates for the time since the last look (at most ten minutes' worth)."""
    elapsed = min(600.0, now - gate.last_tick)
    gate.last_tick = now
    if gate.pinned or elapsed <= 0:
        return
    hour = dt.datetime.now(_CITY_TZ).hour
    # Arrivals peak in the morning, departures in the afternoon; nights are quiet.
    arrive_per_min, leave_share_per_min = (
        (12.0, 0.004) if 7 <= hour < 12 else (5.0, 0.012) if 12 <= hour < 18 else (0.3, 0.03)
    )
    minutes = elapsed / 60
    entries = int(rng.uniform(0.5, 1.5) * arrive_per_min * minutes)
    exits = min(gate.occupancy + entries, int(gate.occupancy * leave_share_per_min * minutes))
    gate.entries += entries
    gate.exits += exits


def create_blueprint(options: SandboxOptions) -> Blueprint:
    bp = Blueprint(f"sandbox_ticketing_{uuid.uuid4().hex[:8]}")
    install_faults(bp, options.faults)
    gates: dict[str, _Gate] = {}
    tickets: dict[str, dict[str, Any]] = {}
    by_event: dict[str, str] = {}
    rng = random.Random(options.extra.get("seed", 42))

    def gate(code: str) -> _Gate:
        now = time.monotonic()
        if code not in gates:
            gates[code] = _initial_gate(code, now)
        _advance(gates[code], now, rng)
        return gates[code]

    def problem(status: int, code: str, message: str) -> HTTPResponse:
        return json({"code": code, "message": message}, status=status)

    @bp.get("/gates/occupancy")
    async def occupancy(request: Request) -> HTTPResponse:
        codes = [c for c in (request.args.get("areas") or "").split(",") if c][:200]
        measured_at = dt.datetime.now(dt.UTC).isoformat()
        areas = []
        for code in codes:
            g = gate(code)
            areas.append(
                {
                    "area_code": code,
                    "occupancy": g.occupancy,
                    "entries": g.entries,
                    "exits": g.exits,
                    "measured_at": measured_at,
                }
            )
        return json({"areas": areas})

    @bp.put("/gates/<code>")
    async def pin(request: Request, code: str) -> HTTPResponse:
        body = request.json or {}
        if not isinstance(body.get("occupancy"), int) or body["occupancy"] < 0:
            return problem(400, "bad_request", "occupancy must be a non-negative integer")
        gates[code] = _Gate(
            entries=body["occupancy"],
            exits=0,
            pinned=bool(body.get("pinned", True)),
            last_tick=time.monotonic(),
        )
        return json({"area_code": code, "occupancy": gates[code].occupancy})

    @bp.post("/gates/<code>/passes")
    async def passes(request: Request, code: str) -> HTTPResponse:
        body = request.json or {}
        g = gate(code)
        g.entries += max(0, int(body.get("entries", 0)))
        g.exits += min(g.occupancy, max(0, int(body.get("exits", 0))))
        return json({"area_code": code, "occupancy": g.occupancy})

    @bp.post("/tickets")
    async def issue(request: Request) -> HTTPResponse:
        if not options.permissive and not verify_signature(
            headers=request.headers,
            secret=options.app_secret,
            method="POST",
            path=request.path,
            body=request.body or b"",
        ):
            return problem(401, "bad_signature", "signature missing or invalid")
        event_id = request.headers.get("x-event-id")
        if not event_id:
            return problem(400, "missing_event_id", "X-Event-Id is required")
        if event_id in by_event:
            return json(tickets[by_event[event_id]])
        body = request.json if isinstance(request.json, dict) else {}
        visitors = body.get("visitors")
        if not body.get("area_code") or not body.get("booking_id"):
            return problem(400, "bad_request", "area_code and booking_id are required")
        if not isinstance(visitors, list) or not 1 <= len(visitors) <= 5:
            return problem(400, "bad_visitors", "1 to 5 real-name visitors are required")
        ticket_id = "T" + uuid.uuid4().hex[:12].upper()
        tickets[ticket_id] = {
            "ticket_id": ticket_id,
            "booking_id": body["booking_id"],
            "area_code": body["area_code"],
            "entry_start": body.get("entry_start"),
            "entry_end": body.get("entry_end"),
            "visitor_count": len(visitors),
            "check_in_code": body.get("check_in_code"),
            "voided": False,
        }
        by_event[event_id] = ticket_id
        return json(tickets[ticket_id], status=201)

    @bp.delete("/tickets/<ticket_id>")
    async def void(request: Request, ticket_id: str) -> HTTPResponse:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            return problem(404, "not_found", "no such ticket")
        ticket["voided"] = True
        return json(ticket)

    @bp.get("/tickets/<ticket_id>")
    async def show(request: Request, ticket_id: str) -> HTTPResponse:
        ticket = tickets.get(ticket_id)
        if ticket is None:
            return problem(404, "not_found", "no such ticket")
        return json(ticket)

    return bp
