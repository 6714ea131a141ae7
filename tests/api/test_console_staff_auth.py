"""Staff sign-in for the console: password + TOTP, lockout, replay, audit, the CLI, and the API's own roles."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pyotp
import pytest

from services.accounts import service as accounts
from services.accounts.enums import Role
from services.common import clock
from services.common.models import AuditEntry
from services.ops import staff_auth
from services.ops.errors import StaffAccountExists, WeakPassword
from services.ops.models import StaffAccount

pytestmark = pytest.mark.usefixtures("app")

PASSWORD = "correct horse battery"
SIGN_IN = "/api/v1/staff/auth/sign-in"


async def _staff(runtime, *, username: str = "li.na", roles: dict[Role, str] | None = None):
    created = await staff_auth.create_staff_account(
        username=username, password=PASSWORD, display_name="李娜", cipher=runtime.cipher
    )
    for role, scope in (roles or {Role.OPS_VIEWER: ""}).items():
        await accounts.grant_role(
            user_ref=str(created.account.user_id), role=role, scope=scope, principals=runtime.principals
        )
    return created


def _code(secret: str, *, steps_ago: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now().timestamp() - 30 * steps_ago)


async def test_staff_sign_in__password_and_code_open_a_session_with_the_accounts_roles(
    client: httpx.AsyncClient, runtime
) -> None:
    created = await _staff(runtime, roles={Role.DEPT_OPERATOR: "gongan"})
    response = await client.post(
        SIGN_IN, json={"username": " Li.Na ", "password": PASSWORD, "code": _code(created.totp_secret)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["roles"]["dept_operator"] == ["gongan"]
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json()["id"] == str(created.account.user_id)
    # The same scopes as the API: the operator's dashboard is its department's.
    dashboard = await client.get("/api/v1/ops/dashboard", headers=headers)
    assert dashboard.status_code == 200 and dashboard.json()["scope"] == {"departments": ["gongan"]}
    assert await AuditEntry.filter(action="staff.signed_in", actor_id=str(created.account.user_id)).exists()

    logout = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": body["refresh_token"]}, headers=headers
    )
    assert logout.status_code == 204
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_staff_sign_in__one_answer_for_a_wrong_password_code_or_username(
    client: httpx.AsyncClient, runtime
) -> None:
    created = await _staff(runtime)
    good = _code(created.totp_secret)
    attempts = [
        {"username": "li.na", "password": "wrong password!", "code": good},
        {"username": "li.na", "password": PASSWORD, "code": "000000" if good != "000000" else "111111"},
        {"username": "nobody", "password": PASSWORD, "code": good},
    ]
    for attempt in attempts:
        response = await client.post(SIGN_IN, json=attempt, headers={"Accept-Language": "en"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "ops.staff_sign_in_failed"
        assert "wrong" in response.json()["error"]["message"]
    reasons = await AuditEntry.filter(action="staff.sign_in_refused").values_list("details", flat=True)
    assert sorted(d["reason"] for d in reasons) == ["code", "password", "unknown_account"]
    malformed = await client.post(SIGN_IN, json={"username": "li.na", "password": PASSWORD, "code": "12ab56"})
    assert malformed.status_code == 422


async def test_staff_sign_in__a_code_works_once(client: httpx.AsyncClient, runtime) -> None:
    created = await _staff(runtime)
    body = {"username": "li.na", "password": PASSWORD, "code": _code(created.totp_secret)}
    assert (await client.post(SIGN_IN, json=body)).status_code == 200
    replay = await client.post(SIGN_IN, json=body)
    assert replay.status_code == 401
    reasons = await AuditEntry.filter(action="staff.sign_in_refused").values_list("details", flat=True)
    assert [d["reason"] for d in reasons] == ["code_reused"]


async def test_staff_sign_in__five_failures_lock_the_account(client: httpx.AsyncClient, runtime) -> None:
    created = await _staff(runtime)
    for _ in range(staff_auth.MAX_FAILURES - 1):
        response = await client.post(
            SIGN_IN, json={"username": "li.na", "password": "guess guess guess", "code": "123456"}
        )
        assert response.status_code == 401
    locking = await client.post(
        SIGN_IN, json={"username": "li.na", "password": "guess guess guess", "code": "123456"}
    )
    assert locking.status_code == 429 and locking.json()["error"]["code"] == "ops.staff_account_locked"
    assert int(locking.headers["Retry-After"]) > 0
    # Locked: even the right password and code are refused until the lock ends.
    right = {"username": "li.na", "password": PASSWORD, "code": _code(created.totp_secret)}
    assert (await client.post(SIGN_IN, json=right)).status_code == 429
    assert await AuditEntry.filter(action="staff.account_locked").exists()
    await StaffAccount.filter(id=created.account.id).update(locked_until=clock.now())
    assert (await client.post(SIGN_IN, json=right)).status_code == 200


async def test_staff_account__weak_password_and_duplicate_username_refused(runtime) -> None:
    await _staff(runtime)
    with pytest.raises(StaffAccountExists):
        await staff_auth.create_staff_account(username="LI.NA", password=PASSWORD, cipher=runtime.cipher)
    with pytest.raises(WeakPassword):
        await staff_auth.create_staff_account(username="wang", password="short", cipher=runtime.cipher)
    stored = await StaffAccount.get(username="li.na")
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash
    assert "totp" not in stored.totp_secret_enc.lower() and len(stored.totp_secret_enc) > 32


async def test_users_create_staff__cli_creates_a_sign_in_with_roles(
    client: httpx.AsyncClient, settings
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "CITIZEN_PROFILE": "test",
        "CITIZEN_DATABASE_URL": settings.database_url,
        "CITIZEN_REDIS_URL": settings.redis_url or "",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "citizen_api.cli",
        "users",
        "create-staff",
        "--username",
        "zhao",
        "--role",
        "admin",
        "--role",
        "dept_operator:gongan",
        "--password-stdin",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await process.communicate(f"{PASSWORD}\n".encode())
    assert process.returncode == 0, err.decode()
    lines = dict(line.split(": ", 1) for line in out.decode().splitlines() if ": " in line)
    assert lines["roles"] == "admin, dept_operator:gongan"
    assert lines["otpauth uri"].startswith("otpauth://totp/")
    response = await client.post(
        SIGN_IN,
        json={"username": "zhao", "password": PASSWORD, "code": pyotp.TOTP(lines["totp secret"]).now()},
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["roles"]["admin"] == []
