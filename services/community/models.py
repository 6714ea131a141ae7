"""Communities (社区) and villages (村) under Jiyuan's sub-districts (街道) and towns (镇)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.common.ids import new_id
from services.community.enums import CommunityKind, RegionKind

__all__ = ["Community", "Region"]


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
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "community_community"
