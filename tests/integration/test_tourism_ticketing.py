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


def _at(hour: int, minute: int = 0) -> str:
    return dt.datetime(2026, 12, 1, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8))).isoformat()


async def _occupancy(http: httpx.AsyncClient, base: str, code: str, at: str) -> int:
    answer = await http.get(f"{base}/gates/occupancy", params={"areas": code, "at": at})
    assert answer.status_code == 200, answer.text
    return answer.json()["areas"][0]["occupancy"]


async def test_gates__occupancy_follows_capacity_with_a_daily_curve(sandbox, settings) -> None:
    _, http, base = await _client(sandbox, settings)
    try:
        day = [await _occupancy(http, base, "fengxian-temple", _at(h)) for h in (6, 8, 10, 12, 15, 17, 20)]
        night_early, morning, late_morning, noon, afternoon, evening, night = day
        assert night_early == 0 and night == 0
        assert morning < late_morning < noon  # the morning rise to the noon peak
        assert noon > afternoon > evening  # the evening fall
        assert 0.5 * 600 <= noon <= 1.1 * 600  # 奉仙观: 600 at once, never 2,410
        # A bigger site draws a bigger crowd; a profile override changes the figure at once.
        assert await _occupancy(http, base, "wangwushan", _at(12)) > 4000
        await http.put(f"{base}/gates/fengxian-temple/profile", json={"capacity": 6000, "peak": 1.0})
        assert 5500 <= await _occupancy(http, base, "fengxian-temple", _at(12, 30)) <= 6200
        unknown = await _occupancy(http, base, "not-a-demo-site", _at(12, 30))
        assert 0 < unknown <= 1100  # DEFAULT_CAPACITY
    finally:
        await http.aclose()


def test_gates__site_capacities_match_the_demo_seed() -> None:
    from integrations.sandbox.ticketing import SITE_CAPACITY
    from services.tourism.seed import AREAS

    assert SITE_CAPACITY == {area["code"]: area["instant_capacity"] for area in AREAS}


async def test_ticketing__visitor_documents_checked_by_type_and_kept(sandbox, settings) -> None:
    client, http, base = await _client(sandbox, settings)

    def request(event_id: str, *visitors: TicketVisitor) -> TicketRequest:
        return TicketRequest(
            event_id=event_id,
            booking_id=f"b-{event_id}",
            area_code="wangwushan",
            entry_start=START,
            entry_end=START + dt.timedelta(hours=1),
            visitors=visitors,
        )

    try:
        issued = await client.issue_ticket(
            request(
                "ok",
                TicketVisitor(name="JOHN SMITH", id_number="E12345678", id_type="passport"),
                TicketVisitor(name="陈大文", id_number="M12345678", id_type="hk_macao_permit"),
                TicketVisitor(name="林志明", id_number="01234567", id_type="taiwan_permit"),
                TicketVisitor(
                    name="MARIA", id_number="ESP110090010101", id_type="foreign_permanent_resident"
                ),
            )
        )
        kept = (await http.get(f"{base}/tickets/{issued.ticket_id}")).json()["visitors"]
        assert [(v["id_type"], v["id_number"]) for v in kept] == [
            ("passport", "E12345678"),
            ("hk_macao_permit", "M12345678"),
            ("taiwan_permit", "01234567"),
            ("foreign_permanent_resident", "ESP110090010101"),
        ]
        for event_id, visitor in (
            ("masked", TicketVisitor(name="张*", id_number="1101**********002X")),
            ("spaced", TicketVisitor(name="张三", id_number="110105 19491231002X")),
            ("checksum", TicketVisitor(name="张三", id_number="110105194912310021")),
            ("wrong-type", TicketVisitor(name="张三", id_number="11010519491231002X", id_type="passport")),
            ("masked-name", TicketVisitor(name="张**", id_number="11010519491231002X")),
        ):
            with pytest.raises(TicketRejected):
                await client.issue_ticket(request(event_id, visitor))
        received = (await http.get(f"{base}/__control/ticket-requests")).json()["requests"]
        assert [r["event_id"] for r in received] == [
            "ok",
            "masked",
            "spaced",
            "checksum",
            "wrong-type",
            "masked-name",
        ]
    finally:
        await http.aclose()
