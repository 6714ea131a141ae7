"""Sandbox of the city's eldercare service platform (居家养老服务平台): providers, service areas, dispatch.

Providers serve communities (by community code prefix: a sub-district or one community) at their
prices. Orders arrive signed (HMAC) with our outbox event id in X-Event-Id; a repeated event gets the
first receipt. The dispatch lifecycle is accepted -> assigned (a worker) -> en_route -> in_service ->
completed, or refused / cancelled; each step is pushed to `options.callback_url` as a signed event.
An urgent order (紧急呼叫) is accepted at once. In the embedded profile (`permissive`) orders walk
through the lifecycle on their own; tests drive them with POST /__advance/<ref>.

Routes (under /sandbox/eldercare when mounted):
  GET  /api/services?community=<code>       services, providers and prices in that community
  POST /api/orders                          dispatch an order -> {"platform_ref", "status", "duplicate"}
  POST /api/orders/<ref>/cancel             the citizen cancelled
  GET  /api/orders, /api/orders/<ref>       what the platform holds (tests and demos)
  POST /__advance/<ref>  {"status", "worker_name"?}   move an order and call back now
  POST /__replay/<ref>                      send the last callback again (same event id)
  POST /__reset                             forget every order (tests)
  GET|POST|DELETE /__faults                 fault injection
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from integrations.sandbox.callbacks import post_signed_callback
from integrations.sandbox.departments import (
    UNSIGNED,
    Background,
    problem,
    refuse_submission,
    signed,
)
from integrations.sandbox.faults import SandboxOptions, install_faults

__all__ = ["PROVIDERS", "create_blueprint"]

# code, name, community prefixes served, {kind: (price in fen, unit)}  — demo data
PROVIDERS: list[tuple[str, str, tuple[str, ...], dict[str, tuple[int, str]]]] = [
    (
        "yiyang",
        "济源市颐养居家养老服务有限公司（演示）",
        ("qinyuan", "jishui"),
        {"meal": (1500, "餐"), "cleaning": (5000, "2小时"), "bathing": (8000, "次")},
    ),
    (
        "kangning",
        "康宁居家养老服务中心（演示）",
        ("qinyuan", "jishui", "beihai"),
        {
            "medical_escort": (6000, "次"),
            "mobility": (3000, "次"),
            "emergency": (0, "次"),
            "cleaning": (4500, "2小时"),
        },
    ),
    (
        "ankang",
        "安康长者饭堂（演示）",
        ("beihai", "tiantan", "yuquan"),
        {"meal": (1200, "餐"), "emergency": (0, "次")},
    ),
]
_WORKERS = ("王秀英", "李桂兰", "张建军", "刘德华", "陈小红")
_AUTO = (("assigned", 2.0), ("en_route", 3.0), ("in_service", 5.0), ("completed", 10.0))
_NEXT = {
    "received": {"accepted", "refused", "cancelled"},
    "accepted": {"assigned", "cancelled"},
    "assigned": {"en_route", "cancelled"},
    "en_route": {"in_service", "cancelled"},
    "in_service": {"completed"},
}


def _offers(community: str) -> list[dict[str, Any]]:
    prefix = community.split("-", 1)[0]
    offers = []
    for code, name, areas, prices in PROVIDERS:
        if prefix in areas or community in areas:
            for kind, (price, unit) in prices.items():
                offers.append(
                    {
                        "kind": kind,
                        "provider_code": code,
                        "provider_name": name,
                        "price_fen": price,
                        "unit": unit,
                        "available": True,
                    }
                )
    return offers


def create_blueprint(options: SandboxOptions) -> Blueprint:
    bp = Blueprint(f"sandbox_eldercare_{uuid.uuid4().hex[:8]}")
    install_faults(bp, options.faults)
    orders: dict[str, dict[str, Any]] = {}
    by_event: dict[str, str] = {}
    auto = bool(options.extra.get("auto_advance", options.permissive))
    background = Background(bp)

    async def call_back(event: dict[str, Any]) -> int:
        """POST one signed event to the citizen API; its HTTP status (0 = unreachable)."""
        return await post_signed_callback(options, event)

    def move(
        order: dict[str, Any], status: str, worker: str | None = None, note: str | None = None
    ) -> dict[str, Any]:
        order["status"] = status
        if worker:
            order["worker_name"] = worker
        event = {
            "event_id": "EC-" + uuid.uuid4().hex,
            "platform_ref": order["platform_ref"],
            "order_id": order["order_id"],
            "status": status,
            "worker_name": order.get("worker_name") if status == "assigned" else None,
            "occurred_at": dt.datetime.now(dt.UTC).isoformat(),
            "note": note,
        }
        order["events"].append(event)
        return event

    async def walk(order: dict[str, Any]) -> None:
        for status, pause in _AUTO:
            await asyncio.sleep(pause / (4 if order["urgent"] else 1))
            if status not in _NEXT.get(order["status"], set()):
                return
            worker = _WORKERS[len(orders) % len(_WORKERS)] if status == "assigned" else None
            await call_back(move(order, status, worker))

    @bp.get("/api/services")
    async def services(request: Request) -> HTTPResponse:
        community = (request.args.get("community") or "").strip()
        if not community:
            return problem(400, "bad_request", "community is required")
        return json({"community": community, "services": _offers(community)})

    @bp.post("/api/orders")
    async def submit(request: Request) -> HTTPResponse:
        if (refusal := refuse_submission(request, options)) is not None:
            return refusal
        event_id = request.headers["x-event-id"]
        if event_id in by_event:
            order = orders[by_event[event_id]]
            return json({"platform_ref": order["platform_ref"], "status": order["status"], "duplicate": True})
        body = request.json if isinstance(request.json, dict) else {}
        if not body.get("order_id") or not body.get("kind") or not body.get("address"):
            return problem(400, "bad_request", "order_id, kind and address are required")
        offers = [o for o in _offers(str(body.get("community_code") or "")) if o["kind"] == body["kind"]]
        if body.get("provider_code"):
            offers = [o for o in offers if o["provider_code"] == body["provider_code"]]
        if not offers:
            return problem(422, "no_provider", "no provider serves this service in that community")
        ref = "EC" + dt.datetime.now(dt.UTC).strftime("%Y%m%d") + uuid.uuid4().hex[:8].upper()
        order = {
            "platform_ref": ref,
            "order_id": str(body["order_id"]),
            "kind": body["kind"],
            "urgent": bool(body.get("urgent")),
            "provider_code": offers[0]["provider_code"],
            "community_code": body.get("community_code"),
            # Kept as received: the platform needs the address to send someone (tests assert it arrived).
            "address": body["address"],
            "window_start": body.get("window_start"),
            "window_end": body.get("window_end"),
            "status": "received",
            "events": [],
            "event_id": event_id,
        }
        orders[ref] = order
        by_event[event_id] = ref
        status = "received"
        if order["urgent"]:
            # 紧急呼叫: the duty desk accepts at once and tells us straight away.
            event = move(order, "accepted", note="urgent")
            status = "accepted"
            background.start(call_back(event))
        if auto:
            background.start(walk_from_start(order))
        return json({"platform_ref": ref, "status": status, "duplicate": False}, status=201)

    async def walk_from_start(order: dict[str, Any]) -> None:
        if order["status"] == "received":
            await asyncio.sleep(1.0)
            # Re-read after the pause: a cancellation that arrived meanwhile ends the walk (it used to be
            # overwritten by "accepted", and the provider then served an order the resident had cancelled).
            if order["status"] != "received":
                return
            await call_back(move(order, "accepted"))
        await walk(order)

    @bp.post("/api/orders/<ref>/cancel")
    async def cancel(request: Request, ref: str) -> HTTPResponse:
        if not signed(request, options):
            return problem(*UNSIGNED)
        order = orders.get(ref)
        if order is None:
            return problem(404, "not_found", "no such order")
        if "cancelled" in _NEXT.get(order["status"], set()):
            order["status"] = "cancelled"
        elif order["status"] != "cancelled":
            return problem(409, "too_late", f"an order that is {order['status']} cannot be cancelled")
        return json({"ok": True, "status": order["status"]})

    @bp.get("/api/orders")
    async def list_orders(request: Request) -> HTTPResponse:
        return json({"orders": [{k: v for k, v in o.items() if k != "events"} for o in orders.values()]})

    @bp.get("/api/orders/<ref>")
    async def show(request: Request, ref: str) -> HTTPResponse:
        order = orders.get(ref)
        return json(order) if order else problem(404, "not_found", "no such order")

    @bp.post("/__advance/<ref>")
    async def advance(request: Request, ref: str) -> HTTPResponse:
        order = orders.get(ref)
        if order is None:
            return problem(404, "not_found", "no such order")
        body = request.json if isinstance(request.json, dict) else {}
        status = str(body.get("status") or "")
        if status not in _NEXT.get(order["status"], set()):
            return problem(409, "bad_transition", f"{order['status']} cannot become {status!r}")
        event = move(order, status, body.get("worker_name"), body.get("note"))
        return json({"event": event, "callback_status": await call_back(event)})

    @bp.post("/__reset")
    async def reset(request: Request) -> HTTPResponse:
        """Forget every order (tests)."""
        orders.clear()
        by_event.clear()
        return json({"ok": True})

    @bp.post("/__replay/<ref>")
    async def replay(request: Request, ref: str) -> HTTPResponse:
        order = orders.get(ref)
        if order is None or not order["events"]:
            return problem(404, "not_found", "no callback to replay")
        return json({"callback_status": await call_back(order["events"][-1])})

    return bp
