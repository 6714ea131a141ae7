"""Communities and villages: the register, who is staff, who is a verified member.

to the community id) manage only that community; another community's object is a NotFound.

Membership policy: joining (POST /me/community) makes a *pending* membership, which sees public
notices only; staff of the community verify residency (they may ask for the home address given at
joining, stored encrypted and shown to them masked). Members-only notices and events are for
*verified* members. A community may opt in to `auto_verify_members` (e.g. a small village where staff
know everyone) and then joining verifies at once. One membership per person: joining another
community moves it and starts over as pending.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import geo
from services.common.ids import parse_id
from services.common.pagination import Page, decode_cursor, encode_cursor
from services.community.enums import (
    MembershipStatus,
)
from services.community.errors import (
    CommunityNotFound,
    NotCommunityStaff,
)
from services.community.models import (
    Community,
    Membership,
    Region,
)

__all__ = [
    "address_in",
    "MAX_PLACEMENT_M",
    "CommunityView",
    "community_by_id",
    "community_of_staff",
    "distance_m",
    "get_community",
    "is_staff",
    "is_verified_member",
    "list_communities",
    "membership_of",
    "sees_members_only",
]

# A report farther than this from every community centre is not ours to place automatically.
MAX_PLACEMENT_M = 30_000.0


def address_in(community: Community, region_name_en: str | None, locale: str | None) -> str:
    """The community's address in `locale`: in English, from its English names (Jiyuan, Henan)."""
    if locale != "en":
        return community.address or community.name_zh
    parts = [community.name_en, region_name_en, "Jiyuan, Henan"]
    return ", ".join(part for part in parts if part)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two points given as coordinates."""
    return geo.distance_m((lat1, lng1), (lat2, lng2))


def is_staff(actor: Principal | None, community_id: uuid.UUID) -> bool:
    return actor is not None and actor.has_role(Role.COMMUNITY_STAFF, scope=str(community_id))


async def community_by_id(community_id: str | uuid.UUID) -> Community:
    parsed = parse_id(community_id)
    community = await Community.get_or_none(id=parsed) if parsed else None
    if community is None:
        raise CommunityNotFound()
    return community


async def community_of_staff(*, actor: Principal, community_id: str | uuid.UUID) -> Community:
    """The community, when `actor` is its staff; another community's staff gets a 403."""
    community = await community_by_id(community_id)
    if not is_staff(actor, community.id):
        raise NotCommunityStaff()
    return community


async def membership_of(user_id: uuid.UUID) -> Membership | None:
    return await Membership.get_or_none(user_id=user_id)


async def is_verified_member(user_id: uuid.UUID | None, community_id: uuid.UUID) -> bool:
    if user_id is None:
        return False
    return await Membership.exists(
        user_id=user_id, community_id=community_id, status=MembershipStatus.VERIFIED
    )


async def sees_members_only(viewer: Principal | None, community_id: uuid.UUID) -> bool:
    if viewer is None:
        return False
    return is_staff(viewer, community_id) or await is_verified_member(viewer.user_id, community_id)


@dataclass(frozen=True, slots=True)
class CommunityView:
    community: Community
    region: Region
    distance_m: float | None = None


async def list_communities(
    *, near: tuple[float, float] | None, region: str | None, limit: int, cursor: str | None
) -> Page:
    """Communities and villages; nearest first when `near` is given (the list is a few dozen rows)."""
    position = decode_cursor(cursor) or {}
    offset = int(position.get("o", 0)) if str(position.get("o", 0)).isdigit() else 0
    query = Community.all().prefetch_related("region")
    if region:
        query = query.filter(region__code=region)
    communities = await query
    views = [
        CommunityView(c, c.region, distance_m(near[0], near[1], c.lat, c.lng) if near else None)
        for c in communities
    ]
    if near:
        views.sort(key=lambda v: (v.distance_m, v.community.code))
    else:
        views.sort(key=lambda v: (v.region.code, v.community.code))
    chunk = views[offset : offset + limit]
    more = offset + limit < len(views)
    return Page(items=chunk, next_cursor=encode_cursor({"o": offset + limit}) if more else None)


async def get_community(*, community_id: str) -> CommunityView:
    community = await community_by_id(community_id)
    await community.fetch_related("region")
    return CommunityView(community, community.region)
