"""The booking's write (services/bookings/write.py): on PostgreSQL one statement takes the places and
inserts the booking and its notices; on SQLite, and with visitors, one statement each. Both databases."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from citizen_api.runtime import build_cipher
from services.accounts.enums import FamilyGrantStatus, Role, VerificationLevel
from services.accounts.models import FamilyGrant
from services.accounts.principal import Principal
from services.bookings import service
from services.bookings.booking import Prepared
from services.bookings.errors import SlotFull
from services.bookings.models import Booking, Slot, WaitlistEntry
from services.bookings.policy import BookingPolicies
from services.common import clock
from services.common.models import OutboxMessage
from services.notifications import service as notifications
from services.notifications.models import InboxMessage
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("db")
NO_POLICIES = BookingPolicies()


def _actor(user, *, acting_for=None) -> Principal:
    return Principal(user_id=user.id, level=VerificationLevel.REAL_NAME, acting_for=acting_for)


async def _slot(capacity: int = 3, **rules):
    resource = await service.ensure_resource(
        owner_domain="gov",
        owner_ref=f"w-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "不动产登记窗口", "en": "Property registration"},
        staff_role=Role.DEPT_OPERATOR,
        rules={"per_person_per_day": None, **rules},
    )
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=1)
    return await service.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(minutes=30), capacity=capacity
    )


async def test_write__booking_and_notices_as_the_orm_reads_them(settings) -> None:
    parent, child, other = await make_user(), await make_user(), await make_user()
    now = clock.now()
    await FamilyGrant.create(
        proxy=child,
        subject=parent,
        scopes=["bookings"],
        status=FamilyGrantStatus.ACTIVE,
        invite_code_hash=uuid.uuid4().hex,
        invite_expires_at=now,
        expires_at=now + dt.timedelta(days=30),
        accepted_at=now,
    )
    await notifications.record_consents(user_id=parent.id, template_ids=["TPL_BOOKED"])
    slot = await _slot(capacity=3)
    before = clock.now()
    view = await service.book(
        actor=_actor(other),
        slot_id=slot.id,
        cipher=build_cipher(settings),
        policies=NO_POLICIES,
        purpose={"item_code": "不动产-01"},
    )
    booked = await service.book(
        actor=_actor(child, acting_for=parent.id),
        slot_id=slot.id,
        cipher=build_cipher(settings),
        policies=NO_POLICIES,
    )
    assert (view.slot.remaining, booked.slot.remaining) == (2, 1)
    row = await Booking.get(id=view.id)
    assert (row.slot_id, row.user_id, row.subject_id, row.party_size, row.status) == (
        slot.id,
        other.id,
        other.id,
        1,
        "confirmed",
    )
    assert row.purpose == {"item_code": "不动产-01"} and row.visit_date == slot.day
    assert (row.slot_start, row.slot_end) == (slot.start, slot.end)
    assert before <= row.created_at <= clock.now() and row.confirmed_at == row.created_at
    assert row.check_in_code == view.check_in_code
    assert await Booking.filter(visit_date=slot.day, created_at__gte=before).count() == 2
    # The represented parent and the proxy child are told once each; only the parent has a consent left,
    # so only the parent's row is queued, with its outbox message in the same transaction.
    rows = {
        m.user_id: m
        for m in await InboxMessage.filter(user_id__in=[parent.id, child.id])
        if m.params["booking_id"] == str(booked.id)
    }
    assert set(rows) == {parent.id, child.id}
    assert (rows[parent.id].push_status, rows[child.id].push_status) == ("queued", "none")
    assert rows[child.id].params["_on_behalf"] == {"subject": str(parent.id), "relation": "family"}
    pushes = await OutboxMessage.filter(topic=notifications.SUBSCRIBE_TOPIC)
    assert [p.payload for p in pushes] == [{"message_id": str(rows[parent.id].id)}]
    assert await InboxMessage.filter(user_id=other.id).count() == 1
    assert (await Slot.get(id=slot.id)).taken == 2


async def test_write__full_or_queued_slot_writes_nothing(settings) -> None:
    slot = await _slot(capacity=1, waitlist=True)
    first, late, waiting = await make_user(), await make_user(), await make_user()
    await notifications.record_consents(user_id=late.id, template_ids=["TPL_BOOKED"])
    stale = await Slot.get(id=slot.id).select_related("resource")  # read while the place was free
    await service.book(
        actor=_actor(first), slot_id=slot.id, cipher=build_cipher(settings), policies=NO_POLICIES
    )
    with pytest.raises(SlotFull) as full:
        await service.book(
            actor=_actor(late),
            slot_id=slot.id,
            cipher=build_cipher(settings),
            policies=NO_POLICIES,
            prepared=Prepared(stale, None),
        )
    assert full.value.details["remaining"] == 0
    assert await Booking.filter(slot_id=slot.id).count() == 1
    assert await InboxMessage.filter(user_id=late.id).count() == 0
    assert await OutboxMessage.all().count() == 0
    # A place is free again but someone is waiting: it is the queue's, and the statement takes nothing.
    await Slot.filter(id=slot.id).update(capacity=2)
    await WaitlistEntry.create(slot_id=slot.id, user_id=waiting.id, subject_id=waiting.id)
    with pytest.raises(SlotFull) as queued:
        await service.book(
            actor=_actor(late),
            slot_id=slot.id,
            cipher=build_cipher(settings),
            policies=NO_POLICIES,
            prepared=Prepared(stale, None),
        )
    assert queued.value.details["remaining"] == 0
    assert (await Slot.get(id=slot.id)).taken == 1
    assert await Booking.filter(slot_id=slot.id).count() == 1


async def test_slot_with_resource__the_same_rows_as_the_orms_select_related() -> None:
    from services.bookings import write
    from services.bookings.models import Resource

    slot = await _slot(capacity=4, waitlist=True, advance_days=9)
    await Slot.filter(id=slot.id).update(label="上午场", taken=1)
    await Resource.filter(id=slot.resource_id).update(openings=[{"weekday": 1, "start": "09:00"}])
    raw = await write.slot_with_resource(slot.id)
    orm = await Slot.get(id=slot.id).select_related("resource")
    assert {f: getattr(raw, f) for f in Slot._meta.fields_db_projection} == {
        f: getattr(orm, f) for f in Slot._meta.fields_db_projection
    }
    assert {f: getattr(raw.resource, f) for f in Resource._meta.fields_db_projection} == {
        f: getattr(orm.resource, f) for f in Resource._meta.fields_db_projection
    }
    assert raw.resource.rules["waitlist"] is True and raw.resource.name["en"] == "Property registration"
    assert await write.slot_with_resource(uuid.uuid4()) is None
