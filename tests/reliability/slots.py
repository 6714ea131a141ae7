"""A bookable slot for reliability tests: a community clinic tomorrow, nothing else attached."""

from __future__ import annotations

import datetime as dt
import uuid

from services.accounts.enums import Role
from services.bookings import service
from services.bookings.models import Slot
from services.common import clock

__all__ = ["clinic_slot"]


async def clinic_slot(capacity: int = 5, *, daily_cap: bool = True) -> Slot:
    """A slot of `capacity` places, an hour long, starting this time tomorrow. Without the daily cap
    (one booking per person and day) a booking on PostgreSQL is one statement without a transaction."""
    resource = await service.ensure_resource(
        owner_domain="community",
        owner_ref=f"clinic-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "社区义诊", "en": "Community free clinic"},
        staff_role=Role.COMMUNITY_STAFF,
        staff_scope="c-1",
        rules={"party_size_max": 3} if daily_cap else {"party_size_max": 3, "per_person_per_day": None},
    )
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=1)
    return await service.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(hours=1), capacity=capacity
    )
