"""Home-care orders and emergency calls as entries of the cross-domain "my cases" timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.accounts.enums import ProxyScope
from services.care.models import CareOrder
from services.common.i18n import translate
from services.common.timeline import Position, TimelineEntry, TimelineSource, newest_before

__all__ = ["SOURCE", "entries"]


async def entries(
    *, owners: Sequence[uuid.UUID], viewer_id: uuid.UUID, locale: str, before: Position | None, limit: int
) -> list[TimelineEntry]:
    """Orders for the owners (the person served), newest first, older than `before`."""
    rows = await newest_before(CareOrder.filter(subject_id__in=list(owners)), before=before, limit=limit)
    return [
        TimelineEntry(
            kind="care_order",
            id=order.id,
            ref=(order.platform_ref or str(order.id)[-8:]).upper(),
            title=translate(f"timeline.care_service.{order.kind.value}", locale),
            status=order.status.value,
            status_label=translate(f"timeline.care_order_status.{order.status.value}", locale),
            for_member=order.subject_id if order.subject_id != viewer_id else None,
            created_at=order.created_at,
            updated_at=order.updated_at,
            link=f"/api/v1/care/eldercare/orders/{order.id}",
        )
        for order in rows
    ]


SOURCE = TimelineSource(kind="care_order", scope=ProxyScope.CARE, entries=entries)
