"""A child's enrollment applications as entries of the guardians' "my cases" timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tortoise.expressions import Q

from services.common.i18n import translate
from services.common.timeline import Position, TimelineEntry, TimelineSource
from services.education.models import Application, ApplicationGuardian

__all__ = ["SOURCE", "entries"]


def _older_than(before: Position | None) -> Q:
    if before is None:
        return Q()
    return Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, id__lt=before.id)


async def entries(
    *, owners: Sequence[uuid.UUID], viewer_id: uuid.UUID, locale: str, before: Position | None, limit: int
) -> list[TimelineEntry]:
    """Applications the owners made or were linked to as a guardian, newest first."""
    linked = await ApplicationGuardian.filter(user_id__in=list(owners)).values_list(
        "application_id", flat=True
    )
    mine = Q(applicant_id__in=list(owners)) | Q(id__in=list(linked))
    rows = (
        await Application.filter(mine, _older_than(before))
        .select_related("school")
        .order_by("-created_at", "-id")
        .limit(limit)
    )
    return [
        TimelineEntry(
            kind="enrollment",
            id=application.id,
            ref=application.ref,
            title=(application.school.name_en if locale == "en" and application.school.name_en else None)
            or application.school.name_zh,
            status=application.status.value,
            status_label=translate(f"education.status.{application.status.value}", locale),
            for_member=None,
            created_at=application.created_at,
            updated_at=application.updated_at,
            link=f"/api/v1/education/enrollments/{application.id}",
        )
        for application in rows
    ]


# A guardian's own: the second guardian is linked on the application itself, not by a family grant.
SOURCE = TimelineSource(kind="enrollment", scope=None, entries=entries)
