"""Enumerated states of the community domain."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "PUBLIC_REPORT_CATEGORIES",
    "CommunityKind",
    "EventStatus",
    "MembershipStatus",
    "NoticeCategory",
    "NoticeStatus",
    "NoticeVisibility",
    "RegionKind",
    "ReportCategory",
    "ReportSource",
    "ReportStatus",
    "SecVerdict",
]


class RegionKind(StrEnum):
    SUBDISTRICT = "subdistrict"  # 街道
    TOWN = "town"  # 镇


class CommunityKind(StrEnum):
    COMMUNITY = "community"  # 社区
    VILLAGE = "village"  # 村


class MembershipStatus(StrEnum):
    """pending -> verified | rejected; a verified member sees members-only notices."""

    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class NoticeCategory(StrEnum):
    UTILITY_OUTAGE = "utility_outage"  # 停水停电
    ACTIVITY = "activity"  # 活动
    HEALTH = "health"  # 防疫/健康
    POLICY = "policy"  # 政策
    RECRUITMENT = "recruitment"  # 招聘
    OTHER = "other"  # 其他


class NoticeVisibility(StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"


class NoticeStatus(StrEnum):
    """review -> published | rejected; published -> withdrawn; an edit needing review goes back to review.

    A published notice is shown only inside its [publish_at, expire_at) window (scheduling).
    """

    REVIEW = "review"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class SecVerdict(StrEnum):
    """WeChat msg_sec_check v2 `suggest`."""

    PASS = "pass"
    REVIEW = "review"
    RISKY = "risky"


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class ReportCategory(StrEnum):
    """随手拍 categories; also the Open311 service_code of each."""

    ROAD_DAMAGE = "road_damage"  # 道路破损
    STREETLIGHT = "streetlight"  # 路灯故障
    GARBAGE = "garbage"  # 垃圾堆放
    WATER_LEAK = "water_leak"  # 管道漏水
    ILLEGAL_PARKING = "illegal_parking"  # 违章停车
    GREENERY = "greenery"  # 绿化损坏
    NOISE = "noise"  # 噪音扰民
    OTHER = "other"  # 其他


# Categories the city publishes on the Open311 feed by default: reports about a place, not a person
# (a noise complaint names a neighbour, a parked car its plate). CITIZEN_OPEN311_PUBLIC_CATEGORIES overrides.
PUBLIC_REPORT_CATEGORIES: tuple[str, ...] = (
    ReportCategory.ROAD_DAMAGE.value,
    ReportCategory.STREETLIGHT.value,
    ReportCategory.GARBAGE.value,
    ReportCategory.WATER_LEAK.value,
    ReportCategory.GREENERY.value,
)


class ReportStatus(StrEnum):
    """open -> in_progress -> resolved | closed; open|in_progress -> duplicate; resolved -> open (not fixed)."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DUPLICATE = "duplicate"

    @property
    def open311(self) -> str:
        """GeoReport v2 knows only `open` and `closed`."""
        return "open" if self in (ReportStatus.OPEN, ReportStatus.IN_PROGRESS) else "closed"


class ReportSource(StrEnum):
    APP = "app"
    OPEN311 = "open311"
