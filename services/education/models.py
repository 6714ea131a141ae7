"""Tables of the education domain: schools, districts, rounds, applications and lotteries.

A child's name, ID number and the family's address are sensitive personal information (PIPL art. 28
and 31, the child is under 14): they are stored only as ciphertext, found by a keyed blind index.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id
from services.education.enums import (
    ApplicantCategory,
    ApplicationStatus,
    DeliveryState,
    GuardianRelation,
    Phase,
    SchoolLevel,
    SchoolOwnership,
)

__all__ = [
    "AdmissionPlan",
    "Application",
    "ApplicationEvent",
    "ApplicationGuardian",
    "ApplicationMaterial",
    "BureauCallbackReceipt",
    "District",
    "EnrollmentRound",
    "Lottery",
    "RoundPhase",
    "School",
]


class School(Model):
    """A primary or junior-middle school, public (公办) or private (民办)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=32, unique=True)
    name_zh = fields.CharField(max_length=64)
    name_en = fields.CharField(max_length=128)
    ownership = fields.CharEnumField(SchoolOwnership, max_length=16)
    level = fields.CharEnumField(SchoolLevel, max_length=16, db_index=True)
    address_zh = fields.CharField(max_length=255)
    address_en = fields.CharField(max_length=255)
    sub_district = fields.CharField(max_length=32, default="")
    lat = fields.FloatField()
    lng = fields.FloatField()
    phone = fields.CharField(max_length=32, default="")
    # Demo data: `demo` marks seeded rows; `name_real` tells a real school's name from an invented one.
    demo = fields.BooleanField(default=True)
    name_real = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "education_school"


class District(Model):
    """A school district (学区): its published compound/street/village lists and its boundary."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=32, unique=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "education.School", related_name="districts", on_delete=fields.CASCADE
    )
    name_zh = fields.CharField(max_length=64)
    name_en = fields.CharField(max_length=128)
    # [{"name", "aliases": [...], "buildings": [from, to] | null}]
    compounds: list = fields.JSONField(default=list)
    # [{"name", "numbers": [from, to] | null}]
    streets: list = fields.JSONField(default=list)
    villages: list = fields.JSONField(default=list)
    boundary: dict | None = fields.JSONField(null=True)  # a GeoJSON Polygon/MultiPolygon (lng, lat)
    source = fields.CharField(max_length=64, default="")  # the published file it came from
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "education_district"


class EnrollmentRound(Model):
    """An enrollment round (e.g. 2027 小学一年级招生) with its phases."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=32, unique=True)
    year = fields.IntField()
    level = fields.CharEnumField(SchoolLevel, max_length=16)
    name_zh = fields.CharField(max_length=64)
    name_en = fields.CharField(max_length=128)
    # 随迁子女: months of social insurance in Jiyuan required to apply.
    min_social_insurance_months = fields.IntField(default=12)
    # The phase the periodic job last recorded; requests decide by the clock, not by this column.
    current_phase = fields.CharEnumField(Phase, max_length=16, default=Phase.UPCOMING)
    phase_changed_at = fields.DatetimeField(null=True)
    demo = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    phases: fields.ReverseRelation[RoundPhase]

    class Meta:
        table = "education_round"


class RoundPhase(Model):
    """One phase of a round: [opens_at, closes_at) in UTC, shown in Asia/Shanghai."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    round: fields.ForeignKeyRelation[EnrollmentRound] = fields.ForeignKeyField(
        "education.EnrollmentRound", related_name="phases", on_delete=fields.CASCADE
    )
    phase = fields.CharEnumField(Phase, max_length=16)
    opens_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()

    class Meta:
        table = "education_round_phase"
        unique_together = (("round", "phase"),)


class AdmissionPlan(Model):
    """Places a school offers in a round (招生计划) and how long its waiting list is."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    round: fields.ForeignKeyRelation[EnrollmentRound] = fields.ForeignKeyField(
        "education.EnrollmentRound", related_name="plans", on_delete=fields.CASCADE
    )
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "education.School", related_name="plans", on_delete=fields.CASCADE
    )
    places = fields.IntField()
    waitlist_places = fields.IntField(default=0)

    class Meta:
        table = "education_admission_plan"
        unique_together = (("round", "school"),)


class Application(Model):
    """A guardian's application for a child in a round (the child's data is ciphertext only)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    ref = fields.CharField(max_length=32, unique=True)  # shown to the family: ED20270701-3F9A2C
    round: fields.ForeignKeyRelation[EnrollmentRound] = fields.ForeignKeyField(
        "education.EnrollmentRound", related_name="applications", on_delete=fields.RESTRICT
    )
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "education.School", related_name="applications", on_delete=fields.RESTRICT
    )
    applicant_id = fields.UUIDField(db_index=True)  # the guardian who applied
    relation = fields.CharEnumField(GuardianRelation, max_length=16)
    child_name_enc = fields.TextField(null=True)
    child_id_number_enc = fields.TextField(null=True)
    child_index = fields.CharField(max_length=64, null=True, db_index=True)
    # "<round id>:<child index>" while the application is active, NULL otherwise: the unique key
    # makes "one active application per child per round" a database rule on PostgreSQL and SQLite.
    active_key = fields.CharField(max_length=128, null=True, unique=True)
    address_enc = fields.TextField(null=True)
    category = fields.CharEnumField(ApplicantCategory, max_length=24)
    residence_permit_enc = fields.TextField(null=True)
    social_insurance_months = fields.IntField(null=True)
    status = fields.CharEnumField(ApplicationStatus, max_length=24, default=ApplicationStatus.DRAFT)
    delivery = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.NOT_SENT)
    bureau_ref = fields.CharField(max_length=64, null=True)
    # {"message", "materials": [codes], "requested_at"} while 补充材料 is open.
    supplement: dict | None = fields.JSONField(null=True)
    reason = fields.TextField(default="")  # the bureau's last message (a rejection's reason)
    consent_version = fields.CharField(max_length=32)
    consented_at = fields.DatetimeField()
    submitted_at = fields.DatetimeField(null=True)
    decided_at = fields.DatetimeField(null=True)
    result_school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "education.School", related_name="admissions", on_delete=fields.RESTRICT, null=True
    )
    report_on = fields.DateField(null=True)  # 报到 date
    lottery_rank = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "education_application"
        indexes = (("round_id", "school_id", "status"),)


class ApplicationGuardian(Model):
    """A guardian who may see an application: the applicant, and a second guardian who linked it."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "education.Application", related_name="guardians", on_delete=fields.CASCADE
    )
    user_id = fields.UUIDField(db_index=True)
    relation = fields.CharEnumField(GuardianRelation, max_length=16)
    # Each guardian gives their own separate consent to processing the child's data.
    consent_version = fields.CharField(max_length=32)
    consented_at = fields.DatetimeField()
    household_reference = fields.CharField(max_length=64, default="")  # the household system's check id
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "education_application_guardian"
        unique_together = (("application", "user_id"),)


class ApplicationMaterial(Model):
    """A document uploaded for an application (stored behind services.common.storage)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "education.Application", related_name="materials", on_delete=fields.CASCADE
    )
    material_code = fields.CharField(max_length=48)
    file_key = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    for_supplement = fields.BooleanField(default=False)
    uploaded_by_id = fields.UUIDField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "education_application_material"


class ApplicationEvent(Model):
    """One entry of an application's timeline (append-only, no personal text)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    application: fields.ForeignKeyRelation[Application] = fields.ForeignKeyField(
        "education.Application", related_name="events", on_delete=fields.CASCADE
    )
    status_from = fields.CharEnumField(ApplicationStatus, max_length=24, null=True)
    status_to = fields.CharEnumField(ApplicationStatus, max_length=24, null=True)
    actor_kind = fields.CharField(max_length=16)  # guardian | bureau | system (no person id)
    note = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "education_application_event"
        indexes = (("application_id", "created_at"),)


class BureauCallbackReceipt(Model):
    """A bureau callback already applied: the same event id again changes nothing."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    event_id = fields.CharField(max_length=64, unique=True)
    application_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "education_callback_receipt"


class Lottery(Model):
    """电脑随机派位 for one school in one round: commitment first, seed revealed at the draw."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    round: fields.ForeignKeyRelation[EnrollmentRound] = fields.ForeignKeyField(
        "education.EnrollmentRound", related_name="lotteries", on_delete=fields.CASCADE
    )
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "education.School", related_name="lotteries", on_delete=fields.CASCADE
    )
    algorithm = fields.CharField(max_length=32, default="hmac-sha256-v1")
    commitment = fields.CharField(max_length=64)  # sha256(seed bytes), public before the draw
    # The seed, AES-GCM sealed until the draw (a secret of the bureau, not personal data).
    sealed_seed = fields.TextField()
    seed = fields.CharField(max_length=64, null=True)  # revealed at the draw (hex)
    committed_at = fields.DatetimeField()
    drawn_at = fields.DatetimeField(null=True)
    places = fields.IntField(default=0)
    waitlist_places = fields.IntField(default=0)
    # {"categories": [{"category", "ids": [sorted application ids]}]} — frozen at the draw.
    inputs: dict | None = fields.JSONField(null=True)
    # {"order": [{"id", "category", "rank", "outcome"}]}
    result: dict | None = fields.JSONField(null=True)

    class Meta:
        table = "education_lottery"
        unique_together = (("round", "school"),)
