"""PIPL for the account: export everything held about a person, delete (anonymise) the account,
and move personal data to the active key."""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from services.accounts import family
from services.accounts.enums import VerificationLevel
from services.accounts.models import ProxyAction, RefreshToken, RoleGrant, User
from services.accounts.principal import Principal
from services.accounts.principals import PrincipalCache
from services.accounts.profiles import ID_CTX, NAME_CTX, PHONE_CTX, SESSION_KEY_CTX, clear_text, owner_of
from services.accounts.revocation import RevocationStore
from services.common import audit, clock
from services.common.contributions import PrivacyHooks
from services.common.crypto import PiiCipher

__all__ = ["delete_account", "export_data", "reencrypt_pii"]


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
    user = await owner_of(actor)
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
            "phone": clear_text(cipher, user.phone_enc, PHONE_CTX),
            "name": clear_text(cipher, user.name_enc, NAME_CTX),
            "id_number": clear_text(cipher, user.id_number_enc, ID_CTX),
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
    principals: PrincipalCache,
    values: Mapping[str, Any] | None = None,
) -> None:
    """PIPL deletion: wipe personal data, replace the openid, end every session and proxy grant.

    `values` are what the domains' erase hooks may ask for besides `user_id` and `conn` (the cipher,
    the booking policies); each hook receives the keyword arguments it declares.

    The row stays (anonymous) so ids in the audit log and other domains keep pointing somewhere; the
    audit log itself holds no personal data and is left untouched, so its chain stays valid.
    """
    user = await owner_of(actor)
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
                await _call_hook(hook.erase, **{**(values or {}), "user_id": user.id, "conn": conn})
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
    await principals.changed(user.id)


async def reencrypt_pii(*, cipher: PiiCipher, batch: int = 500) -> int:
    """Re-encrypt personal data written under an older key with the active one; returns rows changed."""
    columns = {
        "phone_enc": PHONE_CTX,
        "name_enc": NAME_CTX,
        "id_number_enc": ID_CTX,
        "session_key_enc": SESSION_KEY_CTX,
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
