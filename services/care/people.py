"""Who hears about care for a person: the person, whoever booked or ordered, and their family proxies."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from services.accounts import family
from services.accounts.enums import FamilyGrantStatus
from services.common import clock

__all__ = ["CARE_SCOPE", "audience", "family_of"]

CARE_SCOPE = "care"  # the family-proxy scope that covers care (appointments, home care, emergency)


async def family_of(subject_id: uuid.UUID) -> list[uuid.UUID]:
    """Everyone holding a live `care` proxy grant for `subject_id`."""
    now = clock.now()
    found = []
    for grant in await family.grants_of(subject_id):
        if (
            grant.subject_id == subject_id
            and grant.proxy_id is not None
            and grant.status == FamilyGrantStatus.ACTIVE
            and grant.expires_at > now
            and CARE_SCOPE in (grant.scopes or [])
        ):
            found.append(grant.proxy_id)
    return found


async def audience(subject_id: uuid.UUID, *also: uuid.UUID | None) -> list[uuid.UUID]:
    """The person, `also` (the booker), and their family proxies, each once."""
    people: Iterable[uuid.UUID | None] = (subject_id, *also, *await family_of(subject_id))
    return list(dict.fromkeys(p for p in people if p is not None))
