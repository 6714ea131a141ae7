"""A bookable slot for reliability tests: a community clinic tomorrow, nothing else attached."""

from __future__ import annotations

import datetime as dt
import uuid

from services.accounts.enums import Role
from services.bookings import service
from services.bookings.models import Slot
from services.common import clock

__all__ = ["clinic_slot"]


async def clinic_slot(capacity: int = 5) -> Slot:
    """A slot of `capacity` places, an hour long, starting this time tomorrow."""
    resource = await service.ensure_resource(
        owner_domain="community",
        owner_ref=f"clinic-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "社区义诊", "en": "Community free clinic"},
        staff_role=Role.COMMUNITY_STAFF,
        staff_scope="c-1",
        rules={"party_size_max": 3},
    )
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=1)
    return await service.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(hours=1), capacity=capacity
    )
