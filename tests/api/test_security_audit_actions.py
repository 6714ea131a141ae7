"""Privileged actions land in the audit chain: who did it, to what, for whom."""

from __future__ import annotations

import httpx

from services.accounts import service as accounts
from services.accounts.enums import Role
from services.common import audit, outbox
from services.common.ids import new_id
from services.common.models import AuditEntry, OutboxMessage, OutboxStatus
from tests.api.accounts_helpers import bearer, sign_in
from tests.api.test_community_support import community_pair, headers_for, resident, staff_of
from tests.factories import auth_headers, make_user


async def _actions() -> list[str]:
    return await AuditEntry.all().order_by("seq").values_list("action", flat=True)


async def test_audit_actions__refused_proxy_attempt_is_recorded(client: httpx.AsyncClient, db) -> None:
    prober, target = await sign_in(client), await sign_in(client)
    refused = await client.get(
        f"/api/v1/bookings/{new_id()}", headers=bearer(prober, **{"X-Acting-For": target["user"]["id"]})
    )
    assert refused.status_code == 403
    entry = await AuditEntry.get(action="proxy.refused")
    assert entry.actor_id == prober["user"]["id"] and entry.subject_id == target["user"]["id"]
    assert entry.details == {"scope": "bookings", "reason": "no_live_grant"}
    # A made-up subject is recorded without it (no account to attach it to).
    await client.get(
        f"/api/v1/bookings/{new_id()}", headers=bearer(prober, **{"X-Acting-For": str(new_id())})
    )
    assert (await AuditEntry.filter(action="proxy.refused").order_by("-seq").first()).subject_id is None
    assert (await audit.verify_chain()).ok


async def test_audit_actions__open311_keys_and_outbox_retry(client: httpx.AsyncClient, settings) -> None:
    admin = await make_user(roles={Role.ADMIN: [""]})
    headers = auth_headers(admin, settings)
    issued = await client.post(
        "/api/v1/admin/open311/keys", json={"partner": "12345 hotline"}, headers=headers
    )
    assert issued.status_code == 201, issued.text
    key_id = issued.json()["id"]
    assert (await client.delete(f"/api/v1/admin/open311/keys/{key_id}", headers=headers)).status_code == 200
    dead = await outbox.enqueue(topic="gov.case_submit", payload={})
    await OutboxMessage.filter(id=dead.id).update(status=OutboxStatus.DEAD)
    assert (await client.post(f"/api/v1/ops/outbox/{dead.id}/retry", headers=headers)).status_code == 200
    entries = {e.action: e for e in await AuditEntry.filter(actor_id=str(admin.id))}
    assert entries["open311.key_issued"].target_id == key_id
    assert entries["open311.key_revoked"].target_id == key_id
    assert entries["outbox.retried"].target_id == str(dead.id)


async def test_audit_actions__membership_verification(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    staff = await staff_of(a)
    person = await resident()
    joined = await client.post(
        "/api/v1/me/community",
        json={"community_id": str(a.id), "address": "宣化街社区12号楼3单元401"},
        headers=headers_for(person, settings),
    )
    membership_id = joined.json()["id"]
    verified = await client.post(
        f"/api/v1/staff/memberships/{membership_id}/verify",
        json={"approve": True},
        headers=headers_for(staff, settings),
    )
    assert verified.status_code == 200
    entry = await AuditEntry.get(action="membership.verified")
    assert entry.actor_id == str(staff.id) and entry.subject_id == str(person.id)
    assert "401" not in str(entry.details)


async def test_audit_actions__cli_role_grant_names_the_operator(db) -> None:
    user = await make_user()
    await accounts.grant_role(user_ref=str(user.id), role=Role.ADMIN, operator="ops-zhang")
    entry = await AuditEntry.get(action="role.granted")
    assert entry.subject_id == str(user.id)
    assert entry.details == {"role": "admin", "scope": "", "via": "cli", "operator": "ops-zhang"}
