"""The inbox (GET /me/inbox, POST /me/inbox/{id}/read) and subscribe-message consents (/me/subscriptions)."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.endpoint import endpoint
from citizen_api.schemas.common import ListQuery
from citizen_api.schemas.notifications import ConsentsOut, InboxItemOut, InboxPageOut, SubscriptionsIn
from services.accounts.principal import Principal
from services.notifications import service

__all__ = ["create_blueprint"]


@endpoint(
    summary="Record WeChat subscribe-message consents (one send per consent)",
    tag="notifications",
    body=SubscriptionsIn,
    response=ConsentsOut,
    auth=True,
)
async def record_subscriptions(request: Request, *, body: SubscriptionsIn, actor: Principal):
    balances = await service.record_consents(user_id=actor.user_id, template_ids=body.template_ids)
    return ConsentsOut.from_domain(balances)


@endpoint(
    summary="My unused subscribe-message consents per template",
    tag="notifications",
    response=ConsentsOut,
    auth=True,
)
async def list_subscriptions(request: Request, *, actor: Principal):
    return ConsentsOut.from_domain(await service.list_consents(user_id=actor.user_id))


@endpoint(
    summary="My inbox, newest first, with the unread count",
    tag="notifications",
    query=ListQuery,
    response=InboxPageOut,
    auth=True,
)
async def inbox(request: Request, *, query: ListQuery, actor: Principal):
    page = await service.list_inbox(
        user_id=actor.user_id, locale=request.ctx.locale, limit=query.limit, cursor=query.cursor
    )
    return InboxPageOut.from_domain(page)


@endpoint(summary="Mark an inbox message read", tag="notifications", response=InboxItemOut, auth=True)
async def read(request: Request, message_id: str, *, actor: Principal):
    item = await service.mark_read(user_id=actor.user_id, message_id=message_id, locale=request.ctx.locale)
    return InboxItemOut.from_domain(item)


# (method, path, handler): attached to a fresh blueprint per app by create_blueprint.
ROUTES = (
    ("POST", "/me/subscriptions", record_subscriptions),
    ("GET", "/me/subscriptions", list_subscriptions),
    ("GET", "/me/inbox", inbox),
    ("POST", "/me/inbox/<message_id:str>/read", read),
)


def create_blueprint() -> Blueprint:
    bp = Blueprint("notifications")
    for method, uri, handler in ROUTES:
        bp.add_route(handler, uri, methods=[method])
    return bp
