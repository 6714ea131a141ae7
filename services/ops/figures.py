"""The platform's own dashboard figures: the outbox backlog and its dead letters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.common import clock
from services.common.models import OutboxStatus
from services.ops.aggregate import FigureScope, Query, fetch

__all__ = ["dashboard_figures"]


async def dashboard_figures(*, start: dt.date, end: dt.date, scope: FigureScope) -> dict[str, Any] | None:
    """Undelivered outbox messages by status and topic, and how old the oldest waiting one is."""
    if not scope.city_wide:
        return None
    query = Query()
    waiting = [OutboxStatus.PENDING.value, OutboxStatus.IN_FLIGHT.value, OutboxStatus.DEAD.value]
    sql = (
        f"SELECT status, topic, COUNT(*) AS value, MIN(created_at) AS oldest FROM outbox_message "  # noqa: S608
        f"WHERE status IN ({query.params(waiting)}) GROUP BY status, topic"
    )
    rows = await fetch(sql, query)
    by_status = {status: 0 for status in waiting}
    by_topic: dict[str, dict[str, int]] = {}
    oldest: dt.datetime | None = None
    for row in rows:
        by_status[str(row["status"])] += int(row["value"])
        by_topic.setdefault(str(row["topic"]), {})[str(row["status"])] = int(row["value"])
        if row["status"] != OutboxStatus.DEAD.value and row["oldest"] is not None:
            moment = row["oldest"]
            if isinstance(moment, str):  # SQLite hands back the stored text
                moment = dt.datetime.fromisoformat(moment)
            oldest = moment if oldest is None or moment < oldest else oldest
    backlog = by_status[OutboxStatus.PENDING.value] + by_status[OutboxStatus.IN_FLIGHT.value]
    return {
        "daily": {},
        "current": {
            "outbox": {
                "backlog": backlog,
                "dead_letters": by_status[OutboxStatus.DEAD.value],
                "by_status": by_status,
                "by_topic": by_topic,
                "oldest_waiting_age_s": int((clock.now() - oldest).total_seconds()) if oldest else None,
            }
        },
        "totals": {},
    }
