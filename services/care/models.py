"""Tables of care: the local mirror of the hospitals' catalogue, consents, appointments, home-care
orders with their timelines, assessments and monthly subsidy accounts.

The HIS stays the source of truth for hospitals, clinics, doctors and schedules; the mirror exists
for search, the dashboard and the hospital rules (settings per hospital). Database rules:
  * CHECK (spent_fen >= 0 AND spent_fen <= budget_fen) on subsidy accounts (triggers on SQLite)
  * unique (system, event_id) on inbound events: a repeated callback changes nothing
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.care.enums import AppointmentStatus, CareServiceKind, OrderStatus
from services.common.ids import new_id

__all__ = [
    "CareAppointment",
    "CareAssessment",
    "CareConsent",
    "CareDepartment",
    "CareDoctor",
    "CareHospital",
    "CareOrder",
    "CareOrderEvent",
    "InboundEvent",
    "SubsidyAccount",
    "SystemHealth",
]


class CareHospital(Model):
    """A hospital the HIS serves, with its booking rules (放号, 退号, caps) as settings."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    his_id = fields.CharField(max_length=64, unique=True)
    name: dict = fields.JSONField(default=dict)  # {"zh_CN", "en"}
    kind = fields.CharField(max_length=32, default="hospital")
    address = fields.CharField(max_length=255, null=True)
    rules: dict = fields.JSONField(default=dict)  # services.care.rules.HospitalRules
    demo = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "care_hospital"


class CareDepartment(Model):
    """A clinic (HealthcareService) as last read from the HIS."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    his_id = fields.CharField(max_length=64, unique=True)
    hospital_his_id = fields.CharField(max_length=64, db_index=True)
    name = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "care_department"


class CareDoctor(Model):
    """A doctor (PractitionerRole) as last read from the HIS, and the engine resource of their slots."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    his_id = fields.CharField(max_length=64, unique=True)
    hospital_his_id = fields.CharField(max_length=64, db_index=True)
    department_his_id = fields.CharField(max_length=64, db_index=True)
    name = fields.CharField(max_length=32)
    title = fields.CharField(max_length=32)
    title_code = fields.CharField(max_length=32)
    specialty = fields.CharField(max_length=64, null=True)
    fee_fen = fields.IntField(default=0)
    resource_id = fields.UUIDField(null=True, unique=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "care_doctor"


class SystemHealth(Model):
    """Whether an outside system answered lately, shared by every process (the booking guard reads it)."""

    system = fields.CharField(max_length=32, primary_key=True)
    down_since = fields.DatetimeField(null=True)
    last_ok_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=255, null=True)

    class Meta:
        table = "care_system_health"


class CareConsent(Model):
    """The separate, explicit consent to process medical data (PIPL art. 28-29), per policy version."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user_id = fields.UUIDField(db_index=True)
    version = fields.CharField(max_length=32)
    granted_by_id = fields.UUIDField()  # the person, or their proxy acting for them
    granted_at = fields.DatetimeField(auto_now_add=True)
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "care_consent"
        unique_together = (("user_id", "version"),)


class CareAppointment(Model):
    """A doctor booking as the HIS knows it: one per engine booking."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    booking_id = fields.UUIDField(unique=True)
    user_id = fields.UUIDField(db_index=True)  # who booked
    subject_id = fields.UUIDField(db_index=True)  # the patient
    hospital_his_id = fields.CharField(max_length=64)
    department_his_id = fields.CharField(max_length=64)
    doctor_his_id = fields.CharField(max_length=64)
    his_slot_id = fields.CharField(max_length=128)
    his_appointment_id = fields.CharField(max_length=64, null=True, db_index=True)
    status = fields.CharEnumField(AppointmentStatus, max_length=16, default=AppointmentStatus.PENDING)
    queue_number = fields.IntField(null=True)
    visit_date = fields.DateField()
    slot_start = fields.DatetimeField()
    note = fields.CharField(max_length=255, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "care_appointment"
        indexes = (("subject_id", "visit_date"), ("hospital_his_id", "visit_date"))


class InboundEvent(Model):
    """A callback event already applied (HIS or eldercare platform): replays change nothing."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    system = fields.CharField(max_length=32)
    event_id = fields.CharField(max_length=96)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "care_inbound_event"
        unique_together = (("system", "event_id"),)


class CareAssessment(Model):
    """A staff assessment of a person as disabled (失能), which gives a monthly subsidy."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    subject_id = fields.UUIDField(unique=True)
    disabled = fields.BooleanField(default=False)
    assessed_by_id = fields.UUIDField()
    assessed_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "care_assessment"


class SubsidyAccount(Model):
    """One person's subsidy budget for one month (YYYY-MM), which orders draw on first."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    subject_id = fields.UUIDField()
    month = fields.CharField(max_length=7)
    budget_fen = fields.IntField()
    spent_fen = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "care_subsidy_account"
        unique_together = (("subject_id", "month"),)


class CareOrder(Model):
    """A home-care order (or an emergency call) for the person served, dispatched by the platform."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user_id = fields.UUIDField(db_index=True)  # who ordered
    subject_id = fields.UUIDField(db_index=True)  # the person served
    kind = fields.CharEnumField(CareServiceKind, max_length=16)
    urgent = fields.BooleanField(default=False)
    community_code = fields.CharField(max_length=32)
    provider_code = fields.CharField(max_length=32, null=True)
    provider_name = fields.CharField(max_length=64, null=True)
    address_enc = fields.TextField(null=True)
    address_masked = fields.CharField(max_length=128, null=True)
    notes_enc = fields.TextField(null=True)
    window_start = fields.DatetimeField(null=True)
    window_end = fields.DatetimeField(null=True)
    price_fen = fields.IntField(default=0)
    subsidy_fen = fields.IntField(default=0)
    subsidy_month = fields.CharField(max_length=7, null=True)
    pay_fen = fields.IntField(default=0)
    status = fields.CharEnumField(OrderStatus, max_length=16, default=OrderStatus.SUBMITTED)
    platform_ref = fields.CharField(max_length=64, null=True, db_index=True)
    worker_masked = fields.CharField(max_length=32, null=True)
    dispatch_failures = fields.IntField(default=0)
    rating = fields.IntField(null=True)
    rating_comment_enc = fields.TextField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "care_order"
        indexes = (("subject_id", "created_at"), ("status", "created_at"))


class CareOrderEvent(Model):
    """One step of an order's timeline."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    order: fields.ForeignKeyRelation[CareOrder] = fields.ForeignKeyField(
        "care.CareOrder", related_name="events", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=24)
    note = fields.CharField(max_length=255, null=True)
    occurred_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "care_order_event"
