"""Privacy as a contract: every table that holds personal data is exported and erased.

The personal-data tables are derived from the models themselves (every encrypted column, every
column that names a person), not from the hooks, so a domain that adds such a table without
declaring it in its privacy hooks fails here. The journey tests check what the export contains and
what erasure leaves behind, here and at the outside systems.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import httpx
from tortoise import Tortoise
from tortoise.fields.relational import BackwardFKRelation, ManyToManyFieldInstance

from citizen_api import composition
from citizen_api.worker import deliver_outbox_once
from services.accounts.domain import FRAME_TABLES
from services.accounts.enums import VerificationLevel
from services.bookings.models import Booking, BookingVisitor
from services.common import clock
from services.common.contributions import Domain
from services.notifications import service as notifications
from services.notifications.models import InboxMessage, SubscriptionConsent
from services.tourism import entry, service
from services.tourism.models import ScenicArea, TicketIssue
from tests.factories import auth_headers, make_user

# Column names that refer to a person (the owner, the person served, an actor).
_PERSON = re.compile(
    r"^(user|subject|for_member|reporter|owner|patient|guardian|applicant|child|proxy|actor|member|"
    r"staff|requester|reviewer|decided_by|created_by|author|granted_by|revoked_by|parent|elder)(_id)?$"
)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def personal_tables() -> dict[str, list[str]]:
    """Table -> the columns that make it personal, read from every registered model."""
    found: dict[str, list[str]] = {}
    for models in Tortoise.apps.values():
        for model in models.values():
            meta = model._meta
            columns = [
                name
                for name, field in meta.fields_map.items()
                if not isinstance(field, BackwardFKRelation | ManyToManyFieldInstance)
                and (name.endswith("_enc") or _PERSON.match(name))
            ]
            if columns:
                found[meta.db_table] = columns
    return found


def uncovered(domains: tuple[Domain, ...]) -> dict[str, list[str]]:
    covered = set(FRAME_TABLES)
    for domain in domains:
        if domain.privacy is not None:
            covered.update(domain.privacy.tables)
        covered.update(domain.kept_on_erasure)
    return {table: cols for table, cols in personal_tables().items() if table not in covered}


def test_privacy__every_personal_table_is_exported_and_erased(db) -> None:
    assert "booking_visitor" in personal_tables()  # the derivation sees encrypted columns
    assert uncovered(composition.domains()) == {}


def test_privacy__a_removed_hook_is_noticed(db) -> None:
    without_bookings = tuple(
        dataclasses.replace(d, privacy=None) if d.name == "bookings" else d for d in composition.domains()
    )
    assert {"booking_booking", "booking_visitor", "booking_waitlist"} <= set(uncovered(without_bookings))


def test_privacy__every_declared_table_exists(db) -> None:
    tables = {m._meta.db_table for models in Tortoise.apps.values() for m in models.values()}
    for domain in composition.domains():
        declared = set(domain.kept_on_erasure) | set(domain.privacy.tables if domain.privacy else ())
        assert declared <= tables, f"{domain.name} declares tables that do not exist"


def _id_number(serial: int) -> str:
    body = f"419001199001{serial:02d}0{serial % 10}1"[:17]
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


async def _area() -> ScenicArea:
    area, _ = await service.upsert_scenic_area(
        code="privacy",
        texts={"zh_CN": {"name": "隐私测试景区"}, "en": {"name": "Privacy Test Area"}},
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
        daily_capacity=90,
        instant_capacity=1000,
    )
    await entry.set_up(area=area, days=3)
    await area.refresh_from_db()
    return area


async def _book_entry(client: httpx.AsyncClient, settings, user) -> tuple[dict, dict, list[dict]]:
    area = await _area()
    tomorrow = (clock.local_date() + dt.timedelta(days=1)).isoformat()
    slots = (
        await client.get(f"/api/v1/tourism/scenic-areas/{area.id}/slots", params={"date": tomorrow})
    ).json()["items"]
    visitors = [
        {"name": "张三丰", "id_number": _id_number(11)},
        {"name": "李四", "id_number": _id_number(12)},
    ]
    response = await client.post(
        "/api/v1/tourism/bookings",
        json={"slot_id": slots[0]["id"], "visitors": visitors},
        headers={**auth_headers(user, settings), "Idempotency-Key": "privacy-entry-1"},
    )
    assert response.status_code == 201, response.text
    return response.json(), slots[0], visitors


async def test_export__bookings_visitors_tickets_inbox_and_consents(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    user = await make_user(level=VerificationLevel.REAL_NAME)
    booking, _, visitors = await _book_entry(client, settings, user)
    await notifications.record_consents(user_id=user.id, template_ids=["TPL_X"])
    await deliver_outbox_once(runtime)

    data = (await client.get("/api/v1/me/export", headers=auth_headers(user, settings))).json()
    domains = data["domains"]
    exported = [b for b in domains["bookings"]["bookings"] if b["id"] == booking["id"]]
    assert exported and exported[0]["visitors"] == visitors  # in clear, for their owner
    assert [t["booking_id"] for t in domains["tourism"]["tickets"]] == [booking["id"]]
    assert domains["notifications"]["inbox"], "the booking's confirmation is in the inbox"
    assert domains["notifications"]["subscriptions"] == [{"template_id": "TPL_X", "remaining": 1}]
    assert len(domains["common"]["remembered_requests"]) == 1  # the booking's stored response


async def test_delete_me__voids_bookings_and_tickets_here_and_at_the_gate(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    user = await make_user(level=VerificationLevel.REAL_NAME)
    issued, slot, _ = await _book_entry(client, settings, user)
    await deliver_outbox_once(runtime)
    ticket = await TicketIssue.get(booking_id=issued["id"])
    assert ticket.ticket_id, "the first ticket reached the gate before the deletion"
    await notifications.record_consents(user_id=user.id, template_ids=["TPL_X"])

    response = await client.delete("/api/v1/me", headers=auth_headers(user, settings))
    assert response.status_code == 204
    await deliver_outbox_once(runtime)

    # Here: the booking is cancelled and its place is back, the visitors' identities are gone.
    row = await Booking.get(id=issued["id"])
    assert row.status == "cancelled"
    visitors = await BookingVisitor.filter(booking_id=row.id)
    assert visitors and all(
        v.name_enc == "" and v.id_number_enc == "" and v.entry_key is None for v in visitors
    )
    assert not any(_id_number(11)[-4:] in v.id_number_masked for v in visitors)
    tomorrow = (clock.local_date() + dt.timedelta(days=1)).isoformat()
    slots = (
        await client.get(f"/api/v1/tourism/scenic-areas/{row.resource_id}/slots", params={"date": tomorrow})
    ).json()
    if isinstance(slots, dict) and "items" in slots:
        again = [s for s in slots["items"] if s["id"] == slot["id"]]
        if again:
            assert again[0]["remaining"] == slot["remaining"]
    assert await InboxMessage.filter(user_id=user.id).count() == 0
    assert await SubscriptionConsent.filter(user_id=user.id).count() == 0
    # At the gate: the ticket no longer opens it.
    at_gate = (await client.get(f"/sandbox/ticketing/tickets/{ticket.ticket_id}")).json()
    assert at_gate["voided"] is True
    assert (await TicketIssue.get(id=ticket.id)).status == "voided"


async def test_delete_me__a_ticket_not_yet_sent_never_reaches_the_gate(
    client: httpx.AsyncClient, runtime, settings
) -> None:
    user = await make_user(level=VerificationLevel.REAL_NAME)
    booking, _, _ = await _book_entry(client, settings, user)
    # Deleted before the worker ran: the queued ticket (and the identities it carried) must not go out.
    response = await client.delete("/api/v1/me", headers=auth_headers(user, settings))
    assert response.status_code == 204
    await deliver_outbox_once(runtime)
    await deliver_outbox_once(runtime)
    ticket = await TicketIssue.get_or_none(booking_id=booking["id"])
    assert ticket is None or (ticket.status == "voided" and ticket.ticket_id is None)
