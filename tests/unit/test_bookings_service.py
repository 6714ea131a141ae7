"""Booking engine rules against the real database: holds, no-shows, caps, windows, deadlines, slots, proxies."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from citizen_api.runtime import build_cipher
from services.accounts.enums import FamilyGrantStatus, Role, VerificationLevel
from services.accounts.models import FamilyGrant
from services.accounts.principal import Principal
from services.bookings import service
from services.bookings.enums import BookingStatus
from services.bookings.errors import (
    BookingBanned,
    BookingNotFound,
    CancellationTooLate,
    CheckInNotOpen,
    DailyCapReached,
    HoldExpired,
    IllegalTransition,
    OutsideBookingWindow,
    SlotClosed,
    SlotExists,
    SlotFull,
)
from services.bookings.models import Booking, Slot
from services.bookings.policy import BookingPolicies, BookingPolicy
from services.common import clock
from services.common.errors import Conflict
from services.notifications.models import InboxMessage
from tests.factories import make_user

NO_POLICIES = BookingPolicies()

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def cipher(settings):
    return build_cipher(settings)


def _actor(user, *, acting_for=None, roles=None) -> Principal:
    return Principal(
        user_id=user.id,
        level=VerificationLevel.REAL_NAME,
        roles=roles or {Role.RESIDENT: frozenset({""})},
        acting_for=acting_for,
    )


async def _resource(domain: str = "care", **rules):
    return await service.ensure_resource(
        owner_domain=domain,
        owner_ref=f"r-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "济源市人民医院 内科", "en": "Jiyuan People's Hospital, internal medicine"},
        staff_role=Role.DEPT_OPERATOR,
        staff_scope="hospital-1",
        rules=rules or None,
    )


async def _slot(resource, *, capacity: int = 2, ahead: dt.timedelta = dt.timedelta(days=1)):
    start = clock.now().replace(microsecond=0) + ahead
    return await service.create_slot(
        resource_id=resource.id, start=start, end=start + dt.timedelta(minutes=30), capacity=capacity
    )


def _tomorrow_at(hour: int, minute: int = 0) -> dt.timedelta:
    """How far ahead tomorrow's `hour:minute` Beijing time is: slots on one local day whatever the hour now."""
    day = clock.local_date() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.CITY_TZ)
    return start - clock.now().replace(microsecond=0)


async def test_ensure_resource__idempotent_upsert(cipher) -> None:
    first = await service.ensure_resource(
        owner_domain="community", owner_ref="event-1", name={"zh_CN": "义诊"}, staff_role="community_staff"
    )
    second = await service.ensure_resource(
        owner_domain="community",
        owner_ref="event-1",
        name={"zh_CN": "义诊活动", "en": "Free clinic"},
        staff_role="community_staff",
        staff_scope="c-1",
        rules={"party_size_max": 2},
    )
    assert first.id == second.id
    assert second.display_name("en") == "Free clinic" and second.rules.party_size_max == 2
    assert (await service.find_resource(owner_domain="community", owner_ref="event-1")).staff_scope == "c-1"


async def test_generate_slots__skips_holidays_and_honours_make_up_days(cipher) -> None:
    resource = await _resource("gov")
    created = await service.generate_slots(
        resource_id=resource.id,
        start=dt.date(2026, 2, 13),
        days=5,  # Fri 13, Sat 14 (make-up working day), Sun 15, Mon 16 and Tue 17 (Spring Festival)
        openings=[{"start": "09:00", "end": "10:00", "slot_minutes": 30, "capacity": 3}],
    )
    days = sorted(set(await Slot.filter(resource_id=resource.id).values_list("day", flat=True)))
    assert days == [dt.date(2026, 2, 13), dt.date(2026, 2, 14)]
    assert created == 4
    saturday = await service.list_slots(resource_id=resource.id, date=dt.date(2026, 2, 14))
    assert [s.start.astimezone(clock.CITY_TZ).strftime("%H:%M") for s in saturday] == ["09:00", "09:30"]
    assert all(s.remaining == 3 for s in saturday)
    assert await service.list_slots(resource_id=resource.id, date=dt.date(2026, 2, 17)) == []
    again = await service.generate_slots(
        resource_id=resource.id,
        start=dt.date(2026, 2, 13),
        days=5,
        openings=[{"start": "09:00", "end": "10:00", "slot_minutes": 30, "capacity": 3}],
    )
    assert again == 0


async def test_roll_slots__uses_stored_openings(cipher) -> None:
    resource = await service.ensure_resource(
        owner_domain="tourism",
        owner_ref="wangwu",
        name={"zh_CN": "王屋山"},
        staff_role="dept_operator",
        rules={"advance_days": 2},
        openings=[
            {
                "start": "08:00",
                "end": "10:00",
                "slot_minutes": 60,
                "capacity": 50,
                "days": [0, 1, 2, 3, 4, 5, 6],
                "skip_holidays": False,
            }
        ],
    )
    assert await service.roll_slots(today=dt.date(2026, 2, 16)) == 6  # three days, two slots each
    assert await Slot.filter(resource_id=resource.id, day=dt.date(2026, 2, 17)).count() == 2


async def test_create_slot__duplicate_start_refused(cipher) -> None:
    resource = await _resource()
    slot = await _slot(resource)
    with pytest.raises(SlotExists):
        await service.create_slot(resource_id=resource.id, start=slot.start, end=slot.end, capacity=1)


async def test_hold__expiry_frees_capacity_and_confirm_refused(cipher) -> None:
    resource = await _resource(hold_minutes=15)
    slot = await _slot(resource, capacity=1)
    user, other = await make_user(), await make_user()
    held = await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    assert held.status is BookingStatus.HELD and held.hold_expires_at is not None
    with pytest.raises(SlotFull):
        await service.book(actor=_actor(other), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    assert (
        await service.expire_holds(
            now=clock.now() + dt.timedelta(minutes=10), policies=NO_POLICIES, cipher=cipher
        )
        == 0
    )
    assert (
        await service.expire_holds(
            now=clock.now() + dt.timedelta(minutes=16), policies=NO_POLICIES, cipher=cipher
        )
        == 1
    )
    assert (await service.get_slot(slot_id=slot.id)).remaining == 1
    assert (await service.get_booking(actor=_actor(user), booking_id=held.id)).status is BookingStatus.EXPIRED
    with pytest.raises(IllegalTransition):
        await service.confirm_hold(
            actor=_actor(user), booking_id=held.id, policies=NO_POLICIES, cipher=cipher
        )
    taken = await service.book(actor=_actor(other), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    assert taken.status is BookingStatus.HELD


async def test_hold__confirmed_in_time_and_late_confirm_expires(cipher) -> None:
    resource = await _resource(hold_minutes=15)
    slot = await _slot(resource, capacity=2)
    user, late = await make_user(), await make_user()
    held = await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    confirmed = await service.confirm_hold(
        actor=_actor(user), booking_id=held.id, policies=NO_POLICIES, cipher=cipher
    )
    assert confirmed.status is BookingStatus.CONFIRMED and confirmed.visible_check_in_code
    stale = await service.book(actor=_actor(late), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    await Booking.filter(id=stale.id).update(hold_expires_at=clock.now() - dt.timedelta(seconds=1))
    with pytest.raises(HoldExpired):
        await service.confirm_hold(
            actor=_actor(late), booking_id=stale.id, policies=NO_POLICIES, cipher=cipher
        )
    assert (await service.get_slot(slot_id=slot.id)).remaining == 1


async def test_no_show__marked_after_the_slot_and_three_strikes_ban(cipher) -> None:
    resource = await _resource(
        no_show_limit=3, no_show_window_days=365, no_show_ban_days=30, per_person_per_day=None
    )
    user = await make_user()
    for hours in (24, 25, 26):
        slot = await _slot(resource, capacity=5, ahead=dt.timedelta(hours=hours))
        await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    assert await service.mark_no_shows(now=clock.now() + dt.timedelta(hours=24)) == 0
    assert await service.mark_no_shows(now=clock.now() + dt.timedelta(days=2)) == 3
    assert await Booking.filter(subject_id=user.id, status=BookingStatus.NO_SHOW).count() == 3
    # Strikes count across the owner domain (another hospital department with the same rule).
    other_resource = await _resource(no_show_limit=3)
    slot = await _slot(other_resource, capacity=5, ahead=dt.timedelta(days=3))
    with pytest.raises(BookingBanned) as caught:
        await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    assert caught.value.code == "booking.banned" and "until" in caught.value.details
    with pytest.raises(BookingBanned):
        await service.join_waitlist(
            actor=_actor(user), slot_id=(await _slot(other_resource, capacity=0)).id, policies=NO_POLICIES
        )
    tourism = await _resource("tourism", no_show_limit=3)
    elsewhere = await _slot(tourism, capacity=5, ahead=dt.timedelta(days=3))
    assert (
        await service.book(actor=_actor(user), slot_id=elsewhere.id, cipher=cipher, policies=NO_POLICIES)
    ).status is BookingStatus.CONFIRMED


async def test_no_show__two_strikes_do_not_ban(cipher) -> None:
    resource = await _resource(no_show_limit=3, per_person_per_day=None)
    user = await make_user()
    for hours in (24, 25):
        slot = await _slot(resource, capacity=5, ahead=dt.timedelta(hours=hours))
        await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    await service.mark_no_shows(now=clock.now() + dt.timedelta(days=2))
    slot = await _slot(resource, capacity=5, ahead=dt.timedelta(days=3))
    assert (
        await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    ).status is BookingStatus.CONFIRMED


async def test_daily_cap__per_person_per_day(cipher) -> None:
    resource = await _resource(per_person_per_day=2)
    user = await make_user()
    slots = [await _slot(resource, capacity=5, ahead=_tomorrow_at(10 + i)) for i in range(3)]
    await service.book(actor=_actor(user), slot_id=slots[0].id, cipher=cipher, policies=NO_POLICIES)
    second = await service.book(actor=_actor(user), slot_id=slots[1].id, cipher=cipher, policies=NO_POLICIES)
    with pytest.raises(DailyCapReached):
        await service.book(actor=_actor(user), slot_id=slots[2].id, cipher=cipher, policies=NO_POLICIES)
    await service.cancel(actor=_actor(user), booking_id=second.id, policies=NO_POLICIES, cipher=cipher)
    assert (
        await service.book(actor=_actor(user), slot_id=slots[2].id, cipher=cipher, policies=NO_POLICIES)
    ).active


async def test_advance_window__too_far_ahead_refused(cipher) -> None:
    resource = await _resource(advance_days=7)
    user = await make_user()
    far = await _slot(resource, ahead=dt.timedelta(days=9))
    with pytest.raises(OutsideBookingWindow) as caught:
        await service.book(actor=_actor(user), slot_id=far.id, cipher=cipher, policies=NO_POLICIES)
    assert caught.value.details["last_bookable_date"]
    near = await _slot(resource, ahead=dt.timedelta(days=6))
    assert (
        await service.book(actor=_actor(user), slot_id=near.id, cipher=cipher, policies=NO_POLICIES)
    ).active


async def test_past_slot__cannot_be_booked(cipher) -> None:
    resource = await _resource()
    slot = await _slot(resource, ahead=dt.timedelta(minutes=-5))
    with pytest.raises(SlotClosed):
        await service.book(
            actor=_actor(await make_user()), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES
        )


async def test_cancellation_deadline__too_late_refused(cipher) -> None:
    resource = await _resource(cancel_deadline_minutes=120)
    user = await make_user()
    soon = await _slot(resource, ahead=dt.timedelta(minutes=90))
    booking = await service.book(actor=_actor(user), slot_id=soon.id, cipher=cipher, policies=NO_POLICIES)
    with pytest.raises(CancellationTooLate):
        await service.cancel(actor=_actor(user), booking_id=booking.id, policies=NO_POLICIES, cipher=cipher)
    later = await _slot(resource, ahead=dt.timedelta(hours=3))
    other = await service.book(
        actor=_actor(await make_user()), slot_id=later.id, cipher=cipher, policies=NO_POLICIES
    )
    assert (
        await service.cancel(actor=_owner(other), booking_id=other.id, policies=NO_POLICIES, cipher=cipher)
    ).status is BookingStatus.CANCELLED


def _owner(view) -> Principal:
    return Principal(user_id=view.user_id, level=VerificationLevel.REAL_NAME)


async def test_check_in__only_around_the_slot(cipher) -> None:
    resource = await _resource(check_in_opens_minutes=30)
    user = await make_user()
    staff = Principal(
        user_id=uuid.uuid4(),
        level=VerificationLevel.WECHAT,
        roles={Role.DEPT_OPERATOR: frozenset({"hospital-1"})},
    )
    slot = await _slot(resource, ahead=dt.timedelta(hours=2))
    booking = await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    with pytest.raises(CheckInNotOpen):
        await service.check_in(actor=staff, code=booking.check_in_code, cipher=cipher)
    await Booking.filter(id=booking.id).update(slot_start=clock.now() - dt.timedelta(minutes=1))
    done = await service.check_in(actor=staff, code=booking.check_in_code, cipher=cipher)
    assert done.status is BookingStatus.CHECKED_IN
    assert await service.mark_no_shows(now=clock.now() + dt.timedelta(days=2)) == 0  # checked in: no strike


async def test_proxy__booking_for_a_family_member(cipher) -> None:
    parent, child, stranger = await make_user(), await make_user(), await make_user()
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
    resource = await _resource()
    slot = await _slot(resource)
    booking = await service.book(
        actor=_actor(child, acting_for=parent.id), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES
    )
    assert (
        booking.user_id == child.id and booking.for_member_id == parent.id and booking.subject_id == parent.id
    )
    # The represented person sees it as theirs; the proxy sees it too; a stranger does not.
    assert [b.id for b in (await service.list_bookings_for(user_id=parent.id)).items] == [booking.id]
    assert [b.id for b in (await service.list_bookings_for(user_id=child.id)).items] == [booking.id]
    assert (await service.list_bookings_for(user_id=stranger.id)).items == []
    with pytest.raises(BookingNotFound):
        await service.get_booking(actor=_actor(stranger), booking_id=booking.id)
    assert (await service.get_booking(actor=_actor(parent), booking_id=booking.id)).id == booking.id
    # One active booking per *person*: the parent cannot be booked twice into the slot by anyone.
    with pytest.raises(Conflict):
        await service.book(actor=_actor(parent), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    # Both the booker and the represented person are told.
    assert await InboxMessage.filter(kind="notify.booking.confirmed", user_id=parent.id).count() == 1
    assert await InboxMessage.filter(kind="notify.booking.confirmed", user_id=child.id).count() == 1


async def test_guard__owner_domain_can_veto(cipher) -> None:
    class RedCrowd(Conflict):
        code = "tourism.crowd_red"

    calls = []

    async def guard(*, resource, slot, actor, party_size, purpose, visitors) -> None:
        calls.append((resource.owner_ref, slot.id, actor.user_id, party_size))
        raise RedCrowd()

    policies = BookingPolicies.collect([BookingPolicy(owner_domain="tourism", guards=(guard,))])
    resource = await _resource("tourism")
    slot = await _slot(resource)
    user = await make_user()
    with pytest.raises(RedCrowd):
        await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=policies)
    assert calls == [(resource.owner_ref, slot.id, user.id, 1)]
    assert (await service.get_slot(slot_id=slot.id)).remaining == 2
    gov = await _resource("gov")
    gov_slot = await _slot(gov)
    assert (
        await service.book(actor=_actor(user), slot_id=gov_slot.id, cipher=cipher, policies=policies)
    ).active


async def test_admission__guard_runs_for_the_waitlist_and_the_promotion(cipher) -> None:
    """One admission step: a guard that refuses someone stops them on every path."""
    refused: set = set()

    class NotAllowed(Conflict):
        code = "care.not_allowed"

    async def guard(*, actor, **_) -> None:
        if actor.subject_id in refused:
            raise NotAllowed()

    policies = BookingPolicies.collect([BookingPolicy(owner_domain="care", guards=(guard,))])
    resource = await _resource("care")
    slot = await _slot(resource, capacity=1)
    holder, outsider, later, next_in_line = [await make_user() for _ in range(4)]
    booking = await service.book(actor=_actor(holder), slot_id=slot.id, cipher=cipher, policies=policies)
    refused.add(outsider.id)
    with pytest.raises(NotAllowed):
        await service.join_waitlist(actor=_actor(outsider), slot_id=slot.id, policies=policies)
    await service.join_waitlist(actor=_actor(later), slot_id=slot.id, policies=policies)
    await service.join_waitlist(actor=_actor(next_in_line), slot_id=slot.id, policies=policies)
    refused.add(later.id)  # no longer allowed when the place frees up
    await service.cancel(actor=_actor(holder), booking_id=booking.id, cipher=cipher, policies=policies)
    assert not await Booking.filter(subject_id__in=[outsider.id, later.id]).exists()
    offered = await Booking.get(subject_id=next_in_line.id)
    assert offered.status == BookingStatus.HELD


async def test_reminders__sent_once_the_day_before(cipher) -> None:
    resource = await _resource()
    user = await make_user()
    slot = await _slot(resource, ahead=dt.timedelta(days=1))
    await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    the_day_before = dt.datetime.combine(slot.day - dt.timedelta(days=1), dt.time(9), tzinfo=clock.CITY_TZ)
    assert await service.send_reminders(now=the_day_before) == 1
    assert await service.send_reminders(now=the_day_before) == 0
    assert await InboxMessage.filter(user_id=user.id, kind="notify.booking.reminder").count() == 1


async def test_list_bookings_for__newest_first_with_cursor(cipher) -> None:
    resource = await _resource(per_person_per_day=None)
    user = await make_user()
    made = []
    for i in range(5):
        slot = await _slot(resource, ahead=dt.timedelta(days=1, minutes=30 * i))
        made.append(
            (await service.book(actor=_actor(user), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)).id
        )
    first = await service.list_bookings_for(user_id=user.id, limit=2)
    second = await service.list_bookings_for(user_id=user.id, limit=2, cursor=first.next_cursor)
    third = await service.list_bookings_for(user_id=user.id, limit=2, cursor=second.next_cursor)
    assert [b.id for b in first.items + second.items + third.items] == list(reversed(made))
    assert third.next_cursor is None


async def test_capacity_check__database_refuses_overbooking_directly(cipher) -> None:
    from tortoise.exceptions import IntegrityError
    from tortoise.expressions import F

    resource = await _resource()
    slot = await _slot(resource, capacity=1)
    with pytest.raises(IntegrityError):
        await Slot.filter(id=slot.id).update(taken=F("taken") + 2)
    with pytest.raises(IntegrityError):
        await Slot.filter(id=slot.id).update(taken=-1)
    assert (await service.get_slot(slot_id=slot.id)).taken == 0


async def test_waitlist__refused_where_the_resource_keeps_none(cipher) -> None:
    from services.bookings.errors import NoWaitlist

    resource = await _resource(waitlist=False)
    slot = await _slot(resource, capacity=1)
    await service.book(actor=_actor(await make_user()), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    with pytest.raises(NoWaitlist):
        await service.join_waitlist(actor=_actor(await make_user()), slot_id=slot.id, policies=NO_POLICIES)


async def test_waitlist__places_added_later_are_offered_by_the_sweeper(cipher) -> None:
    resource = await _resource()
    slot = await _slot(resource, capacity=1)
    holder, waiting = await make_user(), await make_user()
    await service.book(actor=_actor(holder), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    await service.join_waitlist(actor=_actor(waiting), slot_id=slot.id, policies=NO_POLICIES)
    await Slot.filter(id=slot.id).update(capacity=2)  # staff opened one more place
    assert await service.promote_waitlists(cipher=cipher, policies=NO_POLICIES) == 1
    promoted = (await service.list_bookings_for(user_id=waiting.id)).items
    assert [b.status for b in promoted] == [BookingStatus.HELD]
    assert await service.promote_waitlists(cipher=cipher, policies=NO_POLICIES) == 0


async def test_waitlist__lapsed_offer_goes_to_the_next_in_line(cipher) -> None:
    resource = await _resource(offer_minutes=30)
    slot = await _slot(resource, capacity=1)
    holder, first, second = await make_user(), await make_user(), await make_user()
    booking = await service.book(actor=_actor(holder), slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
    for person in (first, second):
        await service.join_waitlist(actor=_actor(person), slot_id=slot.id, policies=NO_POLICIES)
    await service.cancel(actor=_actor(holder), booking_id=booking.id, cipher=cipher, policies=NO_POLICIES)
    offer = await Booking.get(subject_id=first.id)
    assert offer.status == BookingStatus.HELD
    assert offer.hold_expires_at <= clock.now() + dt.timedelta(minutes=30, seconds=5)
    await Booking.filter(id=offer.id).update(hold_expires_at=clock.now() - dt.timedelta(seconds=1))
    assert await service.expire_holds(cipher=cipher, policies=NO_POLICIES) == 1
    assert (await Booking.get(id=offer.id)).status == BookingStatus.EXPIRED
    assert (await Booking.get(subject_id=second.id)).status == BookingStatus.HELD
    assert (await service.get_slot(slot_id=slot.id)).remaining == 0
    confirmed = await service.confirm_hold(
        actor=_actor(second),
        booking_id=(await Booking.get(subject_id=second.id)).id,
        cipher=cipher,
        policies=NO_POLICIES,
    )
    assert confirmed.status is BookingStatus.CONFIRMED and confirmed.visible_check_in_code


async def test_waitlist__person_at_the_daily_cap_is_skipped_for_the_next(cipher) -> None:
    resource = await _resource(per_person_per_day=1)
    full = await _slot(resource, capacity=1, ahead=_tomorrow_at(10))
    other = await _slot(resource, capacity=5, ahead=_tomorrow_at(11))
    holder, first, second = await make_user(), await make_user(), await make_user()
    booking = await service.book(actor=_actor(holder), slot_id=full.id, cipher=cipher, policies=NO_POLICIES)
    await service.join_waitlist(actor=_actor(first), slot_id=full.id, policies=NO_POLICIES)
    await service.join_waitlist(actor=_actor(second), slot_id=full.id, policies=NO_POLICIES)
    await service.book(
        actor=_actor(first), slot_id=other.id, cipher=cipher, policies=NO_POLICIES
    )  # first used the day's cap
    await service.cancel(actor=_actor(holder), booking_id=booking.id, policies=NO_POLICIES, cipher=cipher)
    promoted = await Booking.filter(slot_id=full.id, status=BookingStatus.HELD).values_list(
        "user_id", flat=True
    )
    assert promoted == [second.id]
