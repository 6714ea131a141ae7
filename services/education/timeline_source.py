"""A child's enrollment applications as entries of the guardians' "my cases" timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from tortoise.expressions import Q

from services.common.i18n import translate
from services.common.timeline import Position, TimelineEntry, TimelineSource, newest_before
from services.education.models import Application, ApplicationGuardian

__all__ = ["SOURCE", "entries"]


async def entries(
    *, owners: Sequence[uuid.UUID], viewer_id: uuid.UUID, locale: str, before: Position | None, limit: int
) -> list[TimelineEntry]:
    """Applications the owners made or were linked to as a guardian, newest first."""
    linked = await ApplicationGuardian.filter(user_id__in=list(owners)).values_list(
        "application_id", flat=True
    )
    mine = Q(applicant_id__in=list(owners)) | Q(id__in=list(linked))
    rows = await newest_before(Application.filter(mine).select_related("school"), before=before, limit=limit)
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
