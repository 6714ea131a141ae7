"""Home care at home (居家养老): services by community, orders for oneself or a parent, the platform's
dispatch callbacks, and rating a completed service.

An order is written with its timeline entry, its subsidy draw and an outbox row in one transaction;
the worker delivers it to the eldercare platform (the platform deduplicates by event id). Every
status the platform reports reaches the inbox of the person served, of whoever ordered, and of every
family member holding a `care` grant for them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from integrations.eldercare.types import CareServiceOffer, DispatchRequest, PlatformNotification
from integrations.errors import IntegrationProtocolError, IntegrationRejected, IntegrationUnavailable
from services.accounts import family
from services.accounts import service as accounts
from services.accounts.principal import Principal
from services.care import names, subsidies
from services.care.enums import CareServiceKind, OrderStatus, advance_order
from services.care.errors import (
    BadTimeWindow,
    CareOrderNotFound,
    EldercareUnavailable,
    IllegalCareTransition,
    RatingNotAllowed,
    UnknownService,
)
from services.care.models import CareOrder, CareOrderEvent, InboundEvent
from services.care.people import CARE_SCOPE
from services.care.ports import EldercarePlatform
from services.care.views import CareList, CareServiceView, OrderEventView, OrderView
from services.common import clock, outbox
from services.common.cache import Keys
from services.common.crypto import PiiCipher, mask_name
from services.common.errors import InvalidInput
from services.common.i18n import message
from services.common.ids import parse_id
from services.common.pagination import Page, keyset_page
from services.notifications import service as notifications

__all__ = [
    "DISPATCH_TOPIC",
    "apply_platform_notification",
    "create_order",
    "deliver_order",
    "get_order",
    "handle_platform_callback",
    "list_orders",
    "list_services",
    "mask_address",
    "order_view",
    "place_order",
    "rate_order",
]

log = logging.getLogger(__name__)

DISPATCH_TOPIC = "care.order_dispatch"
# The platform's statuses of an order it is working on (or has started).
_PLATFORM_WORKING = frozenset({"accepted", "assigned", "en_route", "in_service"})
_SERVICES_TTL_S = 300
_LAST_TTL_S = 7 * 24 * 3600
_MAX_AHEAD = dt.timedelta(days=30)
_ADDRESS_CTX = "care_order.address"
_NOTES_CTX = "care_order.notes"


def mask_address(address: str) -> str:
    """The district part of an address and stars: enough to recognise it, not to find the door."""
    text = address.strip()
    keep = min(len(text) // 3, 8)
    return text[:keep] + "*" * min(8, max(3, len(text) - keep))


# ----------------------------------------------------------------------------------------- services


async def list_services(
    *, platform: EldercarePlatform, redis: aioredis.Redis, keys: Keys, community_code: str
) -> CareList[CareServiceView]:
    """What providers offer in a community (cached; the last copy, marked stale, while the platform is down)."""
    fresh_key = keys("care", "eldercare", "services", community_code)
    last_key = keys("care", "eldercare-last", "services", community_code)

    def decode(raw: bytes) -> tuple[list[CareServiceOffer], dt.datetime]:
        data = json.loads(raw)
        return [CareServiceOffer(**i) for i in data["items"]], dt.datetime.fromisoformat(data["at"])

    stale = False
    try:
        cached = await redis.get(fresh_key)
    except RedisError:
        cached = None
    if cached is not None:
        offers, at = decode(cached)
    else:
        try:
            offers, at = await platform.services(community_code), clock.now()
        except (IntegrationUnavailable, IntegrationProtocolError) as error:
            try:
                last = await redis.get(last_key)
            except RedisError:
                last = None
            if last is None:
                raise EldercareUnavailable() from error
            (offers, at), stale = decode(last), True
        else:
            body = json.dumps(
                {"at": at.isoformat(), "items": [dataclasses.asdict(o) for o in offers]}, ensure_ascii=False
            ).encode()
            try:
                await redis.set(fresh_key, body, ex=_SERVICES_TTL_S)
                await redis.set(last_key, body, ex=_LAST_TTL_S)
            except RedisError:
                log.warning("eldercare cache write failed")
    known = {k.value for k in CareServiceKind}
    items = [
        CareServiceView(
            kind=o.kind,
            provider_code=o.provider_code,
            provider_name=o.provider_name,
            price_fen=o.price_fen,
            unit=o.unit,
            available=o.available,
            units=names.unit_names(o.unit),
        )
        for o in offers
        if o.kind in known
    ]
    return CareList(items=items, stale=stale, fetched_at=at)


# ------------------------------------------------------------------------------------------- orders


async def order_view(row: CareOrder, *, with_timeline: bool = True) -> OrderView:
    events = (
        await CareOrderEvent.filter(order_id=row.id).order_by("occurred_at", "id") if with_timeline else []
    )
    return OrderView(
        id=row.id,
        kind=row.kind.value,
        urgent=row.urgent,
        status=row.status.value,
        for_member=row.subject_id if row.subject_id != row.user_id else None,
        community_code=row.community_code,
        provider_name=row.provider_name,
        address_masked=row.address_masked,
        window_start=row.window_start,
        window_end=row.window_end,
        price_fen=row.price_fen,
        subsidy_fen=row.subsidy_fen,
        pay_fen=row.pay_fen,
        worker=row.worker_masked,
        rating=row.rating,
        created_at=row.created_at,
        timeline=[OrderEventView(status=e.status, note=e.note, occurred_at=e.occurred_at) for e in events],
    )


async def _notify(conn: Any, row: CareOrder, kind: str, **params: Any) -> None:
    """The person served, and (proxy_scope) every family member acting for them in care right now,
    each in their own language ("For your parent: ..."): the service and provider named for them."""
    values = {
        "order_id": str(row.id),
        "service": message(f"care.service.{row.kind.value}"),
        "provider": names.provider_name(row.provider_name),
        "worker": row.worker_masked or "",
        **params,
    }
    await notifications.notify(
        user_id=row.subject_id,
        kind=kind,
        params=values,
        link=f"/pages/care/eldercare?order={row.id}",
        proxy_scope=CARE_SCOPE,
        using_db=conn,
    )


async def place_order(
    *,
    actor: Principal,
    kind: CareServiceKind,
    community_code: str,
    address: str,
    price_fen: int,
    provider_code: str | None,
    provider_name: str | None,
    window_start: dt.datetime | None,
    window_end: dt.datetime | None,
    notes: str | None,
    urgent: bool,
    cipher: PiiCipher,
) -> tuple[CareOrder, str]:
    """Write the order, its subsidy draw, timeline, notices and outbox row at once; (order, outbox id)."""
    budget, _ = await subsidies.entitlement(subject_id=actor.subject_id, cipher=cipher)
    month = subsidies.month_of()
    account = (
        await subsidies.open_month(subject_id=actor.subject_id, month=month, budget_fen=budget)
        if price_fen > 0
        else None
    )
    address_enc = cipher.encrypt(address, context=_ADDRESS_CTX)
    notes_enc = cipher.encrypt(notes, context=_NOTES_CTX) if notes else None
    async with in_transaction() as conn:
        # The subsidy draw is the transaction's first statement (a write): on SQLite the write lock is
        # taken at once, on PostgreSQL the account row lock orders competing orders of one person.
        drawn = await subsidies.draw(account=account, amount_fen=price_fen, conn=conn)
        values: dict[str, Any] = {
            "user_id": actor.user_id,
            "subject_id": actor.subject_id,
            "kind": kind,
            "urgent": urgent,
            "community_code": community_code,
            "provider_code": provider_code,
            "provider_name": provider_name,
            "address_enc": address_enc,
            "address_masked": mask_address(address),
            "notes_enc": notes_enc,
            "window_start": window_start,
            "window_end": window_end,
            "price_fen": price_fen,
            "subsidy_fen": drawn,
            "subsidy_month": month if drawn else None,
            "pay_fen": price_fen - drawn,
        }
        row = await CareOrder.create(using_db=conn, **values)
        await CareOrderEvent.create(order_id=row.id, status=OrderStatus.SUBMITTED.value, using_db=conn)
        message = await outbox.enqueue(
            topic=DISPATCH_TOPIC,
            payload={"order_id": str(row.id)},
            aggregate_type="care_order",
            aggregate_id=str(row.id),
            using_db=conn,
        )
        await _notify(conn, row, "care.notify.emergency_raised" if urgent else "care.notify.order_submitted")
    return row, str(message.id)


async def create_order(
    *,
    actor: Principal,
    kind: str,
    community_code: str,
    address: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    notes: str | None,
    provider_code: str | None,
    platform: EldercarePlatform,
    redis: aioredis.Redis,
    keys: Keys,
    cipher: PiiCipher,
) -> OrderView:
    """Order a home-care service for the actor or (under a `care` proxy) the person they act for."""
    service_kind = CareServiceKind(kind)
    if service_kind is CareServiceKind.EMERGENCY:
        raise UnknownService(details={"use": "/api/v1/care/eldercare/emergency"})
    now = clock.now()
    if window_start.tzinfo is None or window_end.tzinfo is None or window_end <= window_start:
        raise BadTimeWindow()
    if window_end <= now or window_start > now + _MAX_AHEAD:
        raise BadTimeWindow(details={"max_days_ahead": _MAX_AHEAD.days})
    offers = await list_services(platform=platform, redis=redis, keys=keys, community_code=community_code)
    candidates = [o for o in offers.items if o.kind == service_kind.value and o.available]
    if provider_code:
        candidates = [o for o in candidates if o.provider_code == provider_code]
    if not candidates:
        raise UnknownService(details={"community": community_code, "kind": service_kind.value})
    offer = min(candidates, key=lambda o: o.price_fen)
    row, _ = await place_order(
        actor=actor,
        kind=service_kind,
        community_code=community_code,
        address=address,
        price_fen=offer.price_fen,
        provider_code=offer.provider_code,
        provider_name=offer.provider_name,
        window_start=window_start,
        window_end=window_end,
        notes=notes,
        urgent=False,
        cipher=cipher,
    )
    return await order_view(row)


async def _visible(actor: Principal, row: CareOrder) -> bool:
    if actor.user_id in (row.user_id, row.subject_id):
        return True
    return (
        await family.live_grant(proxy_id=actor.user_id, subject_id=row.subject_id, scope=CARE_SCOPE)
        is not None
    )


async def _order_row(actor: Principal, order_id: str) -> CareOrder:
    parsed = parse_id(order_id)
    row = await CareOrder.get_or_none(id=parsed) if parsed else None
    if row is None or not await _visible(actor, row):
        raise CareOrderNotFound()
    return row


async def get_order(*, actor: Principal, order_id: str) -> OrderView:
    """The order with its timeline: for the person served, whoever ordered, and their `care` proxies."""
    return await order_view(await _order_row(actor, order_id))


async def list_orders(*, actor: Principal, limit: int, cursor: str | None) -> Page:
    """Orders for me, made by me, and for everyone I act for in care; newest first."""
    represented = await family.represented_subjects(proxy_id=actor.user_id, scope=CARE_SCOPE)
    query = CareOrder.filter(Q(user_id=actor.user_id) | Q(subject_id__in=[actor.user_id, *represented]))
    page = await keyset_page(query, limit=limit, cursor=cursor)
    return Page(
        items=[await order_view(r, with_timeline=False) for r in page.items], next_cursor=page.next_cursor
    )


async def rate_order(
    *, actor: Principal, order_id: str, stars: int, comment: str | None, cipher: PiiCipher
) -> OrderView:
    """The person served or their proxy rates a completed service, once."""
    row = await _order_row(actor, order_id)
    if row.status is not OrderStatus.COMPLETED or row.rating is not None or not 1 <= stars <= 5:
        raise RatingNotAllowed(details={"status": row.status.value, "rated": row.rating is not None})
    updated = await CareOrder.filter(id=row.id, rating__isnull=True, status=OrderStatus.COMPLETED).update(
        rating=stars,
        rating_comment_enc=cipher.encrypt(comment, context="care_order.rating_comment") if comment else None,
    )
    if updated != 1:
        raise RatingNotAllowed(details={"rated": True})
    await row.refresh_from_db()
    return await order_view(row)


# ----------------------------------------------------------------------------------------- delivery


async def deliver_order(
    *, order_id: str, event_id: str, platform: EldercarePlatform, cipher: PiiCipher
) -> str:
    """Send an order to the platform (outbox handler, and at once for an emergency call); its status."""
    row = await CareOrder.get_or_none(id=parse_id(order_id))
    if row is None:
        return "missing"
    if row.status is not OrderStatus.SUBMITTED or row.platform_ref:
        return row.status.value
    identity = await accounts.verified_identity(user_id=row.subject_id, cipher=cipher)
    request = DispatchRequest(
        event_id=event_id,
        order_id=str(row.id),
        kind=row.kind.value,
        urgent=row.urgent,
        community_code=row.community_code,
        provider_code=row.provider_code,
        address=cipher.decrypt(row.address_enc, context=_ADDRESS_CTX) if row.address_enc else "",
        contact_name=identity.name if identity else "",
        contact_phone=identity.phone if identity else None,
        window_start=row.window_start,
        window_end=row.window_end,
        notes=cipher.decrypt(row.notes_enc, context=_NOTES_CTX) if row.notes_enc else None,
    )
    try:
        receipt = await platform.dispatch(request)
    except IntegrationRejected as error:
        await _finish(row, OrderStatus.REFUSED, note=str(error.remote_code or "refused"))
        return OrderStatus.REFUSED.value
    except (IntegrationUnavailable, IntegrationProtocolError):
        failures = row.dispatch_failures + 1
        async with in_transaction() as conn:
            await CareOrder.filter(id=row.id).using_db(conn).update(dispatch_failures=failures)
            if row.urgent and failures == 1:
                # The family learns at once that help is delayed, not only when it finally arrives.
                await CareOrderEvent.create(order_id=row.id, status="retrying", using_db=conn)
                await _notify(conn, row, "care.notify.emergency_retrying")
        raise
    await CareOrder.filter(id=row.id, platform_ref__isnull=True).update(platform_ref=receipt.platform_ref)
    if (await CareOrder.get(id=row.id)).status is OrderStatus.CANCELLED:
        # Cancelled while on its way: the cancellation's own delivery may have found no reference yet.
        await platform.cancel(receipt.platform_ref, reason="cancelled by the resident")
        return OrderStatus.CANCELLED.value
    if receipt.status == OrderStatus.ACCEPTED.value:
        await _advance(row.id, OrderStatus.ACCEPTED, worker=None, note=None)
    return receipt.status


async def _finish(row: CareOrder, status: OrderStatus, *, note: str | None) -> None:
    await _advance(row.id, status, worker=None, note=note)


async def _advance(
    order_id: uuid.UUID,
    target: OrderStatus,
    *,
    worker: str | None,
    note: str | None,
    then: Callable[[Any, CareOrder], Awaitable[None]] | None = None,
) -> bool:
    """Compare-and-set one lifecycle step, with its timeline entry, refund and notices (and `then`,
    in the same transaction); False if not applicable."""
    row = await CareOrder.get(id=order_id)
    if row.status == target:
        return False
    try:
        advance_order(row.status, target)
    except IllegalCareTransition:
        return False
    now = clock.now()
    changes: dict[str, Any] = {"status": target, "updated_at": now}
    if worker:
        changes["worker_masked"] = mask_name(worker)
    if target is OrderStatus.ACCEPTED:
        changes["accepted_at"] = now
    if target is OrderStatus.COMPLETED:
        changes["completed_at"] = now
    async with in_transaction() as conn:
        if await CareOrder.filter(id=row.id, status=row.status).using_db(conn).update(**changes) != 1:
            return False
        await CareOrderEvent.create(order_id=row.id, status=target.value, note=note, using_db=conn)
        if target in (OrderStatus.REFUSED, OrderStatus.CANCELLED) and row.subsidy_fen:
            await subsidies.refund(
                subject_id=row.subject_id, month=row.subsidy_month, amount_fen=row.subsidy_fen, conn=conn
            )
        await row.refresh_from_db(using_db=conn)
        if then is not None:
            await then(conn, row)
        kind = "care.notify.emergency_" if row.urgent else "care.notify.order_"
        await _notify(conn, row, kind + target.value)
    return True


async def apply_platform_notification(*, notification: PlatformNotification) -> dict[str, Any]:
    """Apply a platform callback once (replays change nothing)."""
    row = await CareOrder.get_or_none(id=parse_id(notification.order_id))
    if row is None or (row.platform_ref and row.platform_ref != notification.platform_ref):
        raise CareOrderNotFound()
    try:
        await InboundEvent.create(system="eldercare", event_id=notification.event_id)
    except IntegrityError:
        return {"outcome": "duplicate", "order_id": str(row.id), "status": row.status.value}
    if not row.platform_ref:
        await CareOrder.filter(id=row.id, platform_ref__isnull=True).update(
            platform_ref=notification.platform_ref
        )
        if row.status is OrderStatus.CANCELLED and notification.status in _PLATFORM_WORKING:
            # Cancelled here while we never knew the platform's reference (its answer to the dispatch
            # was lost), so the provider was never told; now that we know it, tell it.
            from services.care import order_cancel  # it builds on this module

            async with in_transaction() as conn:
                await order_cancel.queue_cancellation(conn, row)
    changed = await _advance(
        row.id, OrderStatus(notification.status), worker=notification.worker_name, note=notification.note
    )
    fresh = await CareOrder.get(id=row.id)
    return {
        "outcome": "applied" if changed else "ignored",
        "order_id": str(row.id),
        "status": fresh.status.value,
    }


async def handle_platform_callback(*, data: Any, platform: EldercarePlatform) -> dict[str, Any]:
    """A signed push from the eldercare platform: parse it and apply it once."""
    try:
        notification = platform.parse_notification(data)
    except IntegrationProtocolError as error:
        raise InvalidInput("care.bad_callback") from error
    return await apply_platform_notification(notification=notification)
