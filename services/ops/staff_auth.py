"""Staff sign-in for the web console: username + password (argon2id) + a TOTP code (RFC 6238).

Why not WeChat: staff work at desktops where the mini-program's sign-in is not available, and a
one-time code shown in the mini-program would make every staff member's phone a single point of
failure while tying their console access to a personal WeChat account. A password hashed with
argon2id (argon2-cffi, the reference implementation) plus a TOTP code from any authenticator app
(pyotp) is the usual two-factor scheme of government back offices (等保 2.0 asks for two factors on
privileged accounts).

A successful sign-in opens an ordinary session of the staff member's account: the same access and
refresh tokens as the mini-program, so roles, scopes, revocation and logout are the API's own.
Refused attempts are counted per account; five in a row lock it for fifteen minutes. Every sign-in,
refusal and lockout is audited. Rate limits apply per address and per username.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from services.accounts import service as accounts
from services.accounts.models import User
from services.common import audit, clock
from services.common.crypto import PiiCipher
from services.common.ids import new_id
from services.common.ratelimit import RateLimiter, RateRule
from services.ops.errors import StaffAccountExists, StaffAccountLocked, StaffSignInFailed, WeakPassword
from services.ops.models import StaffAccount

__all__ = [
    "LOCKOUT",
    "MAX_FAILURES",
    "PASSWORD_MIN_LENGTH",
    "NewStaffAccount",
    "create_staff_account",
    "current_code",
    "sign_in",
]

PASSWORD_MIN_LENGTH = 12
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
ISSUER = "智慧济源 Console"
SIGN_IN_PER_IP = RateRule("staff-signin.ip", "30/minute", code="auth.signin_rate_limited")
SIGN_IN_PER_USERNAME = RateRule("staff-signin.user", "10/minute", code="auth.signin_rate_limited")
_TOTP_CTX = "ops_staff_account.totp_secret"


@functools.cache
def _hasher() -> PasswordHasher:
    # argon2-cffi's defaults follow RFC 9106's recommendation (argon2id, 64 MiB, t=3).
    return PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash("no such staff account")


@dataclass(frozen=True, slots=True)
class NewStaffAccount:
    """A created account; the TOTP secret is shown once, to be enrolled in an authenticator app."""

    account: StaffAccount
    totp_secret: str
    provisioning_uri: str

    def __repr__(self) -> str:  # never print the secret by accident
        return f"NewStaffAccount(username={self.account.username!r})"


def _normalise(username: str) -> str:
    return username.strip().lower()


async def create_staff_account(
    *,
    username: str,
    password: str,
    cipher: PiiCipher,
    display_name: str = "",
    user_ref: str | None = None,
) -> NewStaffAccount:
    """A staff sign-in for an existing account (`user_ref`: id or openid) or for a new, staff-only one."""
    username = _normalise(username)
    if len(password) < PASSWORD_MIN_LENGTH:
        raise WeakPassword(min_length=PASSWORD_MIN_LENGTH)
    if await StaffAccount.filter(username=username).exists():
        raise StaffAccountExists()
    secret = pyotp.random_base32()
    async with in_transaction() as conn:
        if user_ref:
            user = await accounts.find_user(user_ref)
        else:
            # A staff-only account has no WeChat identity: its openid is a marker no WeChat id can equal.
            user = await User.create(openid=f"staff:{username}", locale="zh_CN", using_db=conn)
        if await StaffAccount.filter(user_id=user.id).using_db(conn).exists():
            raise StaffAccountExists()
        account = await StaffAccount.create(
            user_id=user.id,
            username=username,
            display_name=display_name,
            password_hash=_hasher().hash(password),
            totp_secret_enc=cipher.encrypt(secret, context=_TOTP_CTX),
            using_db=conn,
        )
        await audit.record(
            "staff.account_created",
            subject_id=user.id,
            target_type="staff_account",
            target_id=account.id,
            using_db=conn,
        )
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return NewStaffAccount(account=account, totp_secret=secret, provisioning_uri=uri)


def _accepted_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step `code` belongs to (now, or one step either side for clock drift), else None."""
    code = code.strip()
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


async def _refuse(account: StaffAccount | None, *, reason: str, username: str) -> None:
    """Count a failure (locking the account at MAX_FAILURES), audit it, and refuse with one answer for all."""
    if account is None:
        # Usernames are not personal data here, but a hash keeps guesses out of the audit log.
        await audit.record(
            "staff.sign_in_refused",
            target_type="staff_account",
            details={"reason": reason, "username_sha256": hashlib.sha256(username.encode()).hexdigest()[:16]},
        )
        raise StaffSignInFailed()
    async with in_transaction() as conn:
        await (
            StaffAccount.filter(id=account.id).using_db(conn).update(failed_attempts=F("failed_attempts") + 1)
        )
        failures = (
            await StaffAccount.filter(id=account.id).using_db(conn).values_list("failed_attempts", flat=True)
        )[0]
        locked = failures >= MAX_FAILURES
        if locked:
            await (
                StaffAccount.filter(id=account.id)
                .using_db(conn)
                .update(locked_until=clock.now() + LOCKOUT, failed_attempts=0)
            )
        await audit.record(
            "staff.account_locked" if locked else "staff.sign_in_refused",
            subject_id=account.user_id,
            target_type="staff_account",
            target_id=account.id,
            details={"reason": reason, "failures": failures},
            using_db=conn,
        )
    if locked:
        raise StaffAccountLocked(
            retry_after=int(LOCKOUT.total_seconds()), seconds=int(LOCKOUT.total_seconds())
        )
    raise StaffSignInFailed()


async def sign_in(
    *,
    username: str,
    password: str,
    code: str,
    cipher: PiiCipher,
    tokens: accounts.SessionTokens,
    limiter: RateLimiter,
    client_ip: str,
) -> accounts.SignedIn:
    """Check password and TOTP code; open a session of the staff member's account."""
    username = _normalise(username)
    await limiter.hit(SIGN_IN_PER_IP, client_ip)
    await limiter.hit(SIGN_IN_PER_USERNAME, hashlib.sha256(username.encode()).hexdigest()[:24])
    now = clock.now()
    account = await StaffAccount.get_or_none(username=username, disabled_at=None)
    if account is not None and account.locked_until is not None and account.locked_until > now:
        await audit.record(
            "staff.sign_in_refused",
            subject_id=account.user_id,
            target_type="staff_account",
            target_id=account.id,
            details={"reason": "locked"},
        )
        remaining = int((account.locked_until - now).total_seconds()) + 1
        raise StaffAccountLocked(retry_after=remaining, seconds=remaining)
    # Verify against a dummy hash when the account does not exist, so timing does not reveal it.
    try:
        password_ok = _hasher().verify(account.password_hash if account else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        password_ok = False
    if account is None:
        await _refuse(None, reason="unknown_account", username=username)
    assert account is not None
    if not password_ok:
        await _refuse(account, reason="password", username=username)
    step = _accepted_step(cipher.decrypt(account.totp_secret_enc, context=_TOTP_CTX), code, now)
    if step is None or step <= account.last_totp_step:
        await _refuse(account, reason="code" if step is None else "code_reused", username=username)
    user = await User.get_or_none(id=account.user_id, deleted_at=None)
    if user is None:
        await _refuse(account, reason="account_deleted", username=username)
    assert user is not None and step is not None
    async with in_transaction() as conn:
        # Compare-and-set on the step: two sign-ins racing with one code cannot both succeed.
        changed = await (
            StaffAccount.filter(id=account.id, last_totp_step__lt=step)
            .using_db(conn)
            .update(last_totp_step=step, failed_attempts=0, locked_until=None, last_sign_in_at=now)
        )
        if not changed:
            raise StaffSignInFailed()
        if _hasher().check_needs_rehash(account.password_hash):
            await (
                StaffAccount.filter(id=account.id)
                .using_db(conn)
                .update(password_hash=_hasher().hash(password))
            )
        family_id = new_id()
        access, refresh = await accounts.start_session(user, tokens, family_id=family_id, conn=conn)
        await audit.record(
            "staff.signed_in",
            actor_id=user.id,
            target_type="session",
            target_id=family_id,
            details={"staff_account": str(account.id)},
            using_db=conn,
        )
    return accounts.SignedIn(
        access_token=access,
        refresh_token=refresh,
        expires_in=tokens.access_ttl_s,
        user=await accounts.profile_view(user, cipher),
    )


def current_code(secret: str, *, at: Any = None) -> str:
    """The TOTP code for `secret` now (for the CLI's enrolment check and for tests)."""
    return pyotp.TOTP(secret).at(at or clock.now())
