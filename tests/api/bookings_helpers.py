"""Helpers shared by the booking API tests: a service-hall window, its slots, a family grant."""

from __future__ import annotations

import datetime as dt
import uuid

from services.accounts.enums import FamilyGrantStatus, Role
from services.accounts.models import FamilyGrant
from services.bookings import service
from services.common import clock

__all__ = ["make_grant", "make_resource", "make_slot"]


async def make_resource(**rules):
    """A service-hall window (gov) with `rules`."""
    return await service.ensure_resource(
        owner_domain="gov",
        owner_ref=f"window-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "市民之家 1号窗口", "en": "Citizen Hall window 1"},
        staff_role=Role.DEPT_OPERATOR,
        staff_scope="hall",
        rules=rules or None,
    )


async def make_slot(resource, *, capacity: int = 2, hours_ahead: float = 24):
    """A 30-minute slot of `resource` starting `hours_ahead` from now."""
    start = clock.now().replace(microsecond=0) + dt.timedelta(hours=hours_ahead)
    return await service.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(minutes=30), capacity=capacity
    )


async def make_grant(proxy, subject, scopes=("bookings",)):
    """An accepted family grant from `subject` to `proxy`, for 30 days."""
    now = clock.now()
    return await FamilyGrant.create(
        proxy=proxy,
        subject=subject,
        scopes=list(scopes),
        status=FamilyGrantStatus.ACTIVE,
        invite_code_hash=uuid.uuid4().hex,
        invite_expires_at=now,
        expires_at=now + dt.timedelta(days=30),
        accepted_at=now,
    )
