"""Bookings made for someone else (issue 11.2): access lasts only while the grant does, and every
action taken for the represented person is in their proxy log, exactly once."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.accounts.enums import FamilyGrantStatus
from services.accounts.models import FamilyGrant, ProxyAction
from services.common import clock
from tests.api.bookings_helpers import make_grant as _grant
from tests.api.bookings_helpers import make_resource as _resource
from tests.api.bookings_helpers import make_slot as _slot
from tests.factories import auth_headers, make_user

pytestmark = pytest.mark.usefixtures("app")


async def _book_for(client, settings, proxy, subject, slot, *, by_header: bool) -> dict:
    if by_header:
        response = await client.post(
            "/api/v1/bookings",
            json={"slot_id": str(slot.id)},
            headers=auth_headers(proxy, settings, **{"X-Acting-For": str(subject.id)}),
        )
    else:
        response = await client.post(
            "/api/v1/bookings",
            json={"slot_id": str(slot.id), "for_member": str(subject.id)},
            headers=auth_headers(proxy, settings),
        )
    assert response.status_code == 201, response.text
    return response.json()


async def test_proxy_log__booking_by_body_or_header_is_logged_once(
    client: httpx.AsyncClient, settings
) -> None:
    resource = await _resource()
    slot_a, slot_b = await _slot(resource, capacity=3), await _slot(resource, capacity=3, hours_ahead=48)
    parent, child = await make_user(), await make_user()
    await _grant(child, parent)
    await _book_for(client, settings, child, parent, slot_a, by_header=False)
    logged = await ProxyAction.filter(subject_id=parent.id, method="POST", route="/api/v1/bookings")
    assert len(logged) == 1 and logged[0].proxy_id == child.id and logged[0].status == 201
    await _book_for(client, settings, child, parent, slot_b, by_header=True)
    assert await ProxyAction.filter(subject_id=parent.id, route="/api/v1/bookings").count() == 2
    # Shown to the represented person in their proxy log.
    shown = await client.get("/api/v1/me/proxy-log", headers=auth_headers(parent, settings))
    assert shown.status_code == 200 and len(shown.json()["items"]) == 2


async def test_proxy__reads_and_cancels_for_the_person_only_while_the_grant_lasts(
    client: httpx.AsyncClient, settings
) -> None:
    resource = await _resource()
    slot = await _slot(resource, capacity=3)
    parent, child = await make_user(), await make_user()
    grant = await _grant(child, parent)
    booking = await _book_for(client, settings, child, parent, slot, by_header=False)
    path = f"/api/v1/bookings/{booking['id']}"

    # While the grant lives, the proxy reads it (with its check-in code) without the header: logged.
    seen = await client.get(path, headers=auth_headers(child, settings))
    assert seen.status_code == 200 and seen.json()["check_in_code"]
    assert await ProxyAction.filter(subject_id=parent.id, method="GET", route=path).count() == 1

    await FamilyGrant.filter(id=grant.id).update(status=FamilyGrantStatus.REVOKED)
    assert (await client.get(path, headers=auth_headers(child, settings))).status_code == 404
    assert (await client.post(f"{path}/cancel", headers=auth_headers(child, settings))).status_code == 404
    listed = await client.get("/api/v1/me/bookings", headers=auth_headers(child, settings))
    assert listed.json()["items"] == []
    # The represented person still holds it.
    mine = await client.get(path, headers=auth_headers(parent, settings))
    assert mine.status_code == 200 and mine.json()["status"] == "confirmed"


async def test_proxy__expired_grant_cannot_cancel(client: httpx.AsyncClient, settings) -> None:
    resource = await _resource()
    slot = await _slot(resource, capacity=3)
    parent, child = await make_user(), await make_user()
    grant = await _grant(child, parent)
    booking = await _book_for(client, settings, child, parent, slot, by_header=True)
    await FamilyGrant.filter(id=grant.id).update(expires_at=clock.now() - dt.timedelta(minutes=1))
    cancel = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", headers=auth_headers(child, settings)
    )
    assert cancel.status_code == 404
    # While live, a cancel by the proxy is in the person's log once.
    await FamilyGrant.filter(id=grant.id).update(expires_at=clock.now() + dt.timedelta(days=1))
    cancel = await client.post(
        f"/api/v1/bookings/{booking['id']}/cancel", headers=auth_headers(child, settings)
    )
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert (
        await ProxyAction.filter(
            subject_id=parent.id, route=f"/api/v1/bookings/{booking['id']}/cancel"
        ).count()
        == 1
    )
