"""Privileged actions land in the audit chain: who did it, to what, for whom."""

from __future__ import annotations

import httpx

from citizen_api.runtime import principal_changes
from services.accounts import service as accounts
from services.accounts.enums import Role
from services.common import audit, outbox
from services.common.ids import new_id
from services.common.models import AuditEntry, OutboxMessage, OutboxStatus
from tests.api.accounts_helpers import bearer, sign_in
from tests.api.bookings_helpers import make_resource as _resource
from tests.api.bookings_helpers import make_slot as _slot
from tests.api.test_community_notices import notice
from tests.api.test_community_reports import report
from tests.api.test_community_support import (
    REVIEW_WORD,
    community_pair,
    headers_for,
    resident,
    staff_of,
    wechat_checks,
)
from tests.api.test_gov_ratings import _case, platform, seeded
from tests.factories import auth_headers, make_user

__all__ = ["platform", "seeded", "wechat_checks"]


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


async def test_audit_actions__cli_role_grant_names_the_operator(db, settings) -> None:
    user = await make_user()
    async with principal_changes(settings) as principals:
        await accounts.grant_role(
            user_ref=str(user.id), role=Role.ADMIN, operator="ops-zhang", principals=principals
        )
    entry = await AuditEntry.get(action="role.granted")
    assert entry.subject_id == str(user.id)
    assert entry.details == {"role": "admin", "scope": "", "via": "cli", "operator": "ops-zhang"}


async def test_audit_actions__booking_decision_and_check_in(client: httpx.AsyncClient, settings) -> None:
    staff = await make_user(roles={Role.DEPT_OPERATOR: ["hall"]})
    user = await make_user()
    approval = await _slot(await _resource(requires_approval=True))
    requested = (
        await client.post(
            "/api/v1/bookings", json={"slot_id": str(approval.id)}, headers=auth_headers(user, settings)
        )
    ).json()
    decided = await client.post(
        f"/api/v1/bookings/{requested['id']}/decision",
        json={"approve": True},
        headers=auth_headers(staff, settings),
    )
    assert decided.status_code == 200, decided.text
    soon = await _slot(await _resource(), hours_ahead=0.25)
    booked = (
        await client.post(
            "/api/v1/bookings", json={"slot_id": str(soon.id)}, headers=auth_headers(user, settings)
        )
    ).json()
    checked = await client.post(
        f"/api/v1/bookings/{booked['id']}/check-in",
        json={"code": booked["check_in_code"]},
        headers=auth_headers(staff, settings),
    )
    assert checked.status_code == 200, checked.text
    entries = {e.action: e for e in await AuditEntry.filter(actor_id=str(staff.id))}
    assert entries["booking.decided"].target_id == requested["id"]
    assert entries["booking.decided"].subject_id == str(user.id)
    assert entries["booking.checked_in"].target_id == booked["id"]
    assert booked["check_in_code"] not in str(entries["booking.checked_in"].details)
    assert (await audit.verify_chain()).ok


async def test_audit_actions__notice_lifecycle_and_report_status(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    author, reviewer = await staff_of(a), await staff_of(a)
    held = await client.post(
        f"/api/v1/staff/communities/{a.id}/notices",
        json=notice(title=f"{REVIEW_WORD}的通知"),
        headers=headers_for(author, settings),
    )
    assert held.status_code == 201, held.text
    notice_id = held.json()["id"]
    reviewed = await client.post(
        f"/api/v1/staff/notices/{notice_id}/review",
        json={"approve": True},
        headers=headers_for(reviewer, settings),
    )
    assert reviewed.status_code == 200, reviewed.text
    edited = await client.patch(
        f"/api/v1/staff/notices/{notice_id}",
        json={"body": "明日8:00至18:00停水。"},
        headers=headers_for(author, settings),
    )
    assert edited.status_code == 200, edited.text
    withdrawn = await client.delete(
        f"/api/v1/staff/notices/{notice_id}", headers=headers_for(author, settings)
    )
    assert withdrawn.status_code == 200, withdrawn.text
    reporter = await resident(a)
    filed = await client.post(
        "/api/v1/community/reports", json=report(), headers=headers_for(reporter, settings)
    )
    moved = await client.post(
        f"/api/v1/staff/reports/{filed.json()['id']}/status",
        json={"status": "in_progress", "note": "已派人查看"},
        headers=headers_for(reviewer, settings),
    )
    assert moved.status_code == 200, moved.text

    by_author = {e.action: e for e in await AuditEntry.filter(actor_id=str(author.id))}
    by_reviewer = {e.action: e for e in await AuditEntry.filter(actor_id=str(reviewer.id))}
    for action in ("notice.posted", "notice.edited", "notice.withdrawn"):
        assert by_author[action].target_id == notice_id, action
    assert by_reviewer["notice.reviewed"].target_id == notice_id
    status = by_reviewer["report.status_changed"]
    assert status.target_id == filed.json()["id"] and status.details == {"from": "open", "to": "in_progress"}
    assert (await audit.verify_chain()).ok


async def test_audit_actions__follow_up_closure(client, settings, runtime, seeded, platform) -> None:
    owner = await make_user()
    case_id = await _case(client, settings, runtime, platform, owner)
    rated = await client.post(
        f"/api/v1/cases/{case_id}/rating",
        json={"level": "dissatisfied"},
        headers=auth_headers(owner, settings),
    )
    assert rated.status_code == 201, rated.text
    operator = await make_user(roles={Role.DEPT_OPERATOR: ["renshe"]})
    follow_up = rated.json()["follow_up"]["id"]
    closed = await client.post(
        f"/api/v1/gov/follow-ups/{follow_up}/close",
        json={"resolution": "已增开窗口，电话回访群众"},
        headers=auth_headers(operator, settings),
    )
    assert closed.status_code == 200, closed.text
    entry = await AuditEntry.get(action="follow_up.closed")
    assert entry.actor_id == str(operator.id) and entry.target_id == follow_up
    assert "电话" not in str(entry.details)
