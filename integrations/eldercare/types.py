"""Values the eldercare platform adapter returns and takes; no httpx type leaves the adapter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["CareServiceOffer", "DispatchReceipt", "DispatchRequest", "PlatformNotification"]


@dataclass(frozen=True, slots=True)
class CareServiceOffer:
    """One service a provider offers in a community, at a price in fen per unit."""

    kind: str  # meal | cleaning | bathing | medical_escort | mobility | emergency
    provider_code: str
    provider_name: str
    price_fen: int
    unit: str
    available: bool = True


@dataclass(frozen=True, slots=True)
class DispatchRequest:
    """An order to dispatch; `event_id` lets the platform drop a retried submission."""

    event_id: str
    order_id: str
    kind: str
    urgent: bool
    community_code: str
    provider_code: str | None
    address: str
    contact_name: str
    contact_phone: str | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    notes: str | None

    def __repr__(self) -> str:
        return f"DispatchRequest(order_id={self.order_id!r}, kind={self.kind!r}, address='***')"


@dataclass(frozen=True, slots=True)
class DispatchReceipt:
    platform_ref: str
    status: str
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class PlatformNotification:
    """A status push: the order moved (accepted, assigned with a worker, en route, ...)."""

    event_id: str
    platform_ref: str
    order_id: str
    status: str
    worker_name: str | None
    occurred_at: dt.datetime
    note: str | None = None
