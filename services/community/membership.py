"""Membership: joining a community, staff verifying residency (addresses encrypted, shown masked)."""

from __future__ import annotations

from dataclasses import dataclass

from services.accounts.principal import Principal
from services.common import audit, clock
from services.common.crypto import PiiCipher
from services.common.ids import parse_id
from services.common.pagination import Page, keyset_page
from services.community.communities import community_by_id, community_of_staff, is_staff, membership_of
from services.community.enums import (
    MembershipStatus,
)
from services.community.errors import (
    MembershipNotFound,
    NotAMember,
)
from services.community.models import (
    Membership,
)

__all__ = [
    "MemberView",
    "join_community",
    "list_members",
    "mask_address",
    "member_view",
    "my_membership",
    "verify_membership",
]


def mask_address(value: str | None) -> str | None:
    """'河南省济源市沁园街道宣化街12号3单元' -> '河南省济源市沁园街****': keeps the area, hides the door."""
    if not value:
        return value
    keep = min(len(value) // 2, 10)
    return value[:keep] + "****"


async def join_community(
    *, actor: Principal, community_id: str, address: str | None, cipher: PiiCipher
) -> Membership:
    """Join (or move to) a community: pending until staff verify residency, unless the community auto-verifies."""
    community = await community_by_id(community_id)
    status = MembershipStatus.VERIFIED if community.auto_verify_members else MembershipStatus.PENDING
    address_enc = cipher.encrypt(address, context="community_membership.address") if address else None
    existing = await membership_of(actor.user_id)
    if existing is not None and existing.community_id == community.id:
        if address_enc:
            existing.address_enc = address_enc
            await existing.save(update_fields=["address_enc", "updated_at"])
        return existing
    defaults = {
        "community_id": community.id,
        "status": status,
        "address_enc": address_enc,
        "verified_by_id": None,
        "verified_at": clock.now() if status is MembershipStatus.VERIFIED else None,
    }
    membership, _ = await Membership.update_or_create(defaults=defaults, user_id=actor.user_id)
    return membership


async def my_membership(*, actor: Principal) -> Membership:
    membership = await membership_of(actor.user_id)
    if membership is None:
        raise NotAMember()
    return membership


@dataclass(frozen=True, slots=True)
class MemberView:
    membership: Membership
    address: str | None  # masked


def member_view(membership: Membership, *, cipher: PiiCipher) -> MemberView:
    address = None
    if membership.address_enc:
        address = mask_address(cipher.decrypt(membership.address_enc, context="community_membership.address"))
    return MemberView(membership, address)


async def list_members(
    *,
    actor: Principal,
    community_id: str,
    status: MembershipStatus | None,
    limit: int,
    cursor: str | None,
    cipher: PiiCipher,
) -> Page:
    """A community's residents for its staff (addresses masked), e.g. the pending ones to verify."""
    community = await community_of_staff(actor=actor, community_id=community_id)
    query = Membership.filter(community_id=community.id)
    if status:
        query = query.filter(status=status)
    page = await keyset_page(query, limit=limit, cursor=cursor, descending=False)
    return Page(items=[member_view(m, cipher=cipher) for m in page.items], next_cursor=page.next_cursor)


async def verify_membership(*, actor: Principal, membership_id: str, approve: bool) -> Membership:
    """Staff confirm (or refuse) that a person lives in their community."""
    parsed = parse_id(membership_id)
    membership = await Membership.get_or_none(id=parsed) if parsed else None
    if membership is None or not is_staff(actor, membership.community_id):
        raise MembershipNotFound()
    membership.status = MembershipStatus.VERIFIED if approve else MembershipStatus.REJECTED
    membership.verified_by_id = actor.user_id
    membership.verified_at = clock.now()
    await membership.save(update_fields=["status", "verified_by_id", "verified_at", "updated_at"])
    await audit.record(
        "membership.verified",
        actor_id=actor.user_id,
        subject_id=membership.user_id,
        target_type="membership",
        target_id=membership.id,
        details={"approve": approve},
    )
    return membership
