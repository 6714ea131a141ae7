"""The refusal budget (issue 11.8): "this visitor already holds an entry that day" says something about
another person, so a user may be told it only a few times an hour — on every route that books entry,
not only the tourism alias. Both routes spend one budget (`tourism.visitor_conflict.user`).

The server here has a tight budget but the ordinary booking limits, so a 429 can only come from the budget.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from citizen_api.app import create_app
from citizen_api.settings import Settings
from services.accounts.enums import VerificationLevel
from services.common.models import AuditEntry
from tests.api.test_tourism_entry import _area, _tomorrow_slots, id_number
from tests.conftest import free_port, start_server, stop_server
from tests.factories import auth_headers, make_user

BUDGET = {"tourism.visitor_conflict.user": "2/hour"}


@pytest.fixture(scope="module")
async def budget_settings(settings) -> Settings:
    return settings.model_copy(update={"port": free_port(), "rate_limits": BUDGET})


@pytest.fixture(scope="module")
async def budgeted(budget_settings, app) -> AsyncIterator[httpx.AsyncClient]:
    budget_app = create_app(budget_settings, name=f"budget_{budget_settings.port}")
    server = await start_server(budget_app, budget_settings.port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{budget_settings.port}", timeout=30) as http:
        yield http
    await stop_server(server)


async def _victim_booked(
    budgeted: httpx.AsyncClient, client: httpx.AsyncClient, settings
) -> tuple[dict, dict]:
    """A stranger's entry for tomorrow's first slot; returns (the victim, the second slot)."""
    area = await _area()
    first_slot, second_slot = (await _tomorrow_slots(client, area))[:2]
    victim = {"name": "赵六", "id_number": id_number(7)}
    owner = auth_headers(await make_user(level=VerificationLevel.PHONE), settings)
    booked = await budgeted.post(
        "/api/v1/bookings", json={"slot_id": first_slot["id"], "visitors": [victim]}, headers=owner
    )
    assert booked.status_code == 201, booked.text
    return victim, second_slot


async def test_refusal_budget__generic_bookings_route_is_budgeted_and_audited(
    budgeted: httpx.AsyncClient, budget_settings, client: httpx.AsyncClient
) -> None:
    victim, slot = await _victim_booked(budgeted, client, budget_settings)
    prober_user = await make_user(level=VerificationLevel.PHONE)
    prober = {**auth_headers(prober_user, budget_settings), "Accept-Language": "en"}
    probes = [
        await budgeted.post(
            "/api/v1/bookings", json={"slot_id": slot["id"], "visitors": [victim]}, headers=prober
        )
        for _ in range(2)
    ]
    assert [p.status_code for p in probes] == [409, 409], probes[-1].text
    assert probes[0].json()["error"]["code"] == "booking.visitor_already_booked"
    # Spent: every further attempt is a 429, whether it would have been refused or not.
    stranger = {"name": "钱七", "id_number": id_number(8)}
    for visitors in ([victim], [stranger]):
        limited = await budgeted.post(
            "/api/v1/bookings", json={"slot_id": slot["id"], "visitors": visitors}, headers=prober
        )
        assert limited.status_code == 429, limited.text
        assert int(limited.headers["Retry-After"]) >= 1 and "seconds" in limited.json()["error"]["message"]
    entries = await AuditEntry.filter(action="tourism.visitor_conflict")
    assert len(entries) == 2 and {e.actor_id for e in entries} == {str(prober_user.id)}
    # Someone else's budget is untouched: the stranger's entry goes through for another user.
    other = auth_headers(await make_user(level=VerificationLevel.PHONE), budget_settings)
    allowed = await budgeted.post(
        "/api/v1/bookings", json={"slot_id": slot["id"], "visitors": [stranger]}, headers=other
    )
    assert allowed.status_code == 201, allowed.text


async def test_refusal_budget__one_budget_across_both_booking_routes(
    budgeted: httpx.AsyncClient, budget_settings, client: httpx.AsyncClient
) -> None:
    victim, slot = await _victim_booked(budgeted, client, budget_settings)
    prober = auth_headers(await make_user(level=VerificationLevel.PHONE), budget_settings)
    body = {"slot_id": slot["id"], "visitors": [victim]}
    via_tourism = await budgeted.post("/api/v1/tourism/bookings", json=body, headers=prober)
    via_bookings = await budgeted.post("/api/v1/bookings", json=body, headers=prober)
    assert (via_tourism.status_code, via_bookings.status_code) == (409, 409)
    for path in ("/api/v1/tourism/bookings", "/api/v1/bookings"):
        assert (await budgeted.post(path, json=body, headers=prober)).status_code == 429, path
