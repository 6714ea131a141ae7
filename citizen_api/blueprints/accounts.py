"""Accounts: WeChat sign-in and sessions, /me (profile, phone, identity, family, proxy log, PIPL)."""

from __future__ import annotations

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, empty

from citizen_api.endpoint import client_ip, endpoint, rate_limiter, revocation_store
from citizen_api.schemas.accounts import (
    AuditPageOut,
    AuditQuery,
    AuditReportOut,
    FamilyInviteIn,
    FamilyInviteOut,
    FamilyLinkOut,
    FamilyListOut,
    IdentityIn,
    LogoutIn,
    PhoneIn,
    ProfileOut,
    ProfilePatch,
    ProxyLogOut,
    RefreshIn,
    RoleGrantIn,
    RoleGrantOut,
    RoleRevokeQuery,
    SignInOut,
    WeChatLoginIn,
)
from citizen_api.schemas.common import ListQuery
from services.accounts import family, service
from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.common import audit

__all__ = ["create_blueprint"]


def _tokens(request: Request) -> service.SessionTokens:
    runtime = request.app.ctx.runtime
    settings = runtime.settings
    return service.SessionTokens(
        secret=settings.secret_key.get_secret_value(),
        access_ttl_s=settings.access_token_ttl_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
        principals=runtime.principals,
    )


def _revocations(request: Request) -> service.RevocationStore:
    return revocation_store(request)


# -- sessions ---------------------------------------------------------------------------------
@endpoint(
    limited=True,
    summary="Sign in with a wx.login code",
    tag="accounts",
    body=WeChatLoginIn,
    response=SignInOut,
    description="Creates the account on first sign-in and records consent to the current privacy policy.",
)
async def wechat_login(request: Request, *, body: WeChatLoginIn) -> SignInOut:
    rt = request.app.ctx.runtime
    signed = await service.sign_in(
        code=body.code,
        wechat=rt.adapters.wechat,
        cipher=rt.cipher,
        tokens=_tokens(request),
        limiter=rate_limiter(request),
        client_ip=client_ip(request),
        policy_version=rt.settings.privacy_policy_version,
    )
    return SignInOut.from_domain(signed)


@endpoint(
    limit="auth.refresh",
    summary="Rotate the refresh token",
    tag="accounts",
    body=RefreshIn,
    response=SignInOut,
    description="Returns a new token pair. Presenting an already-rotated token revokes the whole session.",
)
async def refresh(request: Request, *, body: RefreshIn) -> SignInOut:
    signed = await service.refresh_session(
        refresh_token=body.refresh_token,
        tokens=_tokens(request),
        cipher=request.app.ctx.runtime.cipher,
        revocations=_revocations(request),
    )
    return SignInOut.from_domain(signed)


@endpoint(summary="Sign out (revoke this session)", tag="accounts", body=LogoutIn, status=204, auth=True)
async def logout(request: Request, *, body: LogoutIn, actor: Principal) -> HTTPResponse:
    claims = request.ctx.token_claims
    await service.logout(
        actor=actor,
        jti=claims.jti,
        session_id=claims.session_id,
        expires_at=claims.expires_at,
        refresh_token=body.refresh_token,
        revocations=_revocations(request),
    )
    return empty()


# -- profile ----------------------------------------------------------------------------------
@endpoint(summary="My profile (personal data masked)", tag="accounts", response=ProfileOut, auth=True)
async def me(request: Request, *, actor: Principal) -> ProfileOut:
    view = await service.get_profile(actor=actor, cipher=request.app.ctx.runtime.cipher)
    return ProfileOut.from_domain(view)


@endpoint(
    summary="Change locale, elder mode, notification preferences",
    tag="accounts",
    body=ProfilePatch,
    response=ProfileOut,
    auth=True,
)
async def update_me(request: Request, *, body: ProfilePatch, actor: Principal) -> ProfileOut:
    rt = request.app.ctx.runtime
    view = await service.update_profile(
        actor=actor, changes=body.changes(), cipher=rt.cipher, principals=rt.principals
    )
    return ProfileOut.from_domain(view)


@endpoint(
    limit="phone.bind",
    summary="Bind my phone number via WeChat",
    tag="accounts",
    body=PhoneIn,
    response=ProfileOut,
    auth=True,
    description="`{code}` from the getPhoneNumber button, or the legacy `{encrypted_data, iv}`.",
)
async def bind_phone(request: Request, *, body: PhoneIn, actor: Principal) -> ProfileOut:
    rt = request.app.ctx.runtime
    view = await service.bind_phone(
        actor=actor,
        wechat=rt.adapters.wechat,
        cipher=rt.cipher,
        limiter=rate_limiter(request),
        principals=rt.principals,
        code=body.code,
        encrypted_data=body.encrypted_data,
        iv=body.iv,
    )
    return ProfileOut.from_domain(view)


@endpoint(
    limited=True,
    summary="Real-name verification (name + ID number)",
    tag="accounts",
    body=IdentityIn,
    response=ProfileOut,
    level=VerificationLevel.PHONE,
)
async def verify_identity(request: Request, *, body: IdentityIn, actor: Principal) -> ProfileOut:
    rt = request.app.ctx.runtime
    view = await service.verify_identity(
        actor=actor,
        name=body.name,
        id_number=body.id_number,
        identity=rt.adapters.identity,
        cipher=rt.cipher,
        limiter=rate_limiter(request),
        client_ip=client_ip(request),
        principals=rt.principals,
    )
    return ProfileOut.from_domain(view)


# -- family proxies ---------------------------------------------------------------------------
@endpoint(summary="Family proxies in both directions", tag="accounts", response=FamilyListOut, auth=True)
async def list_family(request: Request, *, actor: Principal) -> FamilyListOut:
    links = await family.list_links(actor=actor, cipher=request.app.ctx.runtime.cipher)
    return FamilyListOut(items=[FamilyLinkOut.from_domain(link) for link in links])


@endpoint(
    summary="Invite a family member to let me act for them",
    tag="accounts",
    body=FamilyInviteIn,
    response=FamilyInviteOut,
    status=201,
    auth=True,
    description="Returns a one-time invitation code (valid 7 days) the represented person accepts.",
)
async def invite(request: Request, *, body: FamilyInviteIn, actor: Principal) -> FamilyInviteOut:
    invitation = await family.invite(
        actor=actor,
        scopes=body.scopes,
        relation=body.relation,
        valid_days=body.valid_days,
        cipher=request.app.ctx.runtime.cipher,
    )
    return FamilyInviteOut.from_invitation(invitation)


@endpoint(summary="Revoke a family proxy", tag="accounts", response=FamilyLinkOut, auth=True)
async def revoke_family(request: Request, grant_id: str, *, actor: Principal) -> FamilyLinkOut:
    link = await family.revoke(actor=actor, grant_id=grant_id, cipher=request.app.ctx.runtime.cipher)
    return FamilyLinkOut.from_domain(link)


@endpoint(
    summary="Accept a family invitation (the represented person)",
    tag="accounts",
    response=FamilyLinkOut,
    auth=True,
)
async def accept_invitation(request: Request, code: str, *, actor: Principal) -> FamilyLinkOut:
    link = await family.accept_invitation(
        actor=actor, code=code, cipher=request.app.ctx.runtime.cipher, limiter=rate_limiter(request)
    )
    return FamilyLinkOut.from_domain(link)


@endpoint(
    summary="What others did on my behalf",
    tag="accounts",
    query=ListQuery,
    response=ProxyLogOut,
    auth=True,
)
async def proxy_log(request: Request, *, query: ListQuery, actor: Principal) -> ProxyLogOut:
    page = await family.proxy_log(
        actor=actor, limit=query.limit, cursor=query.cursor, cipher=request.app.ctx.runtime.cipher
    )
    return ProxyLogOut.from_domain(page)


# -- PIPL -------------------------------------------------------------------------------------
@endpoint(
    summary="Export everything we hold about me (PIPL)",
    tag="accounts",
    auth=True,
    description="A JSON document with my personal data in clear, sessions, grants, proxy actions and audit.",
)
async def export(request: Request, *, actor: Principal) -> dict:
    rt = request.app.ctx.runtime
    return await service.export_data(actor=actor, cipher=rt.cipher, hooks=rt.privacy_hooks)


@endpoint(summary="Delete my account (anonymise, PIPL)", tag="accounts", status=204, auth=True)
async def delete_me(request: Request, *, actor: Principal) -> HTTPResponse:
    claims = request.ctx.token_claims
    await service.delete_account(
        actor=actor,
        jti=claims.jti,
        expires_at=claims.expires_at,
        revocations=_revocations(request),
        hooks=request.app.ctx.runtime.privacy_hooks,
        principals=request.app.ctx.runtime.principals,
        values={
            "cipher": request.app.ctx.runtime.cipher,
            "policies": request.app.ctx.runtime.booking_policies,
        },
    )
    return empty()


# -- roles (admin) ------------------------------------------------------------------------------
@endpoint(
    summary="Give a user a role (admin)",
    tag="accounts",
    body=RoleGrantIn,
    response=RoleGrantOut,
    status=201,
    roles=[Role.ADMIN],
    description="community_staff needs a community id as scope, dept_operator a department code.",
)
async def grant_role(request: Request, user_id: str, *, body: RoleGrantIn, actor: Principal) -> RoleGrantOut:
    grant = await service.grant_role(
        user_ref=user_id,
        role=body.role,
        scope=body.scope,
        granted_by=actor.user_id,
        principals=request.app.ctx.runtime.principals,
    )
    return RoleGrantOut.from_domain(grant)


@endpoint(
    summary="Take a role away (admin)",
    tag="accounts",
    query=RoleRevokeQuery,
    status=204,
    roles=[Role.ADMIN],
)
async def revoke_role(
    request: Request, user_id: str, role: str, *, query: RoleRevokeQuery, actor: Principal
) -> HTTPResponse:
    await service.revoke_role(
        user_ref=user_id,
        role=role,
        scope=query.scope,
        revoked_by=actor.user_id,
        principals=request.app.ctx.runtime.principals,
    )
    return empty()


# -- audit (admin) ------------------------------------------------------------------------------
@endpoint(
    summary="Audit log entries, newest first (admin)",
    tag="accounts",
    query=AuditQuery,
    response=AuditPageOut,
    roles=[Role.ADMIN],
)
async def list_audit(request: Request, *, query: AuditQuery, actor: Principal) -> AuditPageOut:
    page = await audit.list_entries(
        limit=query.limit,
        cursor=query.cursor,
        actor_id=query.actor_id,
        subject_id=query.subject_id,
        action=query.action,
    )
    return AuditPageOut.from_domain(page)


@endpoint(
    summary="Check the audit hash chain (admin)",
    tag="accounts",
    response=AuditReportOut,
    roles=[Role.ADMIN],
)
async def verify_audit(request: Request, *, actor: Principal) -> AuditReportOut:
    report = await audit.verify_chain(checkpoint_dir=request.app.ctx.runtime.settings.audit_checkpoint_dir)
    return AuditReportOut.model_validate(report, from_attributes=True)


# (method, path, handler): attached to a fresh blueprint per app by create_blueprint.
ROUTES = (
    ("POST", "/auth/wechat-login", wechat_login),
    ("POST", "/auth/refresh", refresh),
    ("POST", "/auth/logout", logout),
    ("GET", "/me", me),
    ("PATCH", "/me", update_me),
    ("POST", "/me/phone", bind_phone),
    ("POST", "/me/identity", verify_identity),
    ("GET", "/me/family", list_family),
    ("POST", "/me/family", invite),
    ("DELETE", "/me/family/<grant_id:str>", revoke_family),
    ("POST", "/family-invitations/<code:str>/accept", accept_invitation),
    ("GET", "/me/proxy-log", proxy_log),
    ("GET", "/me/export", export),
    ("DELETE", "/me", delete_me),
    ("POST", "/admin/users/<user_id:str>/roles", grant_role),
    ("DELETE", "/admin/users/<user_id:str>/roles/<role:str>", revoke_role),
    ("GET", "/admin/audit", list_audit),
    ("GET", "/admin/audit/verify", verify_audit),
)


def create_blueprint() -> Blueprint:
    bp = Blueprint("accounts")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp
