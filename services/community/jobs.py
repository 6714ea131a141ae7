"""Community jobs: pushing urgent notices to members, telling reporters and followers of report changes."""

from __future__ import annotations

import logging
from typing import Any

from services.common.contributions import PeriodicJob
from services.common.i18n import localized, message
from services.common.outbox import OutboxEvent
from services.community import communities, notices, privacy, reports
from services.community.enums import ReportStatus
from services.deps import Deps

__all__ = ["OUTBOX_HANDLERS", "PERIODIC_JOBS", "deliver_report_change", "deliver_urgent_notice"]

log = logging.getLogger(__name__)


async def _notify(*, user_id: Any, kind: str, params: dict[str, Any], link: str) -> None:
    # Imported at call time: the notifications domain owns the inbox and WeChat subscribe messages
    # (sent only to users holding a consent); a missing module makes the outbox retry later.
    from services.notifications import service as notifications

    await notifications.notify(user_id=user_id, kind=kind, params=params, link=link)


async def deliver_urgent_notice(event: OutboxEvent, deps: Deps) -> None:
    """Push an urgent notice to its community's members (inbox, and a subscribe message where consented)."""
    notice, members = await notices.urgent_notice_audience(notice_id=event.payload["notice_id"])
    if notice is None:
        return
    community = await communities.get_community(community_id=str(notice.community_id))
    params = {
        # Names and labels in every language, rendered in each member's own when read.
        "community": localized({"zh_CN": community.community.name_zh, "en": community.community.name_en}),
        "title": notice.title,  # as staff wrote it
        "category": message(f"community.notice_category.{notice.category.value}"),
        "notice_id": str(notice.id),
    }
    for user_id in members:
        await _notify(
            user_id=user_id,
            kind="community.notify.urgent_notice",
            params=params,
            link=f"/pages/community/notice?id={notice.id}",
        )


async def deliver_report_change(event: OutboxEvent, deps: Deps) -> None:
    """Tell the reporter and the "me too" followers that a report changed; ask the reporter after resolution."""
    report, people = await reports.report_audience(report_id=event.payload["report_id"])
    if report is None:
        return
    target = ReportStatus(event.payload["to"])
    params = {
        "report_id": str(report.id),
        "category": message(f"community.report_category.{report.category.value}"),
        "status": message(f"community.report_status.{target.value}"),
        "from": event.payload.get("from"),
        "to": target.value,
    }
    link = f"/pages/community/report?id={report.id}"
    for user_id in people:
        kind = "community.notify.report_status"
        if target is ReportStatus.RESOLVED and user_id == report.reporter_id:
            kind = "community.notify.report_resolved"  # asks "was it fixed?"
        elif event.payload.get("by_reporter") and target is ReportStatus.OPEN:
            kind = "community.notify.report_reopened"
        if event.payload.get("by_reporter") and user_id == report.reporter_id:
            continue  # the reporter made this change themselves
        # No proxy copies: reports are a resident's own (no family scope covers them in /me/cases).
        await _notify(user_id=user_id, kind=kind, params=params, link=link)


async def delete_erased_files(event: OutboxEvent, deps: Deps) -> None:
    """After an account's erasure committed: delete the stored files of its uploads."""
    await privacy.delete_erased_files(
        keys=list(event.payload.get("keys") or []), upload_dir=deps.settings.upload_dir
    )


async def announce_scheduled(deps: Deps) -> int:
    return await notices.announce_due_urgent_notices()


OUTBOX_HANDLERS = {
    notices.TOPIC_URGENT_NOTICE: deliver_urgent_notice,
    reports.TOPIC_REPORT_CHANGED: deliver_report_change,
    privacy.TOPIC_FILES_ERASED: delete_erased_files,
}
PERIODIC_JOBS = [PeriodicJob("community.announce_scheduled_urgent", every_s=60, run=announce_scheduled)]
