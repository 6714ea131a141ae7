"""Timed entry through HTTP: slots, real-name visitors, one entry per visitor per day, the red-level
guard, tickets through the outbox, and capacity under concurrent bookings."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import httpx

from citizen_api.worker import deliver_outbox_once
from integrations.ticketing.types import GateOccupancy
from services.accounts.enums import VerificationLevel
from services.bookings import service as bookings
from services.common import clock
from services.common.models import OutboxMessage
from services.tourism import entry, service
from services.tourism.models import ScenicArea, TicketIssue
from tests.factories import auth_headers, make_user

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int, *, born: str = "19900101") -> str:
    """A checksum-valid resident ID number (GB 11643) from a Jiyuan area code."""
    body = f"419001{born}{serial % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def bad_checksum(number: str) -> str:
    return number[:-1] + ("1" if number[-1] != "1" else "2")


async def _area(*, daily: int = 90, instant: int = 1000) -> ScenicArea:
    area, _ = await service.upsert_scenic_area(
        code="entry",
        texts={"zh_CN": {"name": "预约测试景区"}, "en": {"name": "Entry Test Area"}},
        lat=35.1,
        lng=112.5,
        opening_hours=[
            {
                "season": "all",
                "months": list(range(1, 13)),
                "open": "00:00",
                "close": "23:59",
                "last_entry": "23:00",
            }
        ],
        ticket_types=[],
        tags=[],
        photos=[],
        daily_capacity=daily,
        instant_capacity=instant,
    )
    await entry.set_up(area=area, days=3)
    await area.refresh_from_db()
    return area


async def _tomorrow_slots(client: httpx.AsyncClient, area: ScenicArea) -> list[dict]:
    tomorrow = (clock.local_date() + dt.timedelta(days=1)).isoformat()
    response = await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/slots", params={"date": tomorrow})
    assert response.status_code == 200
    return response.json()["items"]


async def test_slots__a_day_of_slots_adds_up_to_the_daily_capacity(
    client: httpx.AsyncClient, runtime
) -> None:
    area = await _area(daily=100)
    slots = await _tomorrow_slots(client, area)
    assert len(slots) == 23
    assert sum(s["capacity"] for s in slots) == 100
    assert set(slots[0]) >= {"id", "resource_id", "start", "end", "capacity", "remaining", "status"}
    assert slots[0]["start"].endswith("+08:00")
    assert slots[0]["status"] == "open"
    # Setting up again (the daily job) creates nothing twice.
    assert await entry.set_up(area=area, days=3) == 0
    detail = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}")).json()
    assert detail["today"]["capacity"] == 100
    bad = await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/slots", params={"date": "2026-13-01"})
    assert bad.status_code == 422


async def test_book__real_name_visitors_masked_and_ticket_issued_via_outbox(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area()
    slot = (await _tomorrow_slots(client, area))[0]
    user = await make_user(level=VerificationLevel.PHONE)
    visitors = [{"name": "张三丰", "id_number": id_number(1)}, {"name": "李四", "id_number": id_number(2)}]
    response = await client.post(
        "/api/v1/tourism/bookings",
        json={"slot_id": slot["id"], "visitors": visitors},
        headers=auth_headers(user, settings),
    )
    assert response.status_code == 201, response.text
    booking = response.json()
    assert booking["party_size"] == 2
    assert booking["status"] == "confirmed"
    assert booking["check_in_code"]
    assert booking["visitors"] == [
        {
            "name": "张**",
            "id_type": "resident_id",
            "id_number": id_number(1)[:4] + "**********" + id_number(1)[-4:],
        },
        {
            "name": "李*",
            "id_type": "resident_id",
            "id_number": id_number(2)[:4] + "**********" + id_number(2)[-4:],
        },
    ]
    assert id_number(1) not in response.text
    assert booking["ticket"] == {"status": "pending", "ticket_id": None}
    slot_after = [s for s in await _tomorrow_slots(client, area) if s["id"] == slot["id"]][0]
    assert slot_after["remaining"] == slot["remaining"] - 2

    ticket_url = "/api/v1/tourism/tickets"
    pending = await client.get(
        ticket_url, params={"booking_id": booking["id"]}, headers=auth_headers(user, settings)
    )
    assert pending.json()["status"] == "pending"
    await deliver_outbox_once(runtime)
    issued = (
        await client.get(
            ticket_url, params={"booking_id": booking["id"]}, headers=auth_headers(user, settings)
        )
    ).json()
    assert issued["status"] == "issued"
    assert issued["ticket_id"].startswith("T")
    at_gate = await client.get(f"/sandbox/ticketing/tickets/{issued['ticket_id']}")
    assert at_gate.json()["visitor_count"] == 2
    # Someone else cannot see it (and cannot tell it exists).
    stranger = await make_user(level=VerificationLevel.PHONE)
    hidden = await client.get(
        ticket_url, params={"booking_id": booking["id"]}, headers=auth_headers(stranger, settings)
    )
    assert hidden.status_code == 404
    assert (await client.get(ticket_url, params={"booking_id": booking["id"]})).status_code == 401


async def test_book__bad_visitors_are_422(client: httpx.AsyncClient, runtime, settings) -> None:
    area = await _area()
    slot = (await _tomorrow_slots(client, area))[0]
    headers = auth_headers(await make_user(level=VerificationLevel.PHONE), settings)
    cases = [
        [{"name": "王五", "id_number": bad_checksum(id_number(3))}],  # checksum
        [],  # nobody
        [{"name": f"游客{n}", "id_number": id_number(10 + n)} for n in range(6)],  # more than 5
        [{"name": "王五", "id_number": id_number(3)}, {"name": "王五", "id_number": id_number(3)}],  # twice
        [{"name": "", "id_number": id_number(3)}],
    ]
    for visitors in cases:
        response = await client.post(
            "/api/v1/tourism/bookings", json={"slot_id": slot["id"], "visitors": visitors}, headers=headers
        )
        assert response.status_code == 422, (visitors, response.text)
    assert await TicketIssue.all().count() == 0
    assert (await _tomorrow_slots(client, area))[0]["remaining"] == slot["remaining"]


async def test_book__one_visitor_cannot_hold_two_entries_the_same_day(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area()
    first_slot, second_slot = (await _tomorrow_slots(client, area))[:2]
    shared = {"name": "赵六", "id_number": id_number(7)}
    one = auth_headers(await make_user(level=VerificationLevel.PHONE), settings)
    other = auth_headers(await make_user(level=VerificationLevel.PHONE), settings)
    ok = await client.post(
        "/api/v1/tourism/bookings", json={"slot_id": first_slot["id"], "visitors": [shared]}, headers=one
    )
    assert ok.status_code == 201
    again = await client.post(
        "/api/v1/tourism/bookings",
        json={
            "slot_id": second_slot["id"],
            "visitors": [{"name": "钱七", "id_number": id_number(8)}, shared],
        },
        headers=other,
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "booking.visitor_already_booked"
    # Another day is fine.
    day_after = (clock.local_date() + dt.timedelta(days=2)).isoformat()
    later = (
        await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/slots", params={"date": day_after})
    ).json()
    fine = await client.post(
        "/api/v1/tourism/bookings",
        json={"slot_id": later["items"][0]["id"], "visitors": [shared]},
        headers=other,
    )
    assert fine.status_code == 201


async def test_book__needs_a_bound_phone(client: httpx.AsyncClient, runtime, settings) -> None:
    area = await _area()
    slot = (await _tomorrow_slots(client, area))[0]
    wechat_only = auth_headers(await make_user(level=VerificationLevel.WECHAT), settings)
    response = await client.post(
        "/api/v1/tourism/bookings",
        json={"slot_id": slot["id"], "visitors": [{"name": "孙八", "id_number": id_number(9)}]},
        headers=wechat_only,
    )
    assert response.status_code == 403
    assert response.json()["error"]["details"]["required"] == "phone"


async def test_book__tourist_without_a_mainland_phone_books_with_travel_documents(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area()
    slot = (await _tomorrow_slots(client, area))[0]
    wechat_only = auth_headers(await make_user(level=VerificationLevel.WECHAT), settings)
    foreign = [{"name": "ANNA SCHMIDT", "id_type": "passport", "id_number": "C01X00T47"}]
    booked = await client.post(
        "/api/v1/bookings", json={"slot_id": slot["id"], "visitors": foreign}, headers=wechat_only
    )
    assert booked.status_code == 201, booked.text
    # A party with a mainland resident ID still needs the booker's phone.
    mixed = [
        {"name": "孙九", "id_number": id_number(10)},
        {"name": "TOM", "id_type": "passport", "id_number": "X9876543"},
    ]
    refused = await client.post(
        "/api/v1/bookings", json={"slot_id": slot["id"], "visitors": mixed}, headers=wechat_only
    )
    assert refused.status_code == 403 and refused.json()["error"]["details"]["required"] == "phone"


def _freeze_local_morning(monkeypatch) -> dt.datetime:
    """Today 09:00 in Jiyuan: "the current slot" and "tomorrow's first slot" are hours apart whatever
    the time of day the test runs (near midnight, "5 minutes from now" is already tomorrow's 00:00 slot,
    itself the current one). Call it after issuing access tokens (they are checked against real time)."""
    morning = clock.to_local(clock.now()).replace(hour=9, minute=0, second=0, microsecond=0)
    fixed = morning.astimezone(dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: fixed)
    return fixed


async def test_book__red_crowd_stops_the_current_slot_only(
    client: httpx.AsyncClient, runtime, settings, monkeypatch
) -> None:
    headers = auth_headers(await make_user(level=VerificationLevel.PHONE), settings)
    now = _freeze_local_morning(monkeypatch)
    area = await _area(instant=100)
    await service.record_occupancy(
        readings=[GateOccupancy("entry", 100, 100, 0, now)], redis=runtime.redis, keys=runtime.keys
    )
    soon = now + dt.timedelta(minutes=5)
    current = await bookings.create_slot(
        resource_id=area.resource_id, start=soon, end=soon + dt.timedelta(minutes=50), capacity=10
    )
    visitor = [{"name": "周九", "id_number": id_number(11)}]
    refused = await client.post(
        "/api/v1/tourism/bookings", json={"slot_id": str(current.id), "visitors": visitor}, headers=headers
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "tourism.area_full"
    later = (await _tomorrow_slots(client, area))[0]
    accepted = await client.post(
        "/api/v1/tourism/bookings", json={"slot_id": later["id"], "visitors": visitor}, headers=headers
    )
    assert accepted.status_code == 201
    detail = (await client.get(f"/api/v1/tourism/scenic-areas/{area.id}")).json()
    assert detail["crowd"]["level"] == "red"
    assert detail["today"]["remaining"] > 0  # today still has open slots: only the crowd closes it
    assert detail["today"]["bookable_now"] is False
    # Back under capacity: the current slot is bookable again.
    await service.record_occupancy(
        readings=[GateOccupancy("entry", 50, 100, 50, now)], redis=runtime.redis, keys=runtime.keys
    )
    other = [{"name": "吴十", "id_number": id_number(12)}]
    again = await client.post(
        "/api/v1/tourism/bookings", json={"slot_id": str(current.id), "visitors": other}, headers=headers
    )
    assert again.status_code == 201


async def test_book__daily_capacity_holds_under_concurrent_bookings(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area(daily=46)  # 23 slots of 2 places
    slots = await _tomorrow_slots(client, area)
    target = slots[0]
    assert target["capacity"] == 2
    users = [await make_user(level=VerificationLevel.PHONE) for _ in range(24)]

    async def attempt(n: int, slot_id: str) -> int:
        visitors = [{"name": f"游客{n}", "id_number": id_number(100 + n)}]
        response = await client.post(
            "/api/v1/tourism/bookings",
            json={"slot_id": slot_id, "visitors": visitors},
            headers=auth_headers(users[n], settings),
        )
        return response.status_code

    codes = await asyncio.gather(*(attempt(n, target["id"]) for n in range(24)))
    assert sorted(codes).count(201) == 2
    assert set(codes) == {201, 409}
    # Everyone else spreads over the whole day: never more than the daily capacity.
    rng = random.Random(5)
    more = await asyncio.gather(*(attempt(n, rng.choice(slots)["id"]) for n in range(2, 24)))
    assert set(more) <= {201, 409}
    day = await _tomorrow_slots(client, area)
    taken = sum(s["capacity"] - s["remaining"] for s in day)
    assert taken == 2 + more.count(201)
    assert taken <= 46
    assert all(s["remaining"] >= 0 for s in day)
    assert await TicketIssue.all().count() == taken


async def test_book__idempotency_key_replays_the_first_booking(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area()
    slot = (await _tomorrow_slots(client, area))[0]
    headers = auth_headers(
        await make_user(level=VerificationLevel.PHONE), settings, **{"Idempotency-Key": "k-1"}
    )
    body = {"slot_id": slot["id"], "visitors": [{"name": "郑一", "id_number": id_number(21)}]}
    first = await client.post("/api/v1/tourism/bookings", json=body, headers=headers)
    again = await client.post("/api/v1/tourism/bookings", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = {"slot_id": slot["id"], "visitors": [{"name": "郑二", "id_number": id_number(22)}]}
    reused = await client.post("/api/v1/tourism/bookings", json=other, headers=headers)
    assert reused.status_code == 422
    assert await TicketIssue.all().count() == 1


async def test_book__generic_route_writes_the_ticket_with_the_booking_and_normalised_visitors(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area()
    first = (await _tomorrow_slots(client, area))[0]
    user = await make_user(level=VerificationLevel.PHONE)
    number = id_number(31, born="19850607")
    typed = f" {number[:6]} {number[6:14]}  {number[14:]} ".lower()  # as people type it
    generic = await client.post(
        "/api/v1/bookings",
        json={"slot_id": first["id"], "visitors": [{"name": " 冯  一 ", "id_number": typed}]},
        headers=auth_headers(user, settings),
    )
    assert generic.status_code == 201, generic.text
    booking_id = generic.json()["id"]
    # The ticket row and its outbox message committed with the booking: no sweep, no second step.
    ticket = await TicketIssue.get(booking_id=booking_id)
    assert ticket.status.value == "pending"
    assert await OutboxMessage.filter(topic=entry.TICKET_TOPIC, aggregate_id=str(ticket.id)).count() == 1
    await deliver_outbox_once(runtime)
    shown = (
        await client.get(
            "/api/v1/tourism/tickets", params={"booking_id": booking_id}, headers=auth_headers(user, settings)
        )
    ).json()
    assert shown["status"] == "issued"
    at_gate = (await client.get(f"/sandbox/ticketing/tickets/{shown['ticket_id']}")).json()
    # The gate got the real, normalised identity (not a mask, not the spaces typed).
    assert at_gate["visitors"] == [{"name": "冯 一", "id_type": "resident_id", "id_number": number}]
    assert at_gate["check_in_code"] == generic.json()["check_in_code"]


async def test_book__foreign_visitors_documents_reach_the_gate_with_their_type(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area(daily=500)
    slot = (await _tomorrow_slots(client, area))[0]
    user = await make_user(level=VerificationLevel.PHONE)
    visitors = [
        {"name": "JOHN SMITH", "id_type": "passport", "id_number": "e 1234 5678"},
        {"name": "陈大文", "id_type": "hk_macao_permit", "id_number": "H12345678"},
        {"name": "林志明", "id_type": "taiwan_permit", "id_number": "01234567"},
        {"name": "MARIA GARCIA", "id_type": "foreign_permanent_resident", "id_number": "ESP110090010101"},
        {"name": "王小明", "id_type": "hmt_residence_permit", "id_number": id_number(7, born="19900101")},
    ]
    visitors[4]["id_number"] = _hmt(visitors[4]["id_number"])
    booked = await client.post(
        "/api/v1/bookings",
        json={"slot_id": slot["id"], "visitors": visitors},
        headers=auth_headers(user, settings),
    )
    assert booked.status_code == 201, booked.text
    assert [v["id_type"] for v in booked.json()["visitors"]] == [v["id_type"] for v in visitors]
    assert booked.json()["visitors"][0]["id_number"] == "E123*5678"  # masked
    await deliver_outbox_once(runtime)
    ticket = await TicketIssue.get(booking_id=booked.json()["id"])
    at_gate = (await client.get(f"/sandbox/ticketing/tickets/{ticket.ticket_id}")).json()
    assert [(v["id_type"], v["id_number"]) for v in at_gate["visitors"]] == [
        ("passport", "E12345678"),
        ("hk_macao_permit", "H12345678"),
        ("taiwan_permit", "01234567"),
        ("foreign_permanent_resident", "ESP110090010101"),
        ("hmt_residence_permit", visitors[4]["id_number"]),
    ]
    # One entry per person per day holds for these documents too.
    again = await client.post(
        "/api/v1/bookings",
        json={"slot_id": slot["id"], "visitors": [visitors[0]]},
        headers=auth_headers(await make_user(level=VerificationLevel.PHONE), settings),
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "booking.visitor_already_booked"


def _hmt(number: str) -> str:
    """A Hong Kong resident's residence-permit number (810000 region) with its GB 11643 check character."""
    body = "810000" + number[6:17]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


async def test_book__each_document_checked_by_its_own_format(client: httpx.AsyncClient, settings) -> None:
    area = await _area()
    slot = (await _tomorrow_slots(client, area))[0]
    user = await make_user(level=VerificationLevel.PHONE)
    for id_type, number in (
        ("passport", "ABCDEFG"),  # no digit
        ("hk_macao_permit", "12345678"),  # no H/M
        ("taiwan_permit", "1234567"),  # 7 digits
        ("foreign_permanent_resident", "ES1100900101011"),  # 2 letters
        ("foreign_permanent_resident", "910000199001010000"),  # 2023 format, bad check character
        ("hmt_residence_permit", id_number(3)),  # a mainland number is not a residence permit
        ("resident_id", "4108**********1234"),  # a mask
        ("driving_licence", "123456789"),  # not a document we accept
    ):
        refused = await client.post(
            "/api/v1/bookings",
            json={
                "slot_id": slot["id"],
                "visitors": [{"name": "X", "id_type": id_type, "id_number": number}],
            },
            headers=auth_headers(user, settings),
        )
        assert refused.status_code == 422, (id_type, number, refused.text)


async def test_cancel__voids_the_issued_ticket_at_the_gate(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area()
    slot = (await _tomorrow_slots(client, area))[0]
    user = await make_user(level=VerificationLevel.PHONE)
    headers = auth_headers(user, settings)
    booked = await client.post(
        "/api/v1/tourism/bookings",
        json={"slot_id": slot["id"], "visitors": [{"name": "褚一", "id_number": id_number(41)}]},
        headers=headers,
    )
    booking_id = booked.json()["id"]
    await deliver_outbox_once(runtime)
    issued = (
        await client.get("/api/v1/tourism/tickets", params={"booking_id": booking_id}, headers=headers)
    ).json()
    assert issued["status"] == "issued"
    cancelled = await client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    # Voided with the cancellation itself; the gate is told through the outbox.
    after = (
        await client.get("/api/v1/tourism/tickets", params={"booking_id": booking_id}, headers=headers)
    ).json()
    assert after["status"] == "voided"
    assert after["ticket_id"] == issued["ticket_id"]
    await deliver_outbox_once(runtime)
    at_gate = (await client.get(f"/sandbox/ticketing/tickets/{issued['ticket_id']}")).json()
    assert at_gate["voided"] is True
    # The freed place can be booked again by the same visitor.
    again = await client.post(
        "/api/v1/tourism/bookings",
        json={"slot_id": slot["id"], "visitors": [{"name": "褚一", "id_number": id_number(41)}]},
        headers=headers,
    )
    assert again.status_code == 201


async def test_cancel__a_ticket_not_yet_sent_is_never_sent(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    area = await _area()
    slot = (await _tomorrow_slots(client, area))[0]
    user = await make_user(level=VerificationLevel.PHONE)
    headers = auth_headers(user, settings)
    booked = await client.post(
        "/api/v1/bookings",
        json={"slot_id": slot["id"], "visitors": [{"name": "卫一", "id_number": id_number(51)}]},
        headers=headers,
    )
    booking_id = booked.json()["id"]
    assert (await client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=headers)).status_code == 200
    await deliver_outbox_once(runtime)
    received = (await client.get("/sandbox/ticketing/__control/ticket-requests")).json()["requests"]
    assert booking_id not in {r["booking_id"] for r in received}
    assert (await TicketIssue.get(booking_id=booking_id)).status.value == "voided"
