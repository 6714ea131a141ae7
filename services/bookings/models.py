"""Tables of the booking engine: resources, their slots, bookings (with visitors) and waitlists.

Database rules carry the engine's promises, so they hold across any number of processes. They are
created by migration 0002_integrity (Tortoise cannot declare them portably):
  * CHECK (taken >= 0 AND taken <= capacity) on slots — no overbooking even if code is wrong
    (a CHECK constraint on PostgreSQL, equivalent triggers on SQLite, which cannot ALTER TABLE ADD CHECK);
  * partial unique indexes: one active booking per person per slot, one waiting entry per person per slot.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.bookings.enums import BookingStatus, OwnerDomain, SlotStatus, WaitlistStatus
from services.common.ids import new_id

__all__ = ["Booking", "BookingVisitor", "Resource", "Slot", "WaitlistEntry"]


class Resource(Model):
    """Something bookable — a hall window, a doctor, timed scenic entry, an event — owned by a domain."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    owner_domain = fields.CharEnumField(OwnerDomain, max_length=16)
    owner_ref = fields.CharField(max_length=64)
    name: dict = fields.JSONField(default=dict)  # {"zh_CN": "...", "en": "..."}
    staff_role = fields.CharField(max_length=24)  # services.accounts.enums.Role value
    staff_scope = fields.CharField(max_length=64, default="")
    rules: dict = fields.JSONField(default=dict)  # services.bookings.rules.BookingRules
    openings: list = fields.JSONField(default=list)  # [services.bookings.rules.Opening]
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "booking_resource"
        unique_together = (("owner_domain", "owner_ref"),)


class Slot(Model):
    """A period of a resource with `capacity` places, `taken` of them booked or held."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "bookings.Resource", related_name="slots", on_delete=fields.CASCADE
    )
    start = fields.DatetimeField()
    end = fields.DatetimeField()
    day = fields.DateField()  # the local (Asia/Shanghai) date of `start`
    capacity = fields.IntField()
    taken = fields.IntField(default=0)
    status = fields.CharEnumField(SlotStatus, max_length=16, default=SlotStatus.OPEN)
    label = fields.CharField(max_length=128, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "booking_slot"
        unique_together = (("resource", "start"),)
        indexes = (("resource_id", "day"),)


class Booking(Model):
    """A place in a slot: `user_id` booked it, `subject_id` is the person it is for."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    slot: fields.ForeignKeyRelation[Slot] = fields.ForeignKeyField(
        "bookings.Slot", related_name="bookings", on_delete=fields.RESTRICT
    )
    resource: fields.ForeignKeyRelation[Resource] = fields.ForeignKeyField(
        "bookings.Resource", related_name="bookings", on_delete=fields.RESTRICT
    )
    user_id = fields.UUIDField()
    for_member_id = fields.UUIDField(null=True)  # set when booked under a family proxy
    subject_id = fields.UUIDField()  # for_member_id or user_id
    party_size = fields.IntField(default=1)
    status = fields.CharEnumField(BookingStatus, max_length=16)
    check_in_code = fields.CharField(max_length=64, unique=True)
    purpose: dict = fields.JSONField(default=dict)  # e.g. {"item_code": "..."} from the owning domain
    visit_date = fields.DateField()
    slot_start = fields.DatetimeField()
    slot_end = fields.DatetimeField()
    hold_expires_at = fields.DatetimeField(null=True)
    decided_by_id = fields.UUIDField(null=True)
    reminded_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    checked_in_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "booking_booking"
        indexes = (
            ("user_id", "created_at"),
            ("subject_id", "created_at"),
            ("resource_id", "visit_date"),
            ("status", "slot_end"),
        )


class BookingVisitor(Model):
    """A real-name visitor on a booking (tourism): name and document number as ciphertext, masks for display."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    booking: fields.ForeignKeyRelation[Booking] = fields.ForeignKeyField(
        "bookings.Booking", related_name="visitors", on_delete=fields.CASCADE
    )
    name_enc = fields.TextField()
    id_number_enc = fields.TextField()
    id_type = fields.CharField(max_length=32, default="resident_id")  # services.bookings.enums.IdDocument
    id_index = fields.CharField(max_length=64, db_index=True)
    name_masked = fields.CharField(max_length=64)
    id_number_masked = fields.CharField(max_length=32)
    # "<resource>:<date>:<id_index>" while the booking is active on a one-entry-per-day resource,
    # else NULL: a plain unique index then refuses a second entry, race-free on both databases.
    entry_key = fields.CharField(max_length=160, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "booking_visitor"


class WaitlistEntry(Model):
    """A person waiting for a place in a full slot, first come first served."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    slot: fields.ForeignKeyRelation[Slot] = fields.ForeignKeyField(
        "bookings.Slot", related_name="waitlist", on_delete=fields.CASCADE
    )
    user_id = fields.UUIDField()
    for_member_id = fields.UUIDField(null=True)
    subject_id = fields.UUIDField()
    party_size = fields.IntField(default=1)
    status = fields.CharEnumField(WaitlistStatus, max_length=16, default=WaitlistStatus.WAITING)
    booking_id = fields.UUIDField(null=True)
    purpose: dict = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "booking_waitlist"
        indexes = (("slot_id", "status", "created_at"),)
