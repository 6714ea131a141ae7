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
import inspect
import logging
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.accounts import family
from services.accounts.enums import SCOPED_ROLES, Role, VerificationLevel
from services.accounts.errors import (
    AlreadyVerified,
    IdentityAlreadyBound,
    IdentityMismatch,
    IdNumberInvalid,
    PhoneDataInvalid,
    RefreshTokenInvalid,
    RefreshTokenReused,
    RoleScopeInvalid,
    SessionKeyMissing,
    UserNotFound,
)
from services.accounts.models import ProxyAction, RefreshToken, RoleGrant, User
from services.accounts.ports import IdentityPort, WeChatPort
from services.accounts.principal import Principal
from services.accounts.revocation import RevocationStore
from services.accounts.tokens import issue_access_token
from services.common import audit, clock
from services.common.contributions import PrivacyHooks
from services.common.crypto import PiiCipher, mask_id_number, mask_name, mask_phone
from services.common.errors import InvalidInput
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

_PHONE_CTX = "account_user.phone"
_NAME_CTX = "account_user.name"
_ID_CTX = "account_user.id_number"
_SESSION_KEY_CTX = "account_user.session_key"
_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")


# --- views -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileView:
    """The account as its owner sees it in responses: personal data masked."""

    id: uuid.UUID
    level: VerificationLevel
    locale: str | None
    elder_mode: bool
    notification_prefs: dict[str, Any]
    phone: str | None
    name: str | None
    id_number: str | None
    roles: dict[str, list[str]]
    privacy_policy_version: str | None
    created_at: dt.datetime


async def _view(user: User, cipher: PiiCipher) -> ProfileView:
    roles: dict[str, list[str]] = {Role.RESIDENT.value: []}
    for role, scope in (
        await RoleGrant.filter(user_id=user.id).order_by("role", "scope").values_list("role", "scope")
    ):
        scopes = roles.setdefault(str(role), [])
        if scope:
            scopes.append(scope)
    return ProfileView(
        id=user.id,
        level=VerificationLevel(user.level),
        locale=user.locale,
        elder_mode=user.elder_mode,
        notification_prefs=dict(user.notification_prefs or {}),
        phone=mask_phone(_clear(cipher, user.phone_enc, _PHONE_CTX)),
        name=mask_name(_clear(cipher, user.name_enc, _NAME_CTX)),
        id_number=mask_id_number(_clear(cipher, user.id_number_enc, _ID_CTX)),
        roles=roles,
        privacy_policy_version=user.consent_version,
        created_at=user.created_at,
    )


def _clear(cipher: PiiCipher, token: str | None, context: str) -> str | None:
    return cipher.decrypt(token, context=context) if token else None


async def _owner(actor: Principal) -> User:
    # /me endpoints are always about the signed-in person, never about someone they represent.
    user = await User.get_or_none(id=actor.user_id, deleted_at=None)
    if user is None:
        raise UserNotFound()
    return user


# --- sessions --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionTokens:
    """How tokens are made: the signing secret and lifetimes (values from settings)."""

    secret: str
    access_ttl_s: int
    refresh_ttl_s: int


@dataclass(frozen=True, slots=True)
class SignedIn:
    access_token: str
    refresh_token: str
    expires_in: int
    user: ProfileView


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _start_session(
    user: User, tokens: SessionTokens, *, family_id: uuid.UUID, conn: Any
) -> tuple[str, str]:
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
        user.session_key_enc = cipher.encrypt(session.session_key, context=_SESSION_KEY_CTX)
        if session.unionid and not user.unionid:
            user.unionid = session.unionid
        consent_changed = user.consent_version != policy_version
        if consent_changed:
            user.consent_version = policy_version
            user.consented_at = clock.now()
        await user.save(using_db=conn)
        family_id = new_id()
        access, refresh = await _start_session(user, tokens, family_id=family_id, conn=conn)
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
        user=await _view(user, cipher),
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
                access, refresh = await _start_session(
                    current.user, tokens, family_id=current.family_id, conn=conn
                )
                return SignedIn(
                    access_token=access,
                    refresh_token=refresh,
                    expires_in=tokens.access_ttl_s,
                    user=await _view(current.user, cipher),
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
    return await _view(await _owner(actor), cipher)


_PROFILE_FIELDS = {"locale", "elder_mode", "notification_prefs"}


async def update_profile(*, actor: Principal, changes: dict[str, Any], cipher: PiiCipher) -> ProfileView:
    """Apply validated changes (locale, elder_mode, notification_prefs merged key by key)."""
    unknown = set(changes) - _PROFILE_FIELDS
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    user = await _owner(actor)
    if "locale" in changes:
        user.locale = changes["locale"]
    if "elder_mode" in changes:
        user.elder_mode = bool(changes["elder_mode"])
    if "notification_prefs" in changes:
        user.notification_prefs = {**(user.notification_prefs or {}), **changes["notification_prefs"]}
    await user.save(update_fields=["locale", "elder_mode", "notification_prefs", "updated_at"])
    return await _view(user, cipher)


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
    code: str | None = None,
    encrypted_data: str | None = None,
    iv: str | None = None,
) -> ProfileView:
    """Bind the phone number WeChat vouches for: the phone-code flow, or the legacy encrypted flow."""
    await limiter.hit(PHONE_PER_USER, str(actor.user_id))
    user = await _owner(actor)
    if code:
        phone = (await wechat.get_phone_number(code)).pure_phone_number
    else:
        if not user.session_key_enc:
            raise SessionKeyMissing()
        session_key = cipher.decrypt(user.session_key_enc, context=_SESSION_KEY_CTX)
        data = wechat.decrypt_user_data(
            session_key=session_key, encrypted_data=encrypted_data or "", iv=iv or ""
        )
        phone = str(data.get("purePhoneNumber") or data.get("phoneNumber") or "")
    if not _MAINLAND_MOBILE.match(phone):
        raise PhoneDataInvalid()
    async with in_transaction() as conn:
        user.phone_enc = cipher.encrypt(phone, context=_PHONE_CTX)
        user.phone_index = cipher.blind_index(phone, purpose="phone")
        _raise_level(user, VerificationLevel.PHONE)
        await user.save(using_db=conn)
        await audit.record(
            "phone.bound", actor_id=user.id, details={"flow": "code" if code else "encrypted"}, using_db=conn
        )
    return await _view(user, cipher)


async def verify_identity(
    *,
    actor: Principal,
    name: str,
    id_number: str,
    identity: IdentityPort,
    cipher: PiiCipher,
    limiter: RateLimiter,
    client_ip: str,
) -> ProfileView:
    """Real-name verification through the identity system; one ID number verifies one account only."""
    await limiter.hit(IDENTITY_PER_USER, str(actor.user_id))
    await limiter.hit(IDENTITY_PER_IP, client_ip)
    id_number = id_number.strip().upper()
    name = name.strip()
    user = await _owner(actor)
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
            user.name_enc = cipher.encrypt(name, context=_NAME_CTX)
            user.id_number_enc = cipher.encrypt(id_number, context=_ID_CTX)
            user.id_number_index = index
            _raise_level(user, VerificationLevel.REAL_NAME)
            await user.save(using_db=conn)
            await audit.record(
                "identity.verified", actor_id=user.id, details={"reference": verdict.reference}, using_db=conn
            )
    except IntegrityError as error:
        # Another account verified the same ID number between our check and this write.
        raise IdentityAlreadyBound() from error
    return await _view(user, cipher)


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
        name=cipher.decrypt(user.name_enc, context=_NAME_CTX),
        id_number=cipher.decrypt(user.id_number_enc, context=_ID_CTX),
        phone=_clear(cipher, user.phone_enc, _PHONE_CTX),
    )


# --- roles -----------------------------------------------------------------------------------------


async def find_user(reference: str) -> User:
    """A live user by id or WeChat openid (operators' tools)."""
    parsed = parse_id(reference)
    user = await User.get_or_none(id=parsed, deleted_at=None) if parsed else None
    if user is None:
        user = await User.get_or_none(openid=reference, deleted_at=None)
    if user is None:
        raise UserNotFound()
    return user


def _check_scope(role: Role, scope: str) -> None:
    if role in SCOPED_ROLES and not scope:
        raise RoleScopeInvalid(role=role.value)
    if role not in SCOPED_ROLES and scope:
        raise RoleScopeInvalid(role=role.value)


async def grant_role(
    *,
    user_ref: str,
    role: Role,
    scope: str = "",
    granted_by: uuid.UUID | None = None,
    operator: str | None = None,
) -> RoleGrant:
    """Give `role` (limited to `scope` for community_staff/dept_operator); idempotent.

    `operator` names who granted it from the command line (an operator's login, not a resident).
    """
    _check_scope(role, scope)
    user = await find_user(user_ref)
    async with in_transaction() as conn:
        grant = await RoleGrant.filter(user_id=user.id, role=role, scope=scope).using_db(conn).first()
        if grant is None:
            grant = await RoleGrant.create(
                user_id=user.id, role=role, scope=scope, granted_by_id=granted_by, using_db=conn
            )
            await audit.record(
                "role.granted",
                actor_id=granted_by,
                subject_id=user.id,
                target_type="role",
                target_id=grant.id,
                details={"role": role.value, "scope": scope}
                | ({"via": "cli", "operator": operator} if operator else {}),
                using_db=conn,
            )
    return grant


async def revoke_role(
    *, user_ref: str, role: Role | str, scope: str = "", revoked_by: uuid.UUID | None = None
) -> int:
    """Take `role` (for `scope`) away; returns how many grants were removed (0 is not an error)."""
    try:
        role = Role(role)
    except ValueError as error:
        raise InvalidInput("request.invalid") from error
    user = await find_user(user_ref)
    async with in_transaction() as conn:
        removed = await RoleGrant.filter(user_id=user.id, role=role, scope=scope).using_db(conn).delete()
        if removed:
            await audit.record(
                "role.revoked",
                actor_id=revoked_by,
                subject_id=user.id,
                details={"role": role.value, "scope": scope},
                using_db=conn,
            )
    return removed


async def role_holders(*, role: Role, scope: str) -> list[uuid.UUID]:
    """Users holding `role` for `scope` or for every scope (e.g. whom to alert about a department's case)."""
    rows = await RoleGrant.filter(
        role=role, scope__in=[scope, ""], user__deleted_at__isnull=True
    ).values_list("user_id", flat=True)
    return sorted(set(rows))


# --- PIPL: export, deletion, key rotation ------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _call_hook(hook: Any, **available: Any) -> Any:
    # A domain's hook takes the keyword arguments it needs (user_id, and cipher or conn if it uses them).
    accepted = inspect.signature(hook).parameters
    return await hook(**{name: value for name, value in available.items() if name in accepted})


async def export_data(
    *, actor: Principal, cipher: PiiCipher, hooks: Mapping[str, PrivacyHooks]
) -> dict[str, Any]:
    """Everything held about the caller, personal data in clear (for its owner).

    `hooks` are the other domains' export hooks, from the composition root.
    """
    user = await _owner(actor)
    sessions = await RefreshToken.filter(user_id=user.id).order_by("created_at")
    grants = await family.grants_of(user.id)
    on_my_behalf = await ProxyAction.filter(subject_id=user.id).order_by("created_at")
    by_me = await ProxyAction.filter(proxy_id=user.id).order_by("created_at")
    entries = await audit.entries_about(user.id)
    domains = {
        domain: await _call_hook(hook.export, user_id=user.id, cipher=cipher)
        for domain, hook in hooks.items()
    }
    await audit.record("privacy.exported", actor_id=user.id)
    return {
        "format": "citizen-api/export/v1",
        "generated_at": clock.now().isoformat(),
        "account": {
            "id": str(user.id),
            "openid": user.openid,
            "unionid": user.unionid,
            "level": str(user.level),
            "phone": _clear(cipher, user.phone_enc, _PHONE_CTX),
            "name": _clear(cipher, user.name_enc, _NAME_CTX),
            "id_number": _clear(cipher, user.id_number_enc, _ID_CTX),
            "locale": user.locale,
            "elder_mode": user.elder_mode,
            "notification_prefs": user.notification_prefs,
            "created_at": _iso(user.created_at),
            "updated_at": _iso(user.updated_at),
        },
        "consent": {"privacy_policy_version": user.consent_version, "consented_at": _iso(user.consented_at)},
        "roles": [
            {"role": str(g.role), "scope": g.scope, "granted_at": _iso(g.created_at)}
            for g in await RoleGrant.filter(user_id=user.id).order_by("created_at")
        ],
        "sessions": [
            {
                "session_id": str(t.family_id),
                "created_at": _iso(t.created_at),
                "expires_at": _iso(t.expires_at),
                "rotated_at": _iso(t.rotated_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in sessions
        ],
        "family_grants": [family.describe_for_export(g, user.id) for g in grants],
        "proxy_actions_on_my_behalf": [_proxy_action(a) for a in on_my_behalf],
        "proxy_actions_by_me": [_proxy_action(a) for a in by_me],
        "audit_entries": [
            {
                "seq": e.seq,
                "at": _iso(e.occurred_at),
                "action": e.action,
                "actor_id": e.actor_id,
                "subject_id": e.subject_id,
                # Someone else's address (a proxy, a staff member) is their personal data, not ours to give.
                "ip": e.ip if e.actor_id == str(user.id) else None,
                "details": e.details,
            }
            for e in entries
        ],
        "domains": domains,
    }


def _proxy_action(action: ProxyAction) -> dict[str, Any]:
    return {
        "id": str(action.id),
        "proxy_id": str(action.proxy_id),
        "subject_id": str(action.subject_id),
        "scope": action.scope,
        "method": action.method,
        "route": action.route,
        "status": action.status,
        "at": _iso(action.created_at),
    }


async def delete_account(
    *,
    actor: Principal,
    jti: str,
    expires_at: dt.datetime,
    revocations: RevocationStore,
    hooks: Mapping[str, PrivacyHooks],
) -> None:
    """PIPL deletion: wipe personal data, replace the openid, end every session and proxy grant.

    The row stays (anonymous) so ids in the audit log and other domains keep pointing somewhere; the
    audit log itself holds no personal data and is left untouched, so its chain stays valid.
    """
    user = await _owner(actor)
    now = clock.now()
    async with in_transaction() as conn:
        families = (
            await RefreshToken.filter(user_id=user.id)
            .using_db(conn)
            .distinct()
            .values_list("family_id", flat=True)
        )
        await (
            RefreshToken.filter(user_id=user.id, revoked_at=None)
            .using_db(conn)
            .update(revoked_at=now, revoke_reason="account_deleted")
        )
        await family.revoke_all_of(user.id, revoked_by=user.id, conn=conn)
        await RoleGrant.filter(user_id=user.id).using_db(conn).delete()
        for hook in hooks.values():
            if hook.erase is not None:
                await _call_hook(hook.erase, user_id=user.id, conn=conn)
        user.openid = f"deleted:{user.id}"
        user.unionid = None
        user.session_key_enc = None
        user.phone_enc = user.phone_index = None
        user.name_enc = user.id_number_enc = user.id_number_index = None
        user.notification_prefs = {}
        user.locale = None
        user.elder_mode = False
        user.level = VerificationLevel.WECHAT
        user.deleted_at = now
        await user.save(using_db=conn)
        await audit.record("account.deleted", actor_id=user.id, using_db=conn)
    await revocations.revoke_jti(jti, expires_at)
    await revocations.revoke_sessions([str(f) for f in families])


async def reencrypt_pii(*, cipher: PiiCipher, batch: int = 500) -> int:
    """Re-encrypt personal data written under an older key with the active one; returns rows changed."""
    columns = {
        "phone_enc": _PHONE_CTX,
        "name_enc": _NAME_CTX,
        "id_number_enc": _ID_CTX,
        "session_key_enc": _SESSION_KEY_CTX,
    }
    changed = 0
    last: uuid.UUID | None = None
    while True:
        query = User.all().order_by("id").limit(batch)
        if last is not None:
            query = query.filter(id__gt=last)
        users = await query
        if not users:
            break
        for user in users:
            dirty = []
            for column, context in columns.items():
                token = getattr(user, column)
                if token and cipher.needs_rotation(token):
                    setattr(
                        user, column, cipher.encrypt(cipher.decrypt(token, context=context), context=context)
                    )
                    dirty.append(column)
            if dirty:
                await user.save(update_fields=dirty)
                changed += 1
        last = users[-1].id
    if changed:
        await audit.record("pii.reencrypted", details={"accounts": changed})
    return changed
