"""A resident's problem reports (随手拍) as entries of the cross-domain "my cases" timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.common.i18n import translate
from services.common.timeline import Position, TimelineEntry, TimelineSource, newest_before
from services.community.models import Report

__all__ = ["SOURCE", "entries"]


async def entries(
    *, owners: Sequence[uuid.UUID], viewer_id: uuid.UUID, locale: str, before: Position | None, limit: int
) -> list[TimelineEntry]:
    """The owners' reports, newest first, older than `before`."""
    rows = await newest_before(Report.filter(reporter_id__in=list(owners)), before=before, limit=limit)
    return [
        TimelineEntry(
            kind="community_report",
            id=report.id,
            ref=str(report.id)[-8:].upper(),
            title=translate(f"community.report_category.{report.category.value}", locale),
            status=report.status.value,
            status_label=translate(f"community.report_status.{report.status.value}", locale),
            for_member=None,
            created_at=report.created_at,
            updated_at=report.updated_at,
            link=f"/api/v1/community/reports/{report.id}",
        )
        for report in rows
    ]


# Reports are a resident's own: no family proxy scope covers them.
SOURCE = TimelineSource(kind="community_report", scope=None, entries=entries)
