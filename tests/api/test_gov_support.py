"""Shared set-up for the government-services tests: the seeded catalogue, a citizen, the mounted
platform sandbox's control routes, and small helpers to walk a case through the platform."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from citizen_api.worker import deliver_outbox_once
from integrations.signing import sign_request
from services.common.models import OutboxMessage, OutboxStatus
from services.common.seeding import SeedContext
from services.gov.seed import seed_demo

__all__ = [
    "CALLBACK_PATH",
    "ONLINE_ITEM",
    "PNG",
    "PDF",
    "UPLOAD_ITEM",
    "advance",
    "deliver_all",
    "platform_control",
    "seed",
    "signed_callback",
]

# All its materials are e-licences: can be submitted at once.
ONLINE_ITEM = "si-contribution-certificate"
# Needs an uploaded copy of termination_proof and bank_card before it can be submitted.
UPLOAD_ITEM = "unemployment-benefit"
CALLBACK_PATH = "/api/v1/integrations/gov_platform/callback"

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def seed(runtime) -> int:
    """The demo catalogue and halls (the same seed `citizen-api seed --demo` runs)."""
    return await seed_demo(SeedContext(cipher=runtime.cipher))


@contextlib.asynccontextmanager
async def platform_control(settings, runtime) -> AsyncIterator[httpx.AsyncClient]:
    """Control routes of the gov_platform sandbox mounted on the API (the one the adapter calls)."""
    async with httpx.AsyncClient(base_url=settings.sandbox_url("gov_platform"), timeout=30) as control:
        await control.delete("/__faults")
        yield control
        await control.delete("/__faults")
    # The outage tests trip the adapter's circuit breaker; let its cool-down pass for the next test.
    runtime.adapters.gov_platform.breaker.record_success()


async def deliver_all(runtime, *, rounds: int = 20) -> None:
    """Run the outbox until nothing of ours is pending (backoff in tests is ~10 ms)."""
    for _ in range(rounds):
        await deliver_outbox_once(runtime)
        pending = await OutboxMessage.filter(
            topic__startswith="gov.", status__in=[OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]
        ).count()
        if not pending:
            return
        await asyncio.sleep(0.05)


async def advance(
    platform: httpx.AsyncClient, platform_ref: str, status: str, **extra: Any
) -> dict[str, Any]:
    """Make the sandbox move a case and call us back now; returns its answer (with callback_status)."""
    response = await platform.post(f"/__advance/{platform_ref}", json={"status": status, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def signed_callback(
    settings, event: dict[str, Any], *, secret: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """A callback body and headers signed like the platform signs them."""
    raw = json.dumps(event).encode()
    headers = sign_request(
        app_key=settings.integration_app_key,
        secret=secret or settings.integration_app_secret.get_secret_value(),
        method="POST",
        path=CALLBACK_PATH,
        body=raw,
    )
    headers["Content-Type"] = "application/json"
    return raw, headers
