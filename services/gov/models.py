"""Tables of the government-services domain: the service guide, halls, cases and 好差评."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id
from services.gov.enums import (
    CaseEventKind,
    CaseStatus,
    DeliveryState,
    FollowUpStatus,
    ItemCategory,
    ItemTheme,
    RatingLevel,
)

__all__ = [
    "CallbackReceipt",
    "Case",
    "CaseEvent",
    "CaseMaterial",
    "Department",
    "FollowUp",
    "Hall",
    "HallWindow",
    "MaterialUpload",
    "Rating",
    "ServiceItem",
    "ServiceItemText",
]


class Department(Model):
    """A municipal department that handles service items (公安局, 人社局, ...)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=32, unique=True)
    name_zh = fields.CharField(max_length=64)
    name_en = fields.CharField(max_length=128)

    class Meta:
        table = "gov_department"


class ServiceItem(Model):
    """A service item (政务服务事项) of the guide. Texts per locale live in ServiceItemText."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=48, unique=True)
    department: fields.ForeignKeyRelation[Department] = fields.ForeignKeyField(
        "gov.Department", related_name="items", on_delete=fields.RESTRICT
    )
    category = fields.CharEnumField(ItemCategory, max_length=24, db_index=True)
    theme = fields.CharEnumField(ItemTheme, max_length=24)
    # [{"code": "id_card", "trust": "e_license", "required": true, "copies": 1}, ...]; labels per locale.
    materials: list = fields.JSONField(default=list)
    legal_limit_days = fields.IntField()  # 法定办结时限, working days
    promised_limit_days = fields.IntField()  # 承诺办结时限, working days; 0 = 即办
    fee_cents = fields.IntField(default=0)
    online = fields.BooleanField(default=True)  # can be applied for through /gov/applications
    max_visits = fields.IntField(default=0)  # 最多跑几次
    # Lowercased pinyin and initials of the Chinese name, for search ("hkqy", "hukouqianyi").
    pinyin = fields.CharField(max_length=255, default="")
    demo = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    texts: fields.ReverseRelation[ServiceItemText]

    class Meta:
        table = "gov_service_item"


class ServiceItemText(Model):
    """An item's texts in one locale (zh_CN always exists, other locales fall back to it)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    item: fields.ForeignKeyRelation[ServiceItem] = fields.ForeignKeyField(
        "gov.ServiceItem", related_name="texts", on_delete=fields.CASCADE
    )
    locale = fields.CharField(max_length=8)
    name = fields.CharField(max_length=128)
    summary = fields.TextField(default="")
    # A short plain-language summary for elder mode (适老化); empty: the normal summary is shown.
    summary_plain = fields.TextField(default="")
    conditions = fields.TextField(default="")
    fee_note = fields.CharField(max_length=255, default="")
    material_names: dict = fields.JSONField(default=dict)  # material code -> label

    class Meta:
        table = "gov_service_item_text"
        unique_together = (("item", "locale"),)


class Hall(Model):
    """A service hall (政务服务大厅 / 便民服务中心)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=32, unique=True)
    name_zh = fields.CharField(max_length=64)
    name_en = fields.CharField(max_length=128)
    address_zh = fields.CharField(max_length=255)
    address_en = fields.CharField(max_length=255)
    phone = fields.CharField(max_length=32, default="")
    lat = fields.FloatField()
    lng = fields.FloatField()
    demo = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    windows: fields.ReverseRelation[HallWindow]

    class Meta:
        table = "gov_hall"


class HallWindow(Model):
    """A window (窗口) of a hall: a booking resource of the engine, serving some items."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    hall: fields.ForeignKeyRelation[Hall] = fields.ForeignKeyField(
        "gov.Hall", related_name="windows", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=32, unique=True)
    number = fields.CharField(max_length=8)
    name_zh = fields.CharField(max_length=64)
    name_en = fields.CharField(max_length=128)
    department_code = fields.CharField(max_length=32)
    item_codes: list = fields.JSONField(default=list)
    capacity = fields.IntField(default=2)  # people per 30-minute slot
    resource_id = fields.UUIDField(null=True)  # the booking engine's Resource

    class Meta:
        table = "gov_hall_window"


class Case(Model):
    """An online application (办件) and where it stands."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    ref = fields.CharField(max_length=32, unique=True)  # shown to citizens: JY20261129-3F9A2C
    user_id = fields.UUIDField(db_index=True)  # the applicant (the represented person under a proxy)
    created_by_id = fields.UUIDField()  # who pressed the button (a proxy, or the applicant)
    item_code = fields.CharField(max_length=48)
    department_code = fields.CharField(max_length=32, db_index=True)
    status = fields.CharEnumField(CaseStatus, max_length=24, default=CaseStatus.DRAFT)
    delivery = fields.CharEnumField(DeliveryState, max_length=16, default=DeliveryState.NOT_SENT)
    # The applicant's answers (may hold personal data): AES-GCM ciphertext of a JSON object.
    form_enc = fields.TextField(null=True)
    platform_ref = fields.CharField(max_length=64, null=True)
    # {"message": str, "materials": [codes], "requested_on": "YYYY-MM-DD"} while 补正 is open.
    supplement: dict | None = fields.JSONField(null=True)
    note = fields.TextField(default="")  # the department's last message (reason, outcome)
    submitted_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    due_date = fields.DateField(null=True)  # promised limit in working days from acceptance
    overdue_flagged_on = fields.DateField(null=True)  # when the deadline job found it late (once)
    decided_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "gov_case"
        indexes = (("user_id", "created_at"), ("created_by_id", "created_at"))


class CaseEvent(Model):
    """One entry of a case's timeline (append-only)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "gov.Case", related_name="events", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(CaseEventKind, max_length=24)
    status_from = fields.CharEnumField(CaseStatus, max_length=24, null=True)
    status_to = fields.CharEnumField(CaseStatus, max_length=24, null=True)
    actor = fields.CharField(max_length=16)  # citizen | proxy | platform | system
    note = fields.TextField(default="")
    data: dict = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gov_case_event"
        indexes = (("case_id", "created_at"),)


class CaseMaterial(Model):
    """A file uploaded for a case (stored behind services.common.storage)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    case: fields.ForeignKeyRelation[Case] = fields.ForeignKeyField(
        "gov.Case", related_name="materials", on_delete=fields.CASCADE
    )
    material_code = fields.CharField(max_length=48)
    file_key = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    filename = fields.CharField(max_length=128, default="")
    for_supplement = fields.BooleanField(default=False)
    uploaded_by_id = fields.UUIDField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gov_case_material"


class MaterialUpload(Model):
    """A file uploaded before its application exists (one-step applying), then turned into a CaseMaterial."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    user_id = fields.UUIDField()  # the applicant (the represented person when a proxy uploads)
    uploaded_by_id = fields.UUIDField()
    file_key = fields.CharField(max_length=255)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    filename = fields.CharField(max_length=128, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gov_material_upload"
        indexes = (("user_id", "created_at"),)


class CallbackReceipt(Model):
    """A callback event already applied: the same event id again changes nothing."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    system = fields.CharField(max_length=32)
    event_id = fields.CharField(max_length=64)
    case_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gov_callback_receipt"
        unique_together = (("system", "event_id"),)


class Rating(Model):
    """好差评: one rating per case or per hall booking, by its owner."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    # Exactly one of case / booking_id is set; each is unique (NULLs do not collide in either DB).
    case: fields.OneToOneNullableRelation[Case] = fields.OneToOneField(
        "gov.Case", related_name="rating", on_delete=fields.CASCADE, null=True
    )
    booking_id = fields.UUIDField(null=True, unique=True)
    user_id = fields.UUIDField(db_index=True)
    department_code = fields.CharField(max_length=32, db_index=True)
    level = fields.CharEnumField(RatingLevel, max_length=24)
    score = fields.IntField()
    tags: list = fields.JSONField(default=list)
    text = fields.TextField(default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gov_rating"


class FollowUp(Model):
    """差评整改: a bad rating the department must follow up within 15 working days."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    rating: fields.OneToOneRelation[Rating] = fields.OneToOneField(
        "gov.Rating", related_name="follow_up", on_delete=fields.CASCADE
    )
    department_code = fields.CharField(max_length=32, db_index=True)
    status = fields.CharEnumField(FollowUpStatus, max_length=16, default=FollowUpStatus.OPEN)
    due_date = fields.DateField()
    resolution = fields.TextField(default="")  # what the department did (整改情况)
    closed_by_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "gov_follow_up"
