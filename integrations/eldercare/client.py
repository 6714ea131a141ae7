"""HTTP adapter to the eldercare service platform.

GET  /api/services?community=<code>          -> {"services": [{"kind", "provider_code", "provider_name", "price_fen", "unit", "available"}]}
POST /api/orders   (signed, X-Event-Id)      -> {"platform_ref", "status", "duplicate"}
POST /api/orders/<ref>/cancel                -> {"ok": true}  (409 once the service has started)
GET  /api/orders/<ref>                       -> {"platform_ref", "status", ...}
Callbacks (to us, HMAC-signed): {"event_id", "platform_ref", "order_id", "status", "worker_name"?, "occurred_at", "note"?}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from integrations.eldercare.errors import DispatchRejected, EldercarePlatformDown
from integrations.eldercare.types import (
    CareServiceOffer,
    DispatchReceipt,
    DispatchRequest,
    PlatformNotification,
)
from integrations.errors import IntegrationProtocolError, IntegrationRejected, IntegrationUnavailable
from integrations.http import HttpAdapter

__all__ = ["EldercareClient", "parse_notification"]

_STATUSES = frozenset({"accepted", "assigned", "en_route", "in_service", "completed", "refused", "cancelled"})


class EldercareClient(HttpAdapter):
    """Satisfies services.care.ports.EldercarePlatform."""

    system = "eldercare"

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            return await self.request_json(method, path, **kwargs)
        except IntegrationUnavailable as error:
            raise EldercarePlatformDown(self.system, str(error), status=error.status) from error
        except IntegrationRejected as error:
            raise DispatchRejected(
                self.system, str(error), remote_code=error.remote_code, status=error.status
            ) from error

    async def services(self, community_code: str) -> list[CareServiceOffer]:
        """What providers offer in one community."""
        data = await self._call("GET", "/api/services", params={"community": community_code})
        try:
            return [
                CareServiceOffer(
                    kind=str(item["kind"]),
                    provider_code=str(item["provider_code"]),
                    provider_name=str(item["provider_name"]),
                    price_fen=int(item["price_fen"]),
                    unit=str(item.get("unit") or ""),
                    available=bool(item.get("available", True)),
                )
                for item in data["services"]
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise IntegrationProtocolError(self.system, "malformed services answer") from error

    async def dispatch(self, request: DispatchRequest) -> DispatchReceipt:
        """Submit an order; a repeat with the same event id returns the first receipt."""
        body = {
            "order_id": request.order_id,
            "kind": request.kind,
            "urgent": request.urgent,
            "community_code": request.community_code,
            "provider_code": request.provider_code,
            "address": request.address,
            "contact_name": request.contact_name,
            "contact_phone": request.contact_phone,
            "window_start": request.window_start.isoformat() if request.window_start else None,
            "window_end": request.window_end.isoformat() if request.window_end else None,
            "notes": request.notes,
        }
        data = await self._call(
            "POST", "/api/orders", json_body=body, headers={"X-Event-Id": request.event_id}, idempotent=True
        )
        try:
            return DispatchReceipt(
                platform_ref=str(data["platform_ref"]),
                status=str(data.get("status") or "received"),
                duplicate=bool(data.get("duplicate", False)),
            )
        except (KeyError, TypeError) as error:
            raise IntegrationProtocolError(self.system, "malformed order receipt") from error

    async def cancel(self, platform_ref: str, *, reason: str) -> None:
        """Cancel a dispatched order; an order the platform no longer has is cancelled already."""
        try:
            await self._call(
                "POST", f"/api/orders/{platform_ref}/cancel", json_body={"reason": reason}, idempotent=True
            )
        except DispatchRejected as error:
            if error.status == 404:
                return
            raise

    async def order_status(self, platform_ref: str) -> str:
        """Where the platform has the order now (e.g. after it refused a cancellation)."""
        data = await self._call("GET", f"/api/orders/{platform_ref}")
        status = data.get("status") if isinstance(data, dict) else None
        if status not in _STATUSES | {"received"}:
            raise IntegrationProtocolError(self.system, "malformed order status")
        return str(status)

    def parse_notification(self, data: Any) -> PlatformNotification:
        return parse_notification(data)


def parse_notification(data: Any) -> PlatformNotification:
    """A callback body (signature already checked) as a typed value."""
    try:
        status = str(data["status"])
        if status not in _STATUSES:
            raise ValueError(status)
        occurred = dt.datetime.fromisoformat(str(data["occurred_at"]))
        return PlatformNotification(
            event_id=str(data["event_id"])[:96],
            platform_ref=str(data["platform_ref"]),
            order_id=str(data["order_id"]),
            status=status,
            worker_name=str(data["worker_name"]) if data.get("worker_name") else None,
            occurred_at=occurred if occurred.tzinfo else occurred.replace(tzinfo=dt.UTC),
            note=str(data["note"])[:255] if data.get("note") else None,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise IntegrationProtocolError("eldercare", "malformed callback") from error
