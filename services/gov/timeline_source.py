"""Government cases as entries of the cross-domain "my cases" timeline."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from services.accounts.enums import ProxyScope
from services.common import clock
from services.common.i18n import DEFAULT_LOCALE, translate
from services.common.timeline import Position, TimelineEntry, TimelineSource, newest_before
from services.gov.models import Case, ServiceItemText
from services.gov.timeline import CLOCK_RUNNING

__all__ = ["SOURCE", "entries"]


async def entries(
    *, owners: Sequence[uuid.UUID], viewer_id: uuid.UUID, locale: str, before: Position | None, limit: int
) -> list[TimelineEntry]:
    """The owners' cases, newest first, older than `before`."""
    today = clock.local_date()
    rows = await newest_before(Case.filter(user_id__in=list(owners)), before=before, limit=limit)
    names: dict[tuple[str, str], str] = {
        (code, text_locale): name
        for code, text_locale, name in await ServiceItemText.filter(
            item__code__in=list({c.item_code for c in rows}), locale__in=[locale, DEFAULT_LOCALE]
        ).values_list("item__code", "locale", "name")
    }
    result = []
    for case in rows:
        title = names.get((case.item_code, locale)) or names.get((case.item_code, DEFAULT_LOCALE)) or case.ref
        result.append(
            TimelineEntry(
                kind="gov_case",
                id=case.id,
                ref=case.ref,
                title=title,
                status=case.status.value,
                status_label=translate(f"gov.case.status.{case.status.value}", locale),
                for_member=case.user_id if case.user_id != viewer_id else None,
                created_at=case.created_at,
                updated_at=case.updated_at,
                link=f"/api/v1/gov/applications/{case.id}",
                due_date=case.due_date,
                overdue=bool(case.due_date and case.status in CLOCK_RUNNING and case.due_date < today),
                extra={"item_code": case.item_code},
            )
        )
    return result


SOURCE = TimelineSource(kind="gov_case", scope=ProxyScope.CASES, entries=entries)
