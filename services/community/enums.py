"""Enumerated states of the community domain."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CommunityKind", "RegionKind"]


class RegionKind(StrEnum):
    SUBDISTRICT = "subdistrict"  # 街道
    TOWN = "town"  # 镇


class CommunityKind(StrEnum):
    COMMUNITY = "community"  # 社区
    VILLAGE = "village"  # 村
