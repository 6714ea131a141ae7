"""Communities (社区) and villages (村) under Jiyuan's sub-districts (街道) and towns (镇)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id
from services.community.enums import (
    CommunityKind,
    EventStatus,
    MembershipStatus,
    NoticeCategory,
    NoticeStatus,
    NoticeVisibility,
    RegionKind,
    ReportCategory,
    ReportSource,
    ReportStatus,
)

__all__ = [
    "Community",
    "CommunityEvent",
    "CommunityFile",
    "Membership",
    "Notice",
    "NoticeRead",
    "Open311ApiKey",
    "Region",
    "Report",
    "ReportFollower",
    "ReportHistory",
]


class Region(Model):
    """A sub-district or town of Jiyuan."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=32, unique=True)
    name_zh = fields.CharField(max_length=64)
    name_en = fields.CharField(max_length=128)
    kind = fields.CharEnumField(RegionKind, max_length=16)
    lat = fields.FloatField()
    lng = fields.FloatField()

    class Meta:
        table = "community_region"


class Community(Model):
    """A residents' community or a village, with its centre (and boundary polygon when known)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    code = fields.CharField(max_length=32, unique=True)
    region: fields.ForeignKeyRelation[Region] = fields.ForeignKeyField(
        "community.Region", related_name="communities", on_delete=fields.RESTRICT
    )
    name_zh = fields.CharField(max_length=64)
    name_en = fields.CharField(max_length=128)
    kind = fields.CharEnumField(CommunityKind, max_length=16)
    address = fields.CharField(max_length=255, default="")
    lat = fields.FloatField()
    lng = fields.FloatField()
    # GeoJSON polygon ring [[lng, lat], ...] when the boundary is known; else the centre is used.
    boundary: list | None = fields.JSONField(null=True)
    demo = fields.BooleanField(default=False)
    # Policy: residency is verified by staff unless the community opts in to trusting the resident's word.
    auto_verify_members = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_community"


class Membership(Model):
    """A resident's claim to live in a community: one per person (joining another moves it)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    # Other domains' tables are referred to by id only: a domain reaches another through its service.
    user_id = fields.UUIDField(unique=True)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "community.Community", related_name="memberships", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(MembershipStatus, max_length=16, default=MembershipStatus.PENDING)
    address_enc = fields.TextField(null=True)  # the resident's home address (personal data)
    verified_by_id = fields.UUIDField(null=True)
    verified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "community_membership"
        indexes = (("community_id", "status"),)


class Notice(Model):
    """A notice staff post to their community, visible inside [publish_at, expire_at) once published."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "community.Community", related_name="notices", on_delete=fields.CASCADE
    )
    author_id = fields.UUIDField()
    title = fields.CharField(max_length=120)
    body = fields.TextField()
    category = fields.CharEnumField(NoticeCategory, max_length=24)
    visibility = fields.CharEnumField(NoticeVisibility, max_length=16, default=NoticeVisibility.PUBLIC)
    urgent = fields.BooleanField(default=False)
    pinned = fields.BooleanField(default=False)
    status = fields.CharEnumField(NoticeStatus, max_length=16)
    publish_at = fields.DatetimeField()
    expire_at = fields.DatetimeField(null=True)
    attachments: list = fields.JSONField(default=list)
    sec_suggest = fields.CharField(max_length=16, null=True)
    sec_label = fields.CharField(max_length=32, null=True)
    reviewed_by_id = fields.UUIDField(null=True)
    reviewed_at = fields.DatetimeField(null=True)
    withdrawn_at = fields.DatetimeField(null=True)
    # Set once members have been told about an urgent notice, so edits never notify twice.
    notified_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "community_notice"
        indexes = (("community_id", "status", "publish_at"),)


class NoticeRead(Model):
    """A read receipt: a member opened a notice (first time only)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "community.Notice", related_name="reads", on_delete=fields.CASCADE
    )
    user_id = fields.UUIDField()
    read_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_notice_read"
        unique_together = (("notice", "user_id"),)


class CommunityEvent(Model):
    """An event with sign-up: capacity, bookings and the waitlist live in the booking engine's slot."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "community.Community", related_name="events", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    place = fields.CharField(max_length=255, default="")
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()
    visibility = fields.CharEnumField(NoticeVisibility, max_length=16, default=NoticeVisibility.PUBLIC)
    status = fields.CharEnumField(EventStatus, max_length=16, default=EventStatus.SCHEDULED)
    resource_id = fields.CharField(max_length=64, null=True)
    slot_id = fields.CharField(max_length=64, null=True)
    created_by_id = fields.UUIDField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_event"
        indexes = (("community_id", "starts_at"),)


class Report(Model):
    """A 随手拍 report (also an Open311 service request): one table for the app and partners."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    community: fields.ForeignKeyRelation[Community] = fields.ForeignKeyField(
        "community.Community", related_name="reports", on_delete=fields.RESTRICT
    )
    reporter_id = fields.UUIDField(null=True)  # null for partner submissions without an account
    source = fields.CharEnumField(ReportSource, max_length=16, default=ReportSource.APP)
    api_key_id = fields.UUIDField(null=True)
    category = fields.CharEnumField(ReportCategory, max_length=24)
    description = fields.TextField(default="")
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    # The address the reporter typed may be their home: encrypted, shown in full to staff only.
    address_enc = fields.TextField(null=True)
    contact_name_enc = fields.TextField(null=True)
    contact_phone_enc = fields.TextField(null=True)
    contact_email_enc = fields.TextField(null=True)
    photos: list = fields.JSONField(default=list)
    attributes: dict = fields.JSONField(default=dict)
    # WeChat content-security verdict of the description; only "pass" text is shown to the public.
    sec_suggest = fields.CharField(max_length=16, null=True)
    # The public feed (services.community.publication): the reporter may keep a report private;
    # staff approve the scrubbed description and review photos before the public sees either.
    private = fields.BooleanField(default=False)
    public_description = fields.TextField(null=True)
    photos_public = fields.BooleanField(default=False)
    published_by_id = fields.UUIDField(null=True)
    published_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(ReportStatus, max_length=16, default=ReportStatus.OPEN)
    status_notes = fields.TextField(null=True)
    duplicate_of: fields.ForeignKeyNullableRelation[Report] = fields.ForeignKeyField(
        "community.Report", related_name="duplicates", null=True, on_delete=fields.SET_NULL
    )
    token = fields.CharField(max_length=40, unique=True)
    # Asked after resolution: None = not answered yet; False reopens the report.
    fixed_confirmed = fields.BooleanField(null=True)
    reopen_count = fields.IntField(default=0)
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "community_report"
        indexes = (("community_id", "created_at"), ("category", "created_at"))


class ReportFollower(Model):
    """A resident who said "me too" on someone else's report, told of every change like the reporter."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "community.Report", related_name="followers", on_delete=fields.CASCADE
    )
    user_id = fields.UUIDField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_report_follower"
        unique_together = (("report", "user_id"),)


class ReportHistory(Model):
    """One status change of a report, with the staff member's note: the report's timeline."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "community.Report", related_name="history", on_delete=fields.CASCADE
    )
    actor_id = fields.UUIDField(null=True)
    from_status = fields.CharEnumField(ReportStatus, max_length=16, null=True)
    to_status = fields.CharEnumField(ReportStatus, max_length=16)
    note = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_report_history"


class Open311ApiKey(Model):
    """A partner system's key for POST /open311/v2/requests (only its keyed hash is stored)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    partner = fields.CharField(max_length=128)
    key_hash = fields.CharField(max_length=64, unique=True)
    key_prefix = fields.CharField(max_length=12)
    created_by_id = fields.UUIDField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "community_open311_key"


class CommunityFile(Model):
    """A photo or attachment uploaded for a report or a notice (the bytes are in the file store)."""

    id = fields.UUIDField(primary_key=True, default=new_id)
    owner_id = fields.UUIDField()
    key = fields.CharField(max_length=64, unique=True)
    content_type = fields.CharField(max_length=64)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    filename = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_file"
