"""Abuse limits per address and per account on every write that costs the city something.

A second API process with tight limits (the limits are settings) is hit with requests that would
otherwise be refused for their content: the limit is counted first, so the third attempt is a 429
with Retry-After, whatever the body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from citizen_api.app import create_app
from citizen_api.settings import DEFAULT_RATE_LIMITS, Settings
from services.accounts.enums import Role, VerificationLevel
from services.common.ids import new_id
from services.common.models import AuditEntry
from tests.api.test_tourism_entry import _area, _tomorrow_slots, id_number
from tests.conftest import free_port, start_server, stop_server
from tests.factories import auth_headers, make_user

TIGHT = {
    "auth.refresh.ip": "2/hour",
    "phone.bind.ip": "2/hour",
    "reports.create.ip": "2/hour",
    "notices.create.user": "2/hour",
    "events.create.user": "2/hour",
    "applications.create.user": "2/hour",
    "bookings.create.user": "2/hour",
    "tourism.bookings.create.user": "2/hour",
    "open311.create.ip": "2/hour",
    "tourism.visitor_conflict.user": "2/hour",
}
ROUTES = [
    ("auth.refresh.ip", "/api/v1/auth/refresh", False),
    ("phone.bind.ip", "/api/v1/me/phone", True),
    ("reports.create.ip", "/api/v1/community/reports", True),
    ("notices.create.user", f"/api/v1/staff/communities/{new_id()}/notices", True),
    ("events.create.user", f"/api/v1/staff/communities/{new_id()}/events", True),
    ("applications.create.user", "/api/v1/gov/applications", True),
    ("bookings.create.user", "/api/v1/bookings", True),
    ("bookings.create.user", f"/api/v1/slots/{new_id()}/waitlist", True),
    ("tourism.bookings.create.user", "/api/v1/tourism/bookings", True),
]


@pytest.fixture(scope="module")
async def tight_settings(settings) -> Settings:
    return settings.model_copy(update={"port": free_port(), "rate_limits": TIGHT})


@pytest.fixture(scope="module")
async def tight(tight_settings, app) -> AsyncIterator[httpx.AsyncClient]:
    tight_app = create_app(tight_settings, name=f"limits_{tight_settings.port}")
    server = await start_server(tight_app, tight_settings.port)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{tight_settings.port}", timeout=30) as http:
        yield http
    await stop_server(server)


async def _staff(settings) -> dict[str, str]:
    user = await make_user(roles={Role.COMMUNITY_STAFF: [""], Role.ADMIN: [""]})
    return auth_headers(user, settings, **{"Accept-Language": "en"})


@pytest.mark.parametrize(("rule", "path", "signed_in"), ROUTES)
async def test_limits__third_attempt_is_429_with_retry_after(
    tight: httpx.AsyncClient, tight_settings, db, rule: str, path: str, signed_in: bool
) -> None:
    headers = await _staff(tight_settings) if signed_in else {"Accept-Language": "en"}
    first = [(await tight.post(path, json={"nonsense": True}, headers=headers)).status_code for _ in range(2)]
    assert 429 not in first
    limited = await tight.post(path, json={"nonsense": True}, headers=headers)
    assert limited.status_code == 429, (rule, limited.text)
    assert int(limited.headers["Retry-After"]) >= 1
    error = limited.json()["error"]
    assert error["code"] == "request.too_many" and "seconds" in error["message"]


async def test_limits__per_user_limit_does_not_bind_another_user(
    tight: httpx.AsyncClient, tight_settings, db
) -> None:
    first = await _staff(tight_settings)
    for _ in range(3):
        await tight.post("/api/v1/bookings", json={}, headers=first)
    other = await _staff(tight_settings)
    assert (await tight.post("/api/v1/bookings", json={}, headers=other)).status_code != 429


async def test_limits__open311_post_is_limited_in_spec_format(tight: httpx.AsyncClient) -> None:
    statuses = [
        (
            await tight.post("/open311/v2/requests.json", data={"api_key": "k", "service_code": "x"})
        ).status_code
        for _ in range(3)
    ]
    assert 429 not in statuses[:2] and statuses[2] == 429
    limited = await tight.post("/open311/v2/requests.json", data={"api_key": "k", "service_code": "x"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert isinstance(limited.json(), list) and limited.json()[0]["code"]


def test_limits__every_costly_write_has_a_default_limit() -> None:
    for name in (
        "auth.refresh.ip",
        "phone.bind.ip",
        "reports.create.ip",
        "notices.create.user",
        "events.create.user",
        "applications.create.user",
        "bookings.create.user",
        "tourism.bookings.create.user",
        "tourism.visitor_conflict.user",
        "open311.create.ip",
        "open311.create.user",
    ):
        assert Settings(_env_file=None).rate_limit(name) == DEFAULT_RATE_LIMITS[name]


def test_limits__bad_limit_setting_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="bookings.create.user"):
        Settings(_env_file=None, rate_limits={"bookings.create.user": "lots"})
    assert (
        Settings(_env_file=None, rate_limits={"bookings.create.user": ""}).rate_limit("bookings.create.user")
        is None
    )


async def test_limits__visitor_conflict_refusals_are_budgeted_and_audited(
    tight: httpx.AsyncClient, tight_settings, client: httpx.AsyncClient
) -> None:
    area = await _area()
    first_slot, second_slot = (await _tomorrow_slots(client, area))[:2]
    victim = {"name": "赵六", "id_number": id_number(7)}
    owner = auth_headers(await make_user(level=VerificationLevel.PHONE), tight_settings)
    prober_user = await make_user(level=VerificationLevel.PHONE)
    prober = auth_headers(prober_user, tight_settings)
    booked = await tight.post(
        "/api/v1/tourism/bookings", json={"slot_id": first_slot["id"], "visitors": [victim]}, headers=owner
    )
    assert booked.status_code == 201, booked.text
    probes = [
        await tight.post(
            "/api/v1/tourism/bookings",
            json={"slot_id": second_slot["id"], "visitors": [victim]},
            headers=prober,
        )
        for _ in range(2)
    ]
    assert [p.status_code for p in probes] == [409, 409]
    # The budget is spent: every further attempt is a 429, whether it would have been refused or not.
    stranger = {"name": "钱七", "id_number": id_number(8)}
    for visitors in ([victim], [stranger]):
        limited = await tight.post(
            "/api/v1/tourism/bookings",
            json={"slot_id": second_slot["id"], "visitors": visitors},
            headers=prober,
        )
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    entries = await AuditEntry.filter(action="tourism.visitor_conflict")
    assert len(entries) == 2 and {e.actor_id for e in entries} == {str(prober_user.id)}
    assert entries[0].details == {"refusal": "booking.visitor_already_booked"}
