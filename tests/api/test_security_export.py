"""The PIPL export shows my own addresses in the audit log, never another person's."""

from __future__ import annotations

import uuid

import httpx

from services.common import audit
from tests.api.accounts_helpers import bearer, sign_in


async def test_export__audit_entries_hide_other_peoples_ip_addresses(client: httpx.AsyncClient, db) -> None:
    me = await sign_in(client)
    staff_id = uuid.uuid4()
    token = audit.request_origin.set(audit.RequestOrigin(ip="10.20.30.40", request_id="req-staff-0001"))
    try:
        await audit.record("membership.verified", actor_id=staff_id, subject_id=me["user"]["id"])
    finally:
        audit.request_origin.reset(token)
    export = (await client.get("/api/v1/me/export", headers=bearer(me))).json()
    entries = export["audit_entries"]
    by_staff = [e for e in entries if e["action"] == "membership.verified"]
    assert by_staff and by_staff[0]["actor_id"] == str(staff_id) and by_staff[0]["ip"] is None
    assert "10.20.30.40" not in str(export)
    mine = [e for e in entries if e["action"] == "auth.signed_in"]
    assert mine and mine[0]["ip"] == "127.0.0.1"
