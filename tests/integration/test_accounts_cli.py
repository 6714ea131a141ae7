"""`citizen-api users grant-role` and `citizen-api audit verify` against the test database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tortoise import connections

from services.accounts.enums import Role
from services.accounts.models import RoleGrant
from services.common.models import AuditEntry
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]


async def _cli(database_url: str, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_")}
    env.update(
        CITIZEN_DATABASE_URL=database_url, PYTHONPATH=str(ROOT), CITIZEN_LOG_LEVEL="WARNING", **settings
    )
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "citizen_api.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_cli_grant_role__scoped_role_by_openid(db, database_url: str) -> None:
    user = await make_user(openid="o-cli-staff-0000000000000000001")
    result = await _cli(
        database_url,
        "users",
        "grant-role",
        "--operator",
        "ops-test",
        "--user",
        user.openid,
        "--role",
        "community_staff",
        "--scope",
        "qinyuan-01",
    )
    assert result.returncode == 0, result.stderr
    assert "granted community_staff" in result.stdout
    grant = await RoleGrant.get(user_id=user.id)
    assert (grant.role, grant.scope) == (Role.COMMUNITY_STAFF, "qinyuan-01")
    entry = await AuditEntry.get(action="role.granted")
    # The operator who ran the command is named in the audit entry.
    assert entry.subject_id == str(user.id) and entry.details == {
        "role": "community_staff",
        "scope": "qinyuan-01",
        "operator": "ops-test",
        "via": "cli",
    }


async def test_cli_grant_role__by_id_and_refusals(db, database_url: str) -> None:
    user = await make_user()
    ok = await _cli(
        database_url,
        "users",
        "grant-role",
        "--operator",
        "ops-test",
        "--user",
        str(user.id),
        "--role",
        "ops_viewer",
    )
    assert ok.returncode == 0, ok.stderr
    missing_scope = await _cli(
        database_url,
        "users",
        "grant-role",
        "--operator",
        "ops-test",
        "--user",
        str(user.id),
        "--role",
        "dept_operator",
    )
    assert missing_scope.returncode == 1 and "account.role_scope_invalid" in missing_scope.stderr
    unknown = await _cli(
        database_url, "users", "grant-role", "--operator", "ops-test", "--user", "nobody", "--role", "admin"
    )
    assert unknown.returncode == 1 and "account.user_not_found" in unknown.stderr
    assert await RoleGrant.filter(user_id=user.id).count() == 1


async def test_cli_grant_role__shows_in_profile(client, db, database_url: str, settings) -> None:
    from tests.factories import auth_headers

    user = await make_user()
    await _cli(
        database_url,
        "users",
        "grant-role",
        "--operator",
        "ops-test",
        "--user",
        str(user.id),
        "--role",
        "dept_operator",
        "--scope",
        "gaj",
    )
    me = (await client.get("/api/v1/me", headers=auth_headers(user, settings))).json()
    assert me["roles"] == {"dept_operator": ["gaj"], "resident": []}


async def test_cli_audit_verify__ok_then_finds_tampering(db, database_url: str) -> None:
    from services.common import audit

    for i in range(3):
        await audit.record("test.cli", details={"i": i})
    ok = await _cli(database_url, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: 3 audit entries")
    await connections.get("default").execute_script("UPDATE audit_entry SET action = 'forged' WHERE seq = 2")
    broken = await _cli(database_url, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at seq 2" in broken.stdout


async def test_cli_reencrypt_pii__moves_rows_to_the_active_key(db, database_url: str, runtime) -> None:
    import base64
    import json

    user = await make_user()
    user.phone_enc = runtime.cipher.encrypt("13955556666", context="account_user.phone")
    await user.save()
    old = runtime.settings.pii_keys["k1"].get_secret_value()
    new = base64.b64encode(b"rotated-key-32-bytes-for-cli-000").decode()
    result = await _cli(
        database_url,
        "users",
        "reencrypt-pii",
        CITIZEN_PII_KEYS=json.dumps({"k1": old, "k2": new}),
        CITIZEN_PII_ACTIVE_KEY_ID="k2",
    )
    assert result.returncode == 0, result.stderr
    assert "re-encrypted personal data of 1 accounts with key k2" in result.stdout
    await user.refresh_from_db()
    assert user.phone_enc.startswith("k2:")
