"""Sandbox of the scenic areas' ticketing and gate system.

Gates: each area's turnstiles count entries and exits through the day; occupancy is entries minus
exits. Unless an area is pinned (tests), occupancy follows the site's instantaneous capacity with a
daily curve in local time: nobody before 07:00, a morning rise, a peak around 12:30, an evening fall
to nobody after 19:00. Each site peaks at its own share of its capacity (a stable 55–105 %), so on a
busy noon some sites reach red while others stay green. The gate system knows each site's capacity
(`SITE_CAPACITY`, the demo sites; others `DEFAULT_CAPACITY`); tests override it per site.
Tickets: POST /tickets issues a real-name ticket, deduplicated by X-Event-Id and HMAC-checked. Like a
real ticket office it checks every visitor's document by its type (a masked or malformed number is
refused with 400 bad_visitors) and keeps the visitor list it received, so tests can see exactly
which identities reached the gate (GET /tickets/<id>, GET /__control/ticket-requests).

Routes (under /sandbox/ticketing when mounted):
  GET  /gates/occupancy?areas=a,b[&at=ISO]   figures per area (at= a moment to simulate, tests)
  PUT  /gates/<code>                   {"occupancy": n} pin an area's figure (stops the simulation there)
  PUT  /gates/<code>/profile           {"capacity": n, "peak": 0.9} override a site's capacity/peak share
  POST /gates/<code>/passes            {"entries": n, "exits": m} record gate passes (on top of the curve)
  POST /tickets, GET|DELETE /tickets/<id>   issue / look up / void a ticket
  GET  /__control/ticket-requests      every ticket request received, visitors included (tests)
  GET|POST|DELETE /__faults            fault injection (down, fail_next, latency)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import re
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from integrations.sandbox.departments import UNSIGNED, problem, signed
from integrations.sandbox.faults import SandboxOptions, install_faults

__all__ = ["create_blueprint"]

_CITY_TZ = ZoneInfo("Asia/Shanghai")


# The demo sites' instantaneous capacities (瞬时最大承载量), as their gate systems are configured;
# services/tourism/seed.py describes the same sites (a test keeps the two in step).
SITE_CAPACITY: dict[str, int] = {
    "wangwushan": 10000,
    "xiaolangdi": 8000,
    "wulongkou": 5000,
    "huanghe-sanxia": 4000,
    "jiuligou": 3500,
    "jidu-temple": 1500,
    "yugong-village": 2500,
    "xiaogoubei": 3000,
    "fengxian-temple": 600,
    "zhi-ancient-city": 1000,
    "yangtai-palace": 800,
}
DEFAULT_CAPACITY = 1000
_PEAK_HOUR = 12.5
_SPREAD_HOURS = 2.6
_OPEN_HOURS = (7.0, 19.0)


def daily_share(moment: dt.datetime) -> float:
    """The share of a site's peak crowd inside at `moment` (local time): 0 at night, 1 at the peak."""
    local = moment.astimezone(_CITY_TZ)
    hour = local.hour + local.minute / 60 + local.second / 3600
    if not _OPEN_HOURS[0] <= hour < _OPEN_HOURS[1]:
        return 0.0
    return math.exp(-(((hour - _PEAK_HOUR) / _SPREAD_HOURS) ** 2))


def _arrived_share(moment: dt.datetime) -> float:
    """How much of the day's visitors have come through the gates by `moment` (0..1), for the counters."""
    local = moment.astimezone(_CITY_TZ)
    hour = local.hour + local.minute / 60
    start, end = _OPEN_HOURS
    return min(1.0, max(0.0, (hour - start) / (end - start - 2)))


@dataclass(slots=True)
class _Site:
    capacity: int
    peak: float  # the share of capacity inside at the daily peak


@dataclass(slots=True)
class _Gate:
    entries: int = 0  # pinned: the counters; simulated: passes recorded on top of the curve
    exits: int = 0
    pinned: bool = False

    def figures(self, site: _Site, moment: dt.datetime, rng: random.Random) -> tuple[int, int, int]:
        """(occupancy, entries, exits) at `moment`."""
        if self.pinned:
            return max(0, self.entries - self.exits), self.entries, self.exits
        noise = rng.uniform(0.97, 1.03)
        inside = round(site.capacity * site.peak * daily_share(moment) * noise)
        inside = max(0, inside + self.entries - self.exits)
        # A day's visitors are about twice the peak crowd; those who came and left are the exits.
        came = max(inside, round(site.capacity * site.peak * 2 * _arrived_share(moment)) + self.entries)
        return inside, came, came - inside


def _site_peak(code: str) -> float:
    # A stable share per site, so the demo shows different levels from one site to the next.
    seed = int(hashlib.sha256(code.encode()).hexdigest()[:8], 16)
    return 0.55 + (seed % 51) / 100


_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_DOCUMENT_SHAPES = {
    "passport": re.compile(r"^(?=.*\d)[A-Z0-9]{5,17}$"),
    "hk_macao_permit": re.compile(r"^[HM]\d{8}(\d{2})?$"),
    "taiwan_permit": re.compile(r"^(\d{8}|\d{10})$"),
}


def _gb11643(number: str) -> bool:
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _GB11643_WEIGHTS, strict=True))
    if "10X98765432"[total % 11] != number[17]:
        return False
    try:
        dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return True


def valid_document(id_type: str, number: str) -> bool:
    """The ticket office's own check of one visitor's document, by type (as the real one does)."""
    if not isinstance(number, str) or number != number.strip().upper() or " " in number:
        return False
    if id_type == "resident_id":
        return _gb11643(number)
    if id_type == "foreign_permanent_resident":
        return bool(re.fullmatch(r"[A-Z]{3}\d{12}", number)) or (number.startswith("9") and _gb11643(number))
    if id_type == "hmt_residence_permit":
        return number.startswith(("810000", "820000", "830000")) and _gb11643(number)
    shape = _DOCUMENT_SHAPES.get(id_type)
    return bool(shape and shape.match(number))


def _bad_visitor(visitors: list[Any]) -> int | None:
    """The position of the first visitor the office refuses (no name, masked or malformed document)."""
    for position, visitor in enumerate(visitors):
        if not isinstance(visitor, dict):
            return position
        name = visitor.get("name")
        if not isinstance(name, str) or not name.strip() or "*" in name:
            return position
        if not valid_document(str(visitor.get("id_type") or "resident_id"), visitor.get("id_number")):
            return position
    return None


def create_blueprint(options: SandboxOptions) -> Blueprint:
    bp = Blueprint(f"sandbox_ticketing_{uuid.uuid4().hex[:8]}")
    install_faults(bp, options.faults)
    gates: dict[str, _Gate] = {}
    sites: dict[str, _Site] = {}
    tickets: dict[str, dict[str, Any]] = {}
    by_event: dict[str, str] = {}
    received: list[dict[str, Any]] = []
    rng = random.Random(options.extra.get("seed", 42))
    capacities: dict[str, int] = {**SITE_CAPACITY, **options.extra.get("capacities", {})}

    def site(code: str) -> _Site:
        if code not in sites:
            sites[code] = _Site(capacity=capacities.get(code, DEFAULT_CAPACITY), peak=_site_peak(code))
        return sites[code]

    def gate(code: str) -> _Gate:
        return gates.setdefault(code, _Gate())

    @bp.get("/gates/occupancy")
    async def occupancy(request: Request) -> HTTPResponse:
        codes = [c for c in (request.args.get("areas") or "").split(",") if c][:200]
        moment = dt.datetime.now(dt.UTC)
        if request.args.get("at"):
            try:
                moment = dt.datetime.fromisoformat(request.args.get("at"))
            except ValueError:
                return problem(400, "bad_request", "at must be an ISO 8601 time")
            if moment.tzinfo is None:
                return problem(400, "bad_request", "at needs a UTC offset")
        areas = []
        for code in codes:
            inside, entries, exits = gate(code).figures(site(code), moment, rng)
            areas.append(
                {
                    "area_code": code,
                    "occupancy": inside,
                    "entries": entries,
                    "exits": exits,
                    "measured_at": moment.astimezone(dt.UTC).isoformat(),
                }
            )
        return json({"areas": areas})

    @bp.put("/gates/<code>")
    async def pin(request: Request, code: str) -> HTTPResponse:
        body = request.json or {}
        if not isinstance(body.get("occupancy"), int) or body["occupancy"] < 0:
            return problem(400, "bad_request", "occupancy must be a non-negative integer")
        gates[code] = _Gate(entries=body["occupancy"], exits=0, pinned=bool(body.get("pinned", True)))
        return json({"area_code": code, "occupancy": body["occupancy"]})

    @bp.put("/gates/<code>/profile")
    async def profile(request: Request, code: str) -> HTTPResponse:
        body = request.json or {}
        current = site(code)
        capacity, peak = body.get("capacity", current.capacity), body.get("peak", current.peak)
        if not isinstance(capacity, int) or capacity < 0 or not isinstance(peak, int | float) or peak < 0:
            return problem(400, "bad_request", "capacity must be a non-negative integer, peak a share")
        sites[code] = _Site(capacity=capacity, peak=float(peak))
        return json({"area_code": code, "capacity": capacity, "peak": float(peak)})

    @bp.post("/gates/<code>/passes")
    async def passes(request: Request, code: str) -> HTTPResponse:
        body = request.json or {}
        g = gate(code)
        inside, _, _ = g.figures(site(code), dt.datetime.now(dt.UTC), rng)
        g.entries += max(0, int(body.get("entries", 0)))
        g.exits += min(inside + max(0, int(body.get("entries", 0))), max(0, int(body.get("exits", 0))))
        return json({"area_code": code, "occupancy": g.figures(site(code), dt.datetime.now(dt.UTC), rng)[0]})

    @bp.post("/tickets")
    async def issue(request: Request) -> HTTPResponse:
        if not options.permissive and not signed(request, options):
            return problem(*UNSIGNED)
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
        refused = _bad_visitor(visitors)
        received.append({"event_id": event_id, "booking_id": body["booking_id"], "visitors": visitors})
        if refused is not None:
            return problem(400, "bad_visitors", f"visitor {refused}: name or document number not acceptable")
        ticket_id = "T" + uuid.uuid4().hex[:12].upper()
        tickets[ticket_id] = {
            "ticket_id": ticket_id,
            "booking_id": body["booking_id"],
            "area_code": body["area_code"],
            "entry_start": body.get("entry_start"),
            "entry_end": body.get("entry_end"),
            "visitor_count": len(visitors),
            "visitors": [
                {"name": v["name"], "id_type": v.get("id_type") or "resident_id", "id_number": v["id_number"]}
                for v in visitors
            ],
            "check_in_code": body.get("check_in_code"),
            "voided": False,
        }
        by_event[event_id] = ticket_id
        return json(tickets[ticket_id], status=201)

    @bp.get("/__control/ticket-requests")
    async def show_received(request: Request) -> HTTPResponse:
        return json({"requests": received})

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
