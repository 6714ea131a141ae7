"""Family proxies through HTTP: invitations, acting for someone, the proxy log, and every refusal.

A small probe blueprint declares `proxy_scope=` routes the way domain endpoints do, served by a second
app instance on loopback over the same database, so the decorator's proxy path is exercised for real.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sanic import Blueprint, Request

from citizen_api.app import create_app
from citizen_api.endpoint import endpoint
from services.accounts.enums import VerificationLevel
from services.accounts.models import FamilyGrant, ProxyAction, User
from services.accounts.principal import Principal
from services.common.audit import verify_chain
from services.common.errors import Conflict
from services.common.models import AuditEntry
from tests.api.accounts_helpers import bearer, sign_in
from tests.conftest import free_port, start_server, stop_server


def _probe_blueprint() -> Blueprint:
    bp = Blueprint("proxy_probe")

    @bp.get("/probe/bookings")
    @endpoint(summary="probe", tag="probe", auth=True, proxy_scope="bookings")
    async def read_bookings(request: Request, *, actor: Principal) -> dict[str, Any]:
        return {"user_id": str(actor.user_id), "subject_id": str(actor.subject_id)}

    @bp.post("/probe/bookings")
    @endpoint(summary="probe", tag="probe", status=201, auth=True, proxy_scope="bookings")
    async def book(request: Request, *, actor: Principal) -> dict[str, Any]:
        return {"booked_for": str(actor.subject_id)}

    @bp.post("/probe/care")
    @endpoint(summary="probe", tag="probe", status=201, auth=True, proxy_scope="care")
    async def care(request: Request, *, actor: Principal) -> dict[str, Any]:
        raise Conflict("request.conflict")

    @bp.get("/probe/real-name")
    @endpoint(summary="probe", tag="probe", level=VerificationLevel.REAL_NAME, proxy_scope="care")
    async def real_name_only(request: Request, *, actor: Principal) -> dict[str, Any]:
        return {"subject_id": str(actor.subject_id)}

    @bp.get("/probe/self-only")
    @endpoint(summary="probe", tag="probe", auth=True)
    async def self_only(request: Request, *, actor: Principal) -> dict[str, Any]:
        return {"user_id": str(actor.user_id)}

    return bp


@pytest.fixture(scope="module")
async def probe_app(settings, app) -> AsyncIterator[Any]:
    port = free_port()
    probe_app = create_app(settings.model_copy(update={"port": port}), name=f"probe_{port}")
    probe_app.blueprint(_probe_blueprint())
    server = await start_server(probe_app, port)
    yield probe_app
    await stop_server(server)


@pytest.fixture
async def probe(probe_app) -> AsyncIterator[httpx.AsyncClient]:
    port = probe_app.ctx.runtime.settings.port
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        yield http


async def _link(
    client: httpx.AsyncClient, proxy: dict, subject: dict, scopes: list[str], valid_days: int = 30
) -> dict[str, Any]:
    invited = await client.post(
        "/api/v1/me/family", json={"scopes": scopes, "valid_days": valid_days}, headers=bearer(proxy)
    )
    assert invited.status_code == 201, invited.text
    code = invited.json()["invitation_code"]
    accepted = await client.post(f"/api/v1/family-invitations/{code}/accept", headers=bearer(subject))
    assert accepted.status_code == 200, accepted.text
    return accepted.json()


def _for(session: dict, subject: dict) -> dict[str, str]:
    return bearer(session, **{"X-Acting-For": subject["user"]["id"]})


async def test_family__invite_accept_and_list_both_directions(client: httpx.AsyncClient) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    invited = await client.post(
        "/api/v1/me/family",
        json={"scopes": ["bookings", "care"], "relation": "parent"},
        headers=bearer(child),
    )
    assert invited.status_code == 201
    body = invited.json()
    assert body["status"] == "pending" and len(body["invitation_code"]) == 8
    accepted = await client.post(
        f"/api/v1/family-invitations/{body['invitation_code'].lower()}/accept", headers=bearer(parent)
    )
    assert accepted.status_code == 200
    assert accepted.json()["direction"] == "represented"
    assert accepted.json()["other"]["id"] == child["user"]["id"]
    child_view = (await client.get("/api/v1/me/family", headers=bearer(child))).json()["items"]
    parent_view = (await client.get("/api/v1/me/family", headers=bearer(parent))).json()["items"]
    assert [(i["direction"], i["status"], i["scopes"]) for i in child_view] == [
        ("proxy", "active", ["bookings", "care"])
    ]
    assert parent_view[0]["direction"] == "represented" and parent_view[0]["id"] == child_view[0]["id"]
    assert "invitation_code" not in child_view[0]


async def test_family__proxy_acts_and_represented_person_sees_it(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await _link(client, child, parent, ["bookings"])
    read = await probe.get("/probe/bookings", headers=_for(child, parent))
    assert read.status_code == 200
    assert read.json() == {"user_id": child["user"]["id"], "subject_id": parent["user"]["id"]}
    booked = await probe.post("/probe/bookings", headers=_for(child, parent))
    assert booked.status_code == 201 and booked.json()["booked_for"] == parent["user"]["id"]

    log = await client.get("/api/v1/me/proxy-log", headers=bearer(parent))
    assert log.status_code == 200
    items = log.json()["items"]
    assert [(i["method"], i["route"], i["status"], i["scope"]) for i in items] == [
        ("POST", "/probe/bookings", 201, "bookings"),
        ("GET", "/probe/bookings", 200, "bookings"),
    ]
    assert items[0]["proxy"]["id"] == child["user"]["id"]
    # The proxy's own log (actions on *their* behalf) is empty: nobody acts for them.
    assert (await client.get("/api/v1/me/proxy-log", headers=bearer(child))).json()["items"] == []
    assert await AuditEntry.filter(action="proxy.action", subject_id=parent["user"]["id"]).count() == 2
    assert (await verify_chain()).ok


async def test_proxy_log__paginates(client: httpx.AsyncClient, probe: httpx.AsyncClient) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await _link(client, child, parent, ["bookings"])
    for _ in range(3):
        await probe.get("/probe/bookings", headers=_for(child, parent))
    first = (await client.get("/api/v1/me/proxy-log?limit=2", headers=bearer(parent))).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (
        await client.get(
            f"/api/v1/me/proxy-log?limit=2&cursor={first['next_cursor']}", headers=bearer(parent)
        )
    ).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    ids = {i["id"] for i in first["items"]} | {i["id"] for i in second["items"]}
    assert len(ids) == 3
    bad = await client.get("/api/v1/me/proxy-log?cursor=%%%", headers=bearer(parent))
    assert bad.status_code == 422


async def test_proxy__failed_action_is_not_logged(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await _link(client, child, parent, ["care"])
    assert (await probe.post("/probe/care", headers=_for(child, parent))).status_code == 409
    assert await ProxyAction.filter(subject_id=parent["user"]["id"]).count() == 0


async def test_proxy__without_grant_is_refused(client: httpx.AsyncClient, probe: httpx.AsyncClient) -> None:
    stranger, victim = await sign_in(client), await sign_in(client)
    response = await probe.get("/probe/bookings", headers=_for(stranger, victim))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "proxy.not_allowed"


async def test_proxy__grant_lacking_the_scope_is_refused(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await _link(client, child, parent, ["bookings"])
    response = await probe.post("/probe/care", headers=_for(child, parent))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "proxy.not_allowed"


async def test_proxy__grant_works_one_way_only(client: httpx.AsyncClient, probe: httpx.AsyncClient) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await _link(client, child, parent, ["bookings"])
    assert (await probe.get("/probe/bookings", headers=_for(parent, child))).status_code == 403


async def test_proxy__revoked_grant_is_refused(client: httpx.AsyncClient, probe: httpx.AsyncClient) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    link = await _link(client, child, parent, ["bookings"])
    assert (await probe.get("/probe/bookings", headers=_for(child, parent))).status_code == 200
    revoked = await client.delete(f"/api/v1/me/family/{link['id']}", headers=bearer(parent))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert (await probe.get("/probe/bookings", headers=_for(child, parent))).status_code == 403
    assert await AuditEntry.filter(action="family.revoked").count() == 1


async def test_proxy__proxy_may_withdraw_too(client: httpx.AsyncClient, probe: httpx.AsyncClient) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    link = await _link(client, child, parent, ["bookings"])
    assert (await client.delete(f"/api/v1/me/family/{link['id']}", headers=bearer(child))).status_code == 200
    assert (await probe.get("/probe/bookings", headers=_for(child, parent))).status_code == 403


async def test_proxy__expired_grant_is_refused(
    client: httpx.AsyncClient, probe: httpx.AsyncClient, db
) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    link = await _link(client, child, parent, ["bookings"])
    await FamilyGrant.filter(id=link["id"]).update(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )
    assert (await probe.get("/probe/bookings", headers=_for(child, parent))).status_code == 403
    items = (await client.get("/api/v1/me/family", headers=bearer(parent))).json()["items"]
    assert items[0]["status"] == "expired"


async def test_proxy__pending_invitation_grants_nothing(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await client.post("/api/v1/me/family", json={"scopes": ["bookings"]}, headers=bearer(child))
    assert (await probe.get("/probe/bookings", headers=_for(child, parent))).status_code == 403


async def test_proxy__deleted_subject_is_refused(client: httpx.AsyncClient, probe: httpx.AsyncClient) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await _link(client, child, parent, ["bookings"])
    assert (await client.delete("/api/v1/me", headers=bearer(parent))).status_code == 204
    assert (await probe.get("/probe/bookings", headers=_for(child, parent))).status_code == 403


async def test_proxy__malformed_header_is_refused(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    me = await sign_in(client)
    response = await probe.get("/probe/bookings", headers=bearer(me, **{"X-Acting-For": "not-an-id"}))
    assert response.status_code == 403


async def test_proxy__endpoint_without_proxy_scope_refuses_header(
    client: httpx.AsyncClient, probe: httpx.AsyncClient
) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await _link(client, child, parent, ["bookings", "cases", "care"])
    response = await probe.get("/probe/self-only", headers=_for(child, parent))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "proxy.not_supported"
    # /me endpoints are never acted on for someone else either.
    assert (await client.get("/api/v1/me/export", headers=_for(child, parent))).status_code == 403


async def test_family__other_peoples_grants_are_invisible(client: httpx.AsyncClient) -> None:
    child, parent, stranger = await sign_in(client), await sign_in(client), await sign_in(client)
    link = await _link(client, child, parent, ["bookings"])
    assert (await client.get("/api/v1/me/family", headers=bearer(stranger))).json()["items"] == []
    response = await client.delete(f"/api/v1/me/family/{link['id']}", headers=bearer(stranger))
    assert response.status_code == 404
    assert (await client.delete("/api/v1/me/family/not-a-uuid", headers=bearer(stranger))).status_code == 404
    still = (await client.get("/api/v1/me/family", headers=bearer(parent))).json()["items"]
    assert still[0]["status"] == "active"


async def test_family__at_most_five_outstanding(client: httpx.AsyncClient) -> None:
    child = await sign_in(client)
    for _ in range(5):
        ok = await client.post("/api/v1/me/family", json={"scopes": ["bookings"]}, headers=bearer(child))
        assert ok.status_code == 201
    sixth = await client.post("/api/v1/me/family", json={"scopes": ["bookings"]}, headers=bearer(child))
    assert sixth.status_code == 409
    assert sixth.json()["error"]["code"] == "family.limit_reached"
    # Withdrawing one frees a place.
    first = (await client.get("/api/v1/me/family", headers=bearer(child))).json()["items"][0]
    await client.delete(f"/api/v1/me/family/{first['id']}", headers=bearer(child))
    again = await client.post("/api/v1/me/family", json={"scopes": ["bookings"]}, headers=bearer(child))
    assert again.status_code == 201


async def test_family_invitation__refusals(client: httpx.AsyncClient, db) -> None:
    child, parent, other = await sign_in(client), await sign_in(client), await sign_in(client)
    invited = (
        await client.post("/api/v1/me/family", json={"scopes": ["bookings"]}, headers=bearer(child))
    ).json()
    code = invited["invitation_code"]
    own = await client.post(f"/api/v1/family-invitations/{code}/accept", headers=bearer(child))
    assert own.status_code == 409 and own.json()["error"]["code"] == "family.self_invitation"
    unknown = await client.post("/api/v1/family-invitations/ZZZZZZZZ/accept", headers=bearer(parent))
    assert unknown.status_code == 404
    assert (
        await client.post(f"/api/v1/family-invitations/{code}/accept", headers=bearer(parent))
    ).status_code == 200
    twice = await client.post(f"/api/v1/family-invitations/{code}/accept", headers=bearer(other))
    assert twice.status_code == 404
    late = (await client.post("/api/v1/me/family", json={"scopes": ["care"]}, headers=bearer(child))).json()
    await FamilyGrant.filter(id=late["id"]).update(
        invite_expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    )
    expired = await client.post(
        f"/api/v1/family-invitations/{late['invitation_code']}/accept", headers=bearer(other)
    )
    assert expired.status_code == 410
    assert expired.json()["error"]["code"] == "family.invitation_expired"


async def test_family_invite__validates_scopes_and_expiry(client: httpx.AsyncClient) -> None:
    child = await sign_in(client)
    for body in ({"scopes": []}, {"scopes": ["everything"]}, {"scopes": ["care"], "valid_days": 0}, {}):
        assert (await client.post("/api/v1/me/family", json=body, headers=bearer(child))).status_code == 422


async def test_proxy__represented_person_needs_the_level_too(
    client: httpx.AsyncClient, probe: httpx.AsyncClient, probe_app
) -> None:
    async def set_level(person: dict, level: VerificationLevel) -> None:
        # Written directly, then announced as every change to a level is (services/accounts/principals.py;
        # the probe's own runtime: in the embedded run its fakeredis is not the API's).
        await User.filter(id=person["user"]["id"]).update(level=level)
        await probe_app.ctx.runtime.principals.changed(uuid.UUID(person["user"]["id"]))

    child, parent = await sign_in(client), await sign_in(client)
    await set_level(child, VerificationLevel.REAL_NAME)
    await _link(client, child, parent, ["care"])
    assert (await probe.get("/probe/real-name", headers=bearer(child))).status_code == 200
    refused = await probe.get("/probe/real-name", headers=_for(child, parent))
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {
        "required": "real_name",
        "current": "wechat",
        "next": "/api/v1/me/identity",
        "who": "represented",
    }
    await set_level(parent, VerificationLevel.REAL_NAME)
    allowed = await probe.get("/probe/real-name", headers=_for(child, parent))
    assert allowed.status_code == 200 and allowed.json()["subject_id"] == parent["user"]["id"]
    # The proxy's own level still counts: an unverified proxy cannot act at real_name for anyone.
    await set_level(child, VerificationLevel.PHONE)
    own = await probe.get("/probe/real-name", headers=_for(child, parent))
    assert own.status_code == 403 and "who" not in own.json()["error"]["details"]


async def test_family_invitation__second_link_to_same_person_is_409(client: httpx.AsyncClient) -> None:
    child, parent = await sign_in(client), await sign_in(client)
    await _link(client, child, parent, ["bookings"])
    code = (await client.post("/api/v1/me/family", json={"scopes": ["care"]}, headers=bearer(child))).json()[
        "invitation_code"
    ]
    response = await client.post(f"/api/v1/family-invitations/{code}/accept", headers=bearer(parent))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "family.already_linked"


async def test_represented_subjects__live_grants_in_scope_only(client: httpx.AsyncClient) -> None:
    import uuid

    from services.accounts.family import represented_subjects

    child, mother, father, aunt = [await sign_in(client) for _ in range(4)]
    await _link(client, child, mother, ["bookings", "cases"])
    await _link(client, child, father, ["care"])
    revoked = await _link(client, child, aunt, ["cases"])
    await client.delete(f"/api/v1/me/family/{revoked['id']}", headers=bearer(aunt))
    cases = await represented_subjects(proxy_id=uuid.UUID(child["user"]["id"]), scope="cases")
    assert [str(s) for s in cases] == [mother["user"]["id"]]
    care = await represented_subjects(proxy_id=uuid.UUID(child["user"]["id"]), scope="care")
    assert [str(s) for s in care] == [father["user"]["id"]]
