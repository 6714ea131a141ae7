"""No overbooking, ever: hundreds of concurrent bookings, from tasks, over HTTP and from two OS processes."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import httpx
import pytest

from citizen_api.runtime import build_cipher
from services.accounts.enums import Role, VerificationLevel
from services.accounts.models import User
from services.accounts.principal import Principal
from services.bookings import service
from services.bookings.enums import BookingStatus
from services.bookings.errors import SlotFull
from services.bookings.models import Booking, Slot
from services.bookings.policy import BookingPolicies
from services.common import clock
from tests.factories import auth_headers
from tests.reliability.slots import clinic_slot as _slot

ROOT = Path(__file__).resolve().parents[2]

NO_POLICIES = BookingPolicies()


async def _users(n: int) -> list[User]:
    await User.bulk_create(
        [User(openid=f"o-load-{uuid.uuid4().hex[:16]}", level=VerificationLevel.REAL_NAME) for _ in range(n)]
    )
    return await User.filter(openid__startswith="o-load-").order_by("created_at")


async def _assert_exactly(slot_id: uuid.UUID, capacity: int) -> None:
    slot = await Slot.get(id=slot_id)
    assert slot.taken == capacity
    active = await Booking.filter(slot_id=slot_id, status=BookingStatus.CONFIRMED).count()
    assert active == capacity


@pytest.mark.usefixtures("db")
async def test_book__200_concurrent_tasks_fill_capacity_exactly(settings) -> None:
    capacity = 17
    cipher = build_cipher(settings)
    slot = await _slot(capacity)
    users = await _users(200)

    async def attempt(user: User) -> str:
        actor = Principal(user_id=user.id, level=VerificationLevel.REAL_NAME)
        try:
            await service.book(
                actor=actor, slot_id=slot.id, party_size=1, cipher=cipher, policies=NO_POLICIES
            )
        except SlotFull as error:
            assert error.code == "booking.slot_full"
            return "full"
        return "confirmed"

    outcomes = await asyncio.gather(*[attempt(user) for user in users])
    assert outcomes.count("confirmed") == capacity
    assert outcomes.count("full") == 200 - capacity
    await _assert_exactly(slot.id, capacity)


@pytest.mark.usefixtures("db")
async def test_book__mixed_party_sizes_never_exceed_capacity(settings) -> None:
    capacity = 25
    cipher = build_cipher(settings)
    slot = await _slot(capacity)
    users = await _users(200)

    async def attempt(index: int, user: User) -> int:
        actor = Principal(user_id=user.id, level=VerificationLevel.REAL_NAME)
        size = 1 + index % 3
        try:
            await service.book(
                actor=actor, slot_id=slot.id, party_size=size, cipher=cipher, policies=NO_POLICIES
            )
        except SlotFull:
            return 0
        return size

    placed = await asyncio.gather(*[attempt(i, u) for i, u in enumerate(users)])
    fresh = await Slot.get(id=slot.id)
    assert sum(placed) == fresh.taken <= capacity
    assert capacity - fresh.taken < 3  # full up to the smallest party that could not fit
    booked = await Booking.filter(slot_id=slot.id).values_list("party_size", flat=True)
    assert sum(booked) == fresh.taken


async def test_book__200_concurrent_http_requests(client: httpx.AsyncClient, settings) -> None:
    capacity = 9
    slot = await _slot(capacity)
    users = await _users(200)
    responses = await asyncio.gather(
        *[
            client.post(
                "/api/v1/bookings", json={"slot_id": str(slot.id)}, headers=auth_headers(user, settings)
            )
            for user in users
        ]
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == capacity, {s: statuses.count(s) for s in set(statuses)}
    assert statuses.count(409) == 200 - capacity
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"booking.slot_full"}
    await _assert_exactly(slot.id, capacity)


_WORKER = textwrap.dedent(
    """
    import asyncio, json, sys, uuid
    from citizen_api.runtime import build_cipher
    from citizen_api.settings import Settings
    from services.accounts.enums import VerificationLevel
    from services.accounts.principal import Principal
    from services.bookings import service
    from services.bookings.errors import SlotFull
    from services.bookings.policy import BookingPolicies
    from citizen_api.composition import tortoise_apps
    from services.common.db import close_db, init_db

    NO_POLICIES = BookingPolicies()

    async def main(url, slot_id, user_ids):
        settings = Settings(profile="test", database_url=url)
        cipher = build_cipher(settings)
        await init_db(url, apps=tortoise_apps())
        async def attempt(user_id):
            actor = Principal(user_id=uuid.UUID(user_id), level=VerificationLevel.REAL_NAME)
            try:
                await service.book(actor=actor, slot_id=slot_id, party_size=1, cipher=cipher, policies=NO_POLICIES)
                return "confirmed"
            except SlotFull:
                return "full"
            except Exception as error:
                return f"error: {type(error).__name__}: {error}"
        try:
            outcomes = await asyncio.gather(*[attempt(u) for u in user_ids])
        finally:
            await close_db()
        print(json.dumps(outcomes))

    asyncio.run(main(sys.argv[1], sys.argv[2], json.loads(sys.stdin.read())))
    """
)


@pytest.mark.usefixtures("db")
async def test_book__two_os_processes_fill_capacity_exactly(database_url: str) -> None:
    """Two processes with their own connection pools race for one slot (PostgreSQL, or one SQLite file)."""
    capacity = 13
    slot = await _slot(capacity)
    users = [str(u.id) for u in await _users(200)]
    halves = [users[:100], users[100:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _WORKER,
            database_url,
            str(slot.id),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(ROOT),
            env=env,
        )
        for _ in halves
    ]
    results = await asyncio.wait_for(
        asyncio.gather(
            *[p.communicate(json.dumps(h).encode()) for p, h in zip(processes, halves, strict=True)]
        ),
        timeout=180,
    )
    outcomes: list[str] = []
    for process, (stdout, stderr) in zip(processes, results, strict=True):
        assert process.returncode == 0, stderr.decode()[-2000:]
        outcomes.extend(json.loads(stdout.decode().strip().splitlines()[-1]))
    errors = [o for o in outcomes if o.startswith("error")]
    assert not errors, errors[:5]
    assert outcomes.count("confirmed") == capacity
    assert outcomes.count("full") == 200 - capacity
    await _assert_exactly(slot.id, capacity)


@pytest.mark.usefixtures("db")
async def test_book__one_person_racing_many_slots_keeps_the_daily_cap(settings) -> None:
    from services.bookings.errors import DailyCapReached

    cipher = build_cipher(settings)
    resource = await service.ensure_resource(
        owner_domain="care",
        owner_ref=f"doctor-{uuid.uuid4().hex[:8]}",
        name={"zh_CN": "专家门诊"},
        staff_role=Role.DEPT_OPERATOR,
        rules={"per_person_per_day": 2},
    )
    # Tomorrow 10:00 Beijing time: all the slots on one local day, whatever the hour the test runs.
    day = clock.local_date() + dt.timedelta(days=1)
    start = dt.datetime.combine(day, dt.time(10), tzinfo=clock.CITY_TZ).astimezone(clock.UTC)
    slots = [
        await service.create_slot(
            resource_id=resource.id,
            start=start + dt.timedelta(minutes=10 * i),
            end=start + dt.timedelta(minutes=10 * i + 10),
            capacity=5,
        )
        for i in range(8)
    ]
    user = (await _users(1))[0]
    actor = Principal(user_id=user.id, level=VerificationLevel.REAL_NAME)

    async def attempt(slot) -> str:
        try:
            await service.book(actor=actor, slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
        except DailyCapReached:
            return "capped"
        return "booked"

    outcomes = await asyncio.gather(*[attempt(slot) for slot in slots])
    assert outcomes.count("booked") == 2
    assert await Booking.filter(subject_id=user.id).count() == 2
    assert sum(await Slot.filter(resource_id=resource.id).values_list("taken", flat=True)) == 2


@pytest.mark.usefixtures("db")
async def test_waitlist__concurrent_cancellations_promote_each_waiting_person_once(settings) -> None:
    cipher = build_cipher(settings)
    capacity = 5
    slot = await _slot(capacity)
    people = await _users(12)
    holders, waiting = people[:capacity], people[capacity:]
    actors = {u.id: Principal(user_id=u.id, level=VerificationLevel.REAL_NAME) for u in people}
    booked = [
        await service.book(actor=actors[u.id], slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
        for u in holders
    ]
    for user in waiting:
        await service.join_waitlist(actor=actors[user.id], slot_id=slot.id, policies=NO_POLICIES)
    await asyncio.gather(
        *[
            service.cancel(actor=actors[b.user_id], booking_id=b.id, policies=NO_POLICIES, cipher=cipher)
            for b in booked
        ]
    )
    fresh = await Slot.get(id=slot.id)
    assert fresh.taken == capacity
    promoted = await Booking.filter(slot_id=slot.id, status=BookingStatus.HELD).values_list(
        "user_id", flat=True
    )
    # First come, first served: the first five who joined the waitlist, each once.
    assert sorted(promoted) == sorted(u.id for u in waiting[:capacity])


@pytest.mark.usefixtures("db")
async def test_waitlist__freed_places_go_to_waiting_people_not_concurrent_direct_bookers(settings) -> None:
    """Issue 10.2: full slot, 40 waiting, 10 cancellations racing 20 direct bookers: all 10 to the queue."""
    cipher = build_cipher(settings)
    capacity = 10
    slot = await _slot(capacity)
    people = await _users(capacity + 40 + 20)
    holders, waiting, direct = people[:capacity], people[capacity : capacity + 40], people[capacity + 40 :]
    actors = {u.id: Principal(user_id=u.id, level=VerificationLevel.REAL_NAME) for u in people}
    booked = [
        await service.book(actor=actors[u.id], slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
        for u in holders
    ]
    for user in waiting:
        await service.join_waitlist(actor=actors[user.id], slot_id=slot.id, policies=NO_POLICIES)

    async def direct_booking(user: User) -> str:
        try:
            await service.book(actor=actors[user.id], slot_id=slot.id, cipher=cipher, policies=NO_POLICIES)
        except SlotFull:
            return "full"
        return "booked"

    cancels = [
        service.cancel(actor=actors[b.user_id], booking_id=b.id, cipher=cipher, policies=NO_POLICIES)
        for b in booked
    ]
    tasks = [*cancels, *[direct_booking(u) for u in direct]]
    order = list(range(len(tasks)))
    # Interleave: a cancellation, then two direct bookers, and so on.
    interleaved = [
        tasks[i]
        for i in sorted(
            order, key=lambda i: (i % capacity if i < capacity else (i - capacity) // 2, i >= capacity)
        )
    ]
    outcomes = await asyncio.gather(*interleaved)
    assert [o for o in outcomes if isinstance(o, str)].count("booked") == 0
    assert not await Booking.filter(slot_id=slot.id, subject_id__in=[u.id for u in direct]).exists()
    offered = await Booking.filter(slot_id=slot.id, status=BookingStatus.HELD).values_list(
        "subject_id", flat=True
    )
    assert sorted(offered) == sorted(u.id for u in waiting[:capacity])  # the first ten in line
    assert (await Slot.get(id=slot.id)).taken == capacity


@pytest.mark.usefixtures("db")
async def test_visitors__same_person_raced_into_two_slots_enters_once(settings) -> None:
    from services.bookings.errors import VisitorAlreadyEntered

    cipher = build_cipher(settings)
    resource = await service.ensure_resource(
        owner_domain="tourism",
        owner_ref=f"area-{uuid.uuid4().hex[:6]}",
        name={"zh_CN": "九里沟"},
        staff_role=Role.DEPT_OPERATOR,
        rules={"visitors_required": True, "one_entry_per_visitor_per_day": True, "per_person_per_day": None},
    )
    # Six hourly slots on one local day (tomorrow from 08:00), whatever the time the test runs.
    tomorrow = clock.local_date() + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(8), tzinfo=clock.CITY_TZ)
    slots = [
        await service.create_slot(
            resource_id=resource.id,
            start=start + dt.timedelta(hours=i),
            end=start + dt.timedelta(hours=i + 1),
            capacity=50,
        )
        for i in range(6)
    ]
    bookers = await _users(6)

    class Visitor:
        name = "李四"
        id_number = "11010519491231002X"

    async def attempt(user, slot) -> str:
        actor = Principal(user_id=user.id, level=VerificationLevel.REAL_NAME)
        try:
            await service.book(
                actor=actor, slot_id=slot.id, visitors=[Visitor()], cipher=cipher, policies=NO_POLICIES
            )
        except VisitorAlreadyEntered:
            return "refused"
        return "booked"

    outcomes = await asyncio.gather(*[attempt(u, s) for u, s in zip(bookers, slots, strict=True)])
    assert outcomes.count("booked") == 1
    assert sum(await Slot.filter(resource_id=resource.id).values_list("taken", flat=True)) == 1
