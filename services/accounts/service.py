"""Accounts: WeChat sign-in and sessions, profile, phone and real-name verification, roles, PIPL rights.

Sessions: a short-lived JWT access token plus an opaque refresh token stored only as its SHA-256.
Every refresh rotates the token within its family (one family per sign-in); a rotated token that comes
back means it was copied, so the whole family is revoked and its access tokens are deny-listed.
Personal data is encrypted with the PiiCipher and looked up through blind indexes; what leaves this
module for display is masked (`ProfileView`), and only `export_data` returns it in clear, to its owner.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.accounts.enums import VerificationLevel
from services.accounts.errors import (
    AlreadyVerified,
    IdentityAlreadyBound,
    IdentityMismatch,
    IdNumberInvalid,
    PhoneDataInvalid,
    RefreshTokenInvalid,
    RefreshTokenReused,
    SessionKeyMissing,
)
from services.accounts.models import RefreshToken, User
from services.accounts.pipl import delete_account, export_data, reencrypt_pii
from services.accounts.ports import IdentityPort, WeChatPort
from services.accounts.principal import Principal
from services.accounts.principals import PrincipalCache
from services.accounts.profiles import (
    ID_CTX,
    NAME_CTX,
    PHONE_CTX,
    SESSION_KEY_CTX,
    ProfileView,
    clear_text,
    owner_of,
    profile_view,
)
from services.accounts.revocation import RevocationStore
from services.accounts.roles import find_user, grant_role, revoke_role, role_holders
from services.accounts.tokens import issue_access_token
from services.common import audit, clock
from services.common.crypto import PiiCipher
from services.common.ids import new_id, parse_id
from services.common.ratelimit import RateLimiter, RateRule

__all__ = [
    "IDENTITY_PER_IP",
    "IDENTITY_PER_USER",
    "PHONE_PER_USER",
    "SIGN_IN_PER_CODE",
    "SIGN_IN_PER_IP",
    "ProfileView",
    "RevocationStore",
    "SessionTokens",
    "SignedIn",
    "bind_phone",
    "delete_account",
    "export_data",
    "find_user",
    "get_profile",
    "grant_role",
    "logout",
    "reencrypt_pii",
    "refresh_session",
    "revoke_role",
    "role_holders",
    "sign_in",
    "start_session",
    "update_profile",
    "verified_identity",
    "verify_identity",
    "VerifiedIdentity",
]

log = logging.getLogger(__name__)

SIGN_IN_PER_IP = RateRule("signin.ip", "60/minute", code="auth.signin_rate_limited")
SIGN_IN_PER_CODE = RateRule("signin.code", "3/minute", code="auth.signin_rate_limited")
PHONE_PER_USER = RateRule("phone.user", "10/hour", code="phone.rate_limited")
IDENTITY_PER_USER = RateRule("identity.user", "5/day", code="identity.rate_limited")
IDENTITY_PER_IP = RateRule("identity.ip", "30/hour", code="identity.rate_limited")

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


# --- sessions --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionTokens:
    """How tokens are made: the signing secret and lifetimes (values from settings), and the principal
    versions a new session creates (so the workers may keep the person's principal, principals.py)."""

    secret: str
    access_ttl_s: int
    refresh_ttl_s: int
    principals: PrincipalCache


@dataclass(frozen=True, slots=True)
class SignedIn:
    access_token: str
    refresh_token: str
    expires_in: int
    user: ProfileView


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    user: User, tokens: SessionTokens, *, family_id: uuid.UUID, conn: Any
) -> tuple[str, str]:
    """(access, refresh) tokens of a new session `family_id` for `user`, its refresh row written in `conn`.

    Every way of signing in (WeChat, staff password + TOTP) ends here; the caller audits the sign-in.
    """
    refresh = secrets.token_urlsafe(32)
    await RefreshToken.create(
        user_id=user.id,
        family_id=family_id,
        token_hash=_hash_token(refresh),
        expires_at=clock.now() + dt.timedelta(seconds=tokens.refresh_ttl_s),
        using_db=conn,
    )
    access = issue_access_token(
        user_id=user.id, secret=tokens.secret, ttl_s=tokens.access_ttl_s, session_id=str(family_id)
    )
    # Not a change to the principal (SET NX keeps a version a change wrote): safe before the commit.
    await tokens.principals.ensure_version(user.id)
    return access, refresh


async def _find_or_create_user(*, openid: str, unionid: str | None) -> tuple[User, bool]:
    user = await User.get_or_none(openid=openid)
    if user is None and unionid:
        user = await User.get_or_none(unionid=unionid, deleted_at=None)
    if user is not None:
        return user, False
    try:
        return await User.create(openid=openid, unionid=unionid), True
    except IntegrityError:
        # Two first sign-ins raced; the other one created the account.
        return await User.get(openid=openid), False


async def sign_in(
    *,
    code: str,
    wechat: WeChatPort,
    cipher: PiiCipher,
    tokens: SessionTokens,
    limiter: RateLimiter,
    client_ip: str,
    policy_version: str,
) -> SignedIn:
    """Exchange a wx.login code for our session; creates the account on first sign-in."""
    await limiter.hit(SIGN_IN_PER_IP, client_ip)
    await limiter.hit(SIGN_IN_PER_CODE, hashlib.sha256(code.encode()).hexdigest()[:24])
    session = await wechat.code2session(code)
    user, created = await _find_or_create_user(openid=session.openid, unionid=session.unionid)
    async with in_transaction() as conn:
        user = await User.select_for_update().using_db(conn).get(id=user.id)
        user.session_key_enc = cipher.encrypt(session.session_key, context=SESSION_KEY_CTX)
        if session.unionid and not user.unionid:
            user.unionid = session.unionid
        consent_changed = user.consent_version != policy_version
        if consent_changed:
            user.consent_version = policy_version
            user.consented_at = clock.now()
        await user.save(using_db=conn)
        family_id = new_id()
        access, refresh = await start_session(user, tokens, family_id=family_id, conn=conn)
        await audit.record(
            "auth.signed_in",
            actor_id=user.id,
            target_type="session",
            target_id=family_id,
            details={"new_account": created},
            using_db=conn,
        )
        if consent_changed:
            await audit.record(
                "privacy.consented", actor_id=user.id, details={"version": policy_version}, using_db=conn
            )
    return SignedIn(
        access_token=access,
        refresh_token=refresh,
        expires_in=tokens.access_ttl_s,
        user=await profile_view(user, cipher),
    )


async def _revoke_family(family_id: uuid.UUID, *, reason: str, conn: Any) -> int:
    return (
        await RefreshToken.filter(family_id=family_id, revoked_at=None)
        .using_db(conn)
        .update(revoked_at=clock.now(), revoke_reason=reason)
    )


async def refresh_session(
    *, refresh_token: str, tokens: SessionTokens, cipher: PiiCipher, revocations: RevocationStore
) -> SignedIn:
    """Rotate `refresh_token`: a new pair for a live token; reuse of a rotated one revokes the family."""
    current = await RefreshToken.get_or_none(token_hash=_hash_token(refresh_token)).prefetch_related("user")
    now = clock.now()
    if current is None or current.revoked_at is not None or current.expires_at <= now:
        raise RefreshTokenInvalid()
    if current.user.deleted_at is not None:
        raise RefreshTokenInvalid()
    if current.rotated_at is None:
        async with in_transaction() as conn:
            # Compare-and-set: of two concurrent refreshes with one token, only one rotates it.
            claimed = (
                await RefreshToken.filter(id=current.id, rotated_at=None, revoked_at=None)
                .using_db(conn)
                .update(rotated_at=now)
            )
            if claimed == 1:
                access, refresh = await start_session(
                    current.user, tokens, family_id=current.family_id, conn=conn
                )
                return SignedIn(
                    access_token=access,
                    refresh_token=refresh,
                    expires_in=tokens.access_ttl_s,
                    user=await profile_view(current.user, cipher),
                )
    # The token was already rotated: someone holds a copy. End the whole sign-in session.
    async with in_transaction() as conn:
        await _revoke_family(current.family_id, reason="reuse", conn=conn)
        await audit.record(
            "auth.refresh_reused",
            actor_id=current.user_id,
            target_type="session",
            target_id=current.family_id,
            using_db=conn,
        )
    await revocations.revoke_sessions([str(current.family_id)])
    log.warning("refresh token reuse; session revoked", extra={"session_id": str(current.family_id)})
    raise RefreshTokenReused()


async def logout(
    *,
    actor: Principal,
    jti: str,
    session_id: str | None,
    expires_at: dt.datetime,
    refresh_token: str | None,
    revocations: RevocationStore,
) -> None:
    """End the caller's session: its refresh tokens are revoked and its access tokens deny-listed."""
    families: set[uuid.UUID] = set()
    parsed = parse_id(session_id) if session_id else None
    if parsed is not None:
        families.add(parsed)
    if refresh_token:
        token = await RefreshToken.get_or_none(token_hash=_hash_token(refresh_token), user_id=actor.user_id)
        if token is not None:
            families.add(token.family_id)
    async with in_transaction() as conn:
        for family_id in families:
            await (
                RefreshToken.filter(family_id=family_id, user_id=actor.user_id, revoked_at=None)
                .using_db(conn)
                .update(revoked_at=clock.now(), revoke_reason="logout")
            )
        await audit.record("auth.logged_out", actor_id=actor.user_id, using_db=conn)
    await revocations.revoke_jti(jti, expires_at)
    await revocations.revoke_sessions([str(f) for f in families])


# --- profile ---------------------------------------------------------------------------------------


async def get_profile(*, actor: Principal, cipher: PiiCipher) -> ProfileView:
    """The caller's own profile, personal data masked."""
    return await profile_view(await owner_of(actor), cipher)


_PROFILE_FIELDS = {"locale", "elder_mode", "notification_prefs"}


async def update_profile(
    *, actor: Principal, changes: dict[str, Any], cipher: PiiCipher, principals: PrincipalCache
) -> ProfileView:
    """Apply validated changes (locale, elder_mode, notification_prefs merged key by key).

    The locale is part of the principal (messages are written in it): `principals` is told.
    """
    unknown = set(changes) - _PROFILE_FIELDS
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    user = await owner_of(actor)
    if "locale" in changes:
        user.locale = changes["locale"]
    if "elder_mode" in changes:
        user.elder_mode = bool(changes["elder_mode"])
    if "notification_prefs" in changes:
        user.notification_prefs = {**(user.notification_prefs or {}), **changes["notification_prefs"]}
    await user.save(update_fields=["locale", "elder_mode", "notification_prefs", "updated_at"])
    if "locale" in changes:
        await principals.changed(user.id)
    return await profile_view(user, cipher)


# --- verification ----------------------------------------------------------------------------------


def _raise_level(user: User, level: VerificationLevel) -> None:
    if not VerificationLevel(user.level).satisfies(level):
        user.level = level


async def bind_phone(
    *,
    actor: Principal,
    wechat: WeChatPort,
    cipher: PiiCipher,
    limiter: RateLimiter,
    principals: PrincipalCache,
    code: str | None = None,
    encrypted_data: str | None = None,
    iv: str | None = None,
) -> ProfileView:
    """Bind the phone number WeChat vouches for: the phone-code flow, or the legacy encrypted flow."""
    await limiter.hit(PHONE_PER_USER, str(actor.user_id))
    user = await owner_of(actor)
    if code:
        phone = (await wechat.get_phone_number(code)).pure_phone_number
    else:
        if not user.session_key_enc:
            raise SessionKeyMissing()
        session_key = cipher.decrypt(user.session_key_enc, context=SESSION_KEY_CTX)
        data = wechat.decrypt_user_data(
            session_key=session_key, encrypted_data=encrypted_data or "", iv=iv or ""
        )
        phone = str(data.get("purePhoneNumber") or data.get("phoneNumber") or "")
    if not _MAINLAND_MOBILE.match(phone):
        raise PhoneDataInvalid()
    async with in_transaction() as conn:
        user.phone_enc = cipher.encrypt(phone, context=PHONE_CTX)
        user.phone_index = cipher.blind_index(phone, purpose="phone")
        _raise_level(user, VerificationLevel.PHONE)
        await user.save(using_db=conn)
        await audit.record(
            "phone.bound", actor_id=user.id, details={"flow": "code" if code else "encrypted"}, using_db=conn
        )
    # The level may have risen: every worker's cached principal of the user is re-read.
    await principals.changed(user.id)
    return await profile_view(user, cipher)


async def verify_identity(
    *,
    actor: Principal,
    name: str,
    id_number: str,
    identity: IdentityPort,
    cipher: PiiCipher,
    limiter: RateLimiter,
    client_ip: str,
    principals: PrincipalCache,
) -> ProfileView:
    """Real-name verification through the identity system; one ID number verifies one account only."""
    await limiter.hit(IDENTITY_PER_USER, str(actor.user_id))
    await limiter.hit(IDENTITY_PER_IP, client_ip)
    id_number = id_number.strip().upper()
    name = name.strip()
    user = await owner_of(actor)
    index = cipher.blind_index(id_number, purpose="id_number")
    if user.id_number_index and user.id_number_index != index:
        raise AlreadyVerified()
    # The identity system is asked first: answering "already bound" before it would tell anyone who
    # types a number whether that number has an account here. Only name + number together learn it.
    verdict = await identity.verify(name=name, id_number=id_number)
    if not verdict.matched:
        await audit.record(
            "identity.rejected",
            actor_id=user.id,
            details={"outcome": verdict.outcome, "reference": verdict.reference},
        )
        if verdict.outcome == "invalid_id_number":
            raise IdNumberInvalid()
        raise IdentityMismatch()
    holder = await User.filter(id_number_index=index).exclude(id=user.id).exists()
    if holder:
        await audit.record(
            "identity.rejected",
            actor_id=user.id,
            details={"outcome": "already_bound", "reference": verdict.reference},
        )
        raise IdentityAlreadyBound()
    try:
        async with in_transaction() as conn:
            user.name_enc = cipher.encrypt(name, context=NAME_CTX)
            user.id_number_enc = cipher.encrypt(id_number, context=ID_CTX)
            user.id_number_index = index
            _raise_level(user, VerificationLevel.REAL_NAME)
            await user.save(using_db=conn)
            await audit.record(
                "identity.verified", actor_id=user.id, details={"reference": verdict.reference}, using_db=conn
            )
    except IntegrityError as error:
        # Another account verified the same ID number between our check and this write.
        raise IdentityAlreadyBound() from error
    await principals.changed(user.id)
    return await profile_view(user, cipher)


# --- for other domains --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """A real-name-verified person's identity in clear, for a department's system — never for responses."""

    user_id: uuid.UUID
    name: str
    id_number: str
    phone: str | None

    def __repr__(self) -> str:
        # Keeps the values out of tracebacks and debug logs.
        return f"VerifiedIdentity(user_id={self.user_id!s}, name='***', id_number='***')"


async def verified_identity(*, user_id: uuid.UUID, cipher: PiiCipher) -> VerifiedIdentity | None:
    """The person's verified name, ID number and phone, or None below real_name (bookings, care, gov)."""
    user = await User.get_or_none(id=user_id, deleted_at=None)
    if (
        user is None
        or user.level != VerificationLevel.REAL_NAME
        or not user.id_number_enc
        or not user.name_enc
    ):
        return None
    return VerifiedIdentity(
        user_id=user.id,
        name=cipher.decrypt(user.name_enc, context=NAME_CTX),
        id_number=cipher.decrypt(user.id_number_enc, context=ID_CTX),
        phone=clear_text(cipher, user.phone_enc, PHONE_CTX),
    )
