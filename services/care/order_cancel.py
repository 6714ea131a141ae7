"""Cancelling a home-care order, and what happens when the provider will not cancel.

Before the service starts the person served or their `care` proxy may cancel: the order, the subsidy
refund, the family's notices and the provider's cancellation (outbox) commit together. The provider
may still refuse (its worker had started before our copy heard of it): the service then goes ahead,
so the order takes the platform's status again, draws its subsidy again as far as that month's budget
still allows (the rest is to pay), and the person served and their proxies are told, each in their language.
"""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from integrations.errors import IntegrationRejected
from services.accounts import family
from services.accounts.principal import Principal
from services.care import subsidies
from services.care.eldercare import _advance, _notify, _order_row, order_view
from services.care.enums import OrderStatus
from services.care.errors import CareOrderNotFound, OrderCancelTooLate
from services.care.models import CareOrder, CareOrderEvent, SubsidyAccount
from services.care.people import CARE_SCOPE
from services.care.ports import EldercarePlatform
from services.care.views import OrderView
from services.common import clock, outbox
from services.common.ids import parse_id

__all__ = ["CANCELLABLE", "CANCEL_TOPIC", "cancel_order", "deliver_cancellation", "queue_cancellation"]

CANCEL_TOPIC = "care.order_cancel"
# Before the service starts (在服务开始前) the person served or their proxy may cancel.
CANCELLABLE = frozenset(
    {OrderStatus.SUBMITTED, OrderStatus.ACCEPTED, OrderStatus.ASSIGNED, OrderStatus.EN_ROUTE}
)
# Where a provider that refused the cancellation may have the order: the service happens after all.
_GOES_AHEAD = frozenset(
    {
        OrderStatus.ACCEPTED,
        OrderStatus.ASSIGNED,
        OrderStatus.EN_ROUTE,
        OrderStatus.IN_SERVICE,
        OrderStatus.COMPLETED,
    }
)
_REASON = "cancelled by the resident"


async def _acts_for(actor: Principal, row: CareOrder) -> bool:
    """The person served, or someone holding their live `care` grant (not merely whoever ordered)."""
    if actor.user_id == row.subject_id:
        return True
    return (
        await family.live_grant(proxy_id=actor.user_id, subject_id=row.subject_id, scope=CARE_SCOPE)
        is not None
    )


async def queue_cancellation(conn: Any, row: CareOrder) -> None:
    await outbox.enqueue(
        topic=CANCEL_TOPIC,
        payload={"order_id": str(row.id)},
        aggregate_type="care_order",
        aggregate_id=str(row.id),
        using_db=conn,
    )


async def cancel_order(*, actor: Principal, order_id: str, reason: str | None = None) -> OrderView:
    """Cancel before the service starts (see the module docstring); OrderCancelTooLate once it is in service."""
    row = await _order_row(actor, order_id)
    if not await _acts_for(actor, row):
        raise CareOrderNotFound()
    if row.status is OrderStatus.CANCELLED:
        return await order_view(row)  # a repeated tap
    if row.status not in CANCELLABLE:
        raise OrderCancelTooLate(details={"status": row.status.value})
    note = (reason or _REASON)[:255]
    if not await _advance(row.id, OrderStatus.CANCELLED, worker=None, note=note, then=queue_cancellation):
        fresh = await CareOrder.get(id=row.id)
        if fresh.status is not OrderStatus.CANCELLED:
            # The provider's "in service" arrived first.
            raise OrderCancelTooLate(details={"status": fresh.status.value})
    return await order_view(await CareOrder.get(id=row.id))


async def deliver_cancellation(*, order_id: str, platform: EldercarePlatform) -> str:
    """Outbox handler: tell the provider. An order never dispatched has nothing to cancel there (its
    dispatch skips a cancelled order); a provider that refuses goes ahead with the service (module docstring)."""
    row = await CareOrder.get_or_none(id=parse_id(order_id))
    if row is None or not row.platform_ref:
        return "not_dispatched"
    try:
        await platform.cancel(row.platform_ref, reason=_REASON)
    except IntegrationRejected as error:
        # Unreachable while asking is an IntegrationUnavailable: the outbox retries the whole delivery.
        status = await platform.order_status(row.platform_ref)
        if status == OrderStatus.CANCELLED.value:
            return "cancelled"  # it was cancelled meanwhile after all
        await _goes_ahead(row, OrderStatus(status) if status in _GOES_AHEAD else None, str(error))
        return "refused"
    return "cancelled"


async def _goes_ahead(row: CareOrder, status: OrderStatus | None, refusal: str) -> None:
    """The provider refused to cancel: back to its status, the subsidy drawn again, the family told."""
    now = clock.now()
    async with in_transaction() as conn:
        if status is not None:
            changes: dict[str, Any] = {"status": status, "updated_at": now}
            if status is OrderStatus.COMPLETED:
                changes["completed_at"] = now
            moved = (
                await CareOrder.filter(id=row.id, status=OrderStatus.CANCELLED)
                .using_db(conn)
                .update(**changes)
            )
            if moved != 1:
                return  # another delivery of this message reconciled it already
            account = (
                await SubsidyAccount.get_or_none(subject_id=row.subject_id, month=row.subsidy_month).using_db(
                    conn
                )
                if row.subsidy_month and row.subsidy_fen
                else None
            )
            drawn = await subsidies.draw(account=account, amount_fen=row.subsidy_fen, conn=conn)
            await (
                CareOrder.filter(id=row.id)
                .using_db(conn)
                .update(
                    subsidy_fen=drawn,
                    subsidy_month=row.subsidy_month if drawn else None,
                    pay_fen=row.price_fen - drawn,
                )
            )
        await CareOrderEvent.create(
            order_id=row.id, status="cancel_refused", note=refusal[:255], using_db=conn
        )
        if status is None:
            await _notify(conn, row, "care.notify.order_cancel_refused")
            return
        await CareOrderEvent.create(order_id=row.id, status=status.value, using_db=conn)
        await row.refresh_from_db(using_db=conn)
        await _notify(conn, row, "care.notify.order_goes_ahead", pay=f"{row.pay_fen / 100:.2f}")
