from __future__ import annotations

import httpx

from services.accounts.enums import Role, VerificationLevel
from services.accounts.models import RoleGrant
from services.common.models import AuditEntry
from tests.factories import auth_headers, make_user


async def test_admin_roles__grant_and_revoke(client: httpx.AsyncClient, settings) -> None:
    admin = await make_user(roles={Role.ADMIN: [""]})
    staff = await make_user(level=VerificationLevel.PHONE)
    granted = await client.post(
        f"/api/v1/admin/users/{staff.id}/roles",
        json={"role": "community_staff", "scope": "jishui-03"},
        headers=auth_headers(admin, settings),
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["role"] == "community_staff" and granted.json()["scope"] == "jishui-03"
    me = (await client.get("/api/v1/me", headers=auth_headers(staff, settings))).json()
    assert me["roles"]["community_staff"] == ["jishui-03"]
    entry = await AuditEntry.get(action="role.granted")
    assert entry.actor_id == str(admin.id) and entry.subject_id == str(staff.id)

    revoked = await client.delete(
        f"/api/v1/admin/users/{staff.id}/roles/community_staff?scope=jishui-03",
        headers=auth_headers(admin, settings),
    )
    assert revoked.status_code == 204
    assert await RoleGrant.filter(user_id=staff.id).count() == 0
    assert await AuditEntry.filter(action="role.revoked").count() == 1


async def test_admin_roles__only_admins(client: httpx.AsyncClient, settings) -> None:
    ops = await make_user(roles={Role.OPS_VIEWER: [""], Role.COMMUNITY_STAFF: ["c1"]})
    target = await make_user()
    response = await client.post(
        f"/api/v1/admin/users/{target.id}/roles", json={"role": "admin"}, headers=auth_headers(ops, settings)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "auth.role_required"
    assert await RoleGrant.filter(user_id=target.id).count() == 0


async def test_admin_roles__validation(client: httpx.AsyncClient, settings) -> None:
    admin = await make_user(roles={Role.ADMIN: [""]})
    target = await make_user()
    headers = auth_headers(admin, settings)
    no_scope = await client.post(
        f"/api/v1/admin/users/{target.id}/roles", json={"role": "dept_operator"}, headers=headers
    )
    assert no_scope.status_code == 422 and no_scope.json()["error"]["code"] == "account.role_scope_invalid"
    scoped_admin = await client.post(
        f"/api/v1/admin/users/{target.id}/roles", json={"role": "admin", "scope": "x"}, headers=headers
    )
    assert scoped_admin.status_code == 422
    unknown_role = await client.post(
        f"/api/v1/admin/users/{target.id}/roles", json={"role": "superuser"}, headers=headers
    )
    assert unknown_role.status_code == 422
    nobody = await client.post(
        "/api/v1/admin/users/not-a-user/roles", json={"role": "admin"}, headers=headers
    )
    assert nobody.status_code == 404
    bad_role = await client.delete(f"/api/v1/admin/users/{target.id}/roles/superuser", headers=headers)
    assert bad_role.status_code == 422


async def test_admin_audit__lists_and_verifies(client: httpx.AsyncClient, settings, db) -> None:
    from tortoise import connections

    admin = await make_user(roles={Role.ADMIN: [""]})
    target = await make_user()
    headers = auth_headers(admin, settings)
    for role in ("ops_viewer", "admin"):
        await client.post(f"/api/v1/admin/users/{target.id}/roles", json={"role": role}, headers=headers)
    page = (await client.get(f"/api/v1/admin/audit?subject_id={target.id}&limit=1", headers=headers)).json()
    assert [e["details"]["role"] for e in page["items"]] == ["admin"] and page["next_cursor"]
    rest = (
        await client.get(
            f"/api/v1/admin/audit?subject_id={target.id}&cursor={page['next_cursor']}", headers=headers
        )
    ).json()
    assert [e["details"]["role"] for e in rest["items"]] == ["ops_viewer"] and rest["next_cursor"] is None
    ok = (await client.get("/api/v1/admin/audit/verify", headers=headers)).json()
    assert ok == {"ok": True, "checked": 2, "broken_seq": None, "broken_id": None, "reason": None}
    await connections.get("default").execute_script("UPDATE audit_entry SET ip = '6.6.6.6' WHERE seq = 1")
    broken = (await client.get("/api/v1/admin/audit/verify", headers=headers)).json()
    assert broken["ok"] is False and broken["broken_seq"] == 1
    # Residents and staff do not read the audit log.
    staff = await make_user(roles={Role.OPS_VIEWER: [""]})
    assert (await client.get("/api/v1/admin/audit", headers=auth_headers(staff, settings))).status_code == 403
