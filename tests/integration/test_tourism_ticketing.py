"""The ticketing/gate adapter against its sandbox on loopback: occupancy, tickets, faults, signatures."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from integrations.sandbox import SandboxOptions
from integrations.ticketing.client import TicketingClient
from integrations.ticketing.errors import GateSystemDown, TicketRejected
from integrations.ticketing.types import TicketRequest, TicketVisitor

START = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


def _request(event_id: str, visitors: int = 2) -> TicketRequest:
    return TicketRequest(
        event_id=event_id,
        booking_id="b-1",
        area_code="wangwushan",
        entry_start=START,
        entry_end=START + dt.timedelta(hours=1),
        visitors=tuple(TicketVisitor(name="张三", id_number="11010519491231002X") for _ in range(visitors)),
    )


async def _client(sandbox, settings, **kwargs) -> tuple[TicketingClient, httpx.AsyncClient, str]:
    base_url, options = await sandbox("ticketing", SandboxOptions(app_secret="s3cret", **kwargs))
    http = httpx.AsyncClient(timeout=2)
    return (
        TicketingClient(base_url=base_url, http=http, app_key="citizen-api", app_secret="s3cret"),
        http,
        base_url,
    )


async def test_ticketing__occupancy_follows_gate_passes(sandbox, settings) -> None:
    client, http, base = await _client(sandbox, settings)
    try:
        await http.put(f"{base}/gates/wangwushan", json={"occupancy": 100})
        await http.post(f"{base}/gates/wangwushan/passes", json={"entries": 30, "exits": 10})
        [reading] = await client.occupancy(["wangwushan"])
        assert reading.area_code == "wangwushan"
        assert reading.occupancy == 120
        assert reading.measured_at.tzinfo is not None
        # Areas nobody pinned are simulated: a plausible, non-negative figure.
        [simulated] = await client.occupancy(["xiaolangdi"])
        assert simulated.occupancy >= 0
    finally:
        await http.aclose()


async def test_ticketing__issue_is_signed_and_deduplicated_by_event_id(sandbox, settings) -> None:
    client, http, base = await _client(sandbox, settings)
    try:
        first = await client.issue_ticket(_request("evt-1"))
        again = await client.issue_ticket(_request("evt-1"))
        other = await client.issue_ticket(_request("evt-2"))
        assert first.ticket_id == again.ticket_id
        assert other.ticket_id != first.ticket_id
        shown = (await http.get(f"{base}/tickets/{first.ticket_id}")).json()
        assert shown["visitor_count"] == 2
        unsigned = TicketingClient(base_url=base, http=http)
        with pytest.raises(TicketRejected):
            await unsigned.issue_ticket(_request("evt-3"))
        with pytest.raises(TicketRejected):
            await client.issue_ticket(_request("evt-4", visitors=6))
    finally:
        await http.aclose()


async def test_ticketing__gates_down_is_gate_system_down(sandbox, settings) -> None:
    client, http, base = await _client(sandbox, settings)
    try:
        await http.post(f"{base}/__faults", json={"down": True})
        with pytest.raises(GateSystemDown):
            await client.occupancy(["wangwushan"])
        await http.delete(f"{base}/__faults")
        await http.post(f"{base}/__faults", json={"fail_next": 1})
        [reading] = await client.occupancy(["wangwushan"])  # a GET is retried past one failure
        assert reading.occupancy >= 0
    finally:
        await http.aclose()
