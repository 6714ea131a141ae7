"""Tables of the tourism domain: scenic areas, their crowd readings, and tickets issued for bookings."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id
from services.tourism.enums import TicketStatus

__all__ = ["CrowdReading", "ScenicArea", "TicketIssue"]


class ScenicArea(Model):
    """A scenic area (景区). Text lives per locale in `texts`, with zh_CN always present as the fallback.

    The latest crowd figure is copied onto the row (`crowd_*`) so the list is one query, and the
    history is in CrowdReading. (No semicolons here: SQLite migrations split table comments on them.)
    """

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=32, unique=True)
    # {"zh_CN": {"name", "summary", "description", "address", "accessibility"}, "en": {...}}
    texts: dict = fields.JSONField(default=dict)
    lat = fields.FloatField()
    lng = fields.FloatField()
    # [{"season": "peak", "months": [3..11], "open": "07:30", "close": "18:00", "last_entry": "16:30"}]
    opening_hours: list = fields.JSONField(default=list)
    # [{"code": "adult", "name": {"zh_CN", "en"}, "price_fen": 9000}]
    ticket_types: list = fields.JSONField(default=list)
    tags: list = fields.JSONField(default=list)
    photos: list = fields.JSONField(default=list)
    daily_capacity = fields.IntField()
    instant_capacity = fields.IntField()
    # The booking engine's resource for timed entry (owner_domain "tourism").
    resource_id = fields.UUIDField(null=True)
    crowd_occupancy = fields.IntField(null=True)
    crowd_measured_at = fields.DatetimeField(null=True)
    # Set when the last poll of the gate system failed; cleared by the next good reading.
    crowd_error_at = fields.DatetimeField(null=True)
    demo = fields.BooleanField(default=False)
    sort_order = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "tourism_scenic_area"


class CrowdReading(Model):
    """One occupancy figure reported by the gate system for an area."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    area: fields.ForeignKeyRelation[ScenicArea] = fields.ForeignKeyField(
        "tourism.ScenicArea", related_name="crowd_readings", on_delete=fields.CASCADE
    )
    occupancy = fields.IntField()
    capacity = fields.IntField()
    entries = fields.IntField(null=True)
    exits = fields.IntField(null=True)
    measured_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "tourism_crowd_reading"
        indexes = (("area_id", "measured_at"),)


class TicketIssue(Model):
    """The ticket for one timed-entry booking, sent to the ticketing system through the outbox."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    # The booking engine's booking id; one ticket per booking.
    booking_id = fields.UUIDField(unique=True)
    area: fields.ForeignKeyRelation[ScenicArea] = fields.ForeignKeyField(
        "tourism.ScenicArea", related_name="tickets", on_delete=fields.RESTRICT
    )
    user_id = fields.UUIDField(db_index=True)
    status = fields.CharEnumField(TicketStatus, max_length=16, default=TicketStatus.PENDING)
    ticket_id = fields.CharField(max_length=64, null=True)
    last_error = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    issued_at = fields.DatetimeField(null=True)

    class Meta:
        table = "tourism_ticket_issue"
