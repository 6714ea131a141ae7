"""Application state changes: explicit, conditional on the status read, recorded, announced."""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.education.enums import ACTIVE_STATUSES, ApplicationStatus, can_transition
from services.education.errors import IllegalTransition
from services.education.models import Application, ApplicationEvent, ApplicationGuardian
from services.notifications import service as notifications

__all__ = ["guardian_ids", "transition"]

# Whose status changes the guardians hear of (results are announced by admission.py).
_NOTIFY = {
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.IN_REVIEW,
    ApplicationStatus.SUPPLEMENT_REQUESTED,
    ApplicationStatus.APPROVED,
    ApplicationStatus.REJECTED,
}


async def guardian_ids(
    application_id: uuid.UUID, *, conn: BaseDBAsyncClient | None = None
) -> list[uuid.UUID]:
    """Everyone who must hear of the application's news."""
    query = ApplicationGuardian.filter(application_id=application_id)
    if conn is not None:
        query = query.using_db(conn)
    return list(await query.values_list("user_id", flat=True))


async def transition(
    app: Application,
    target: ApplicationStatus,
    *,
    actor_label: str,
    conn: BaseDBAsyncClient,
    note: str = "",
    notify_kind: str | None = None,
    notify_params: dict[str, Any] | None = None,
    **updates: Any,
) -> Application:
    """Move `app` to `target` (refusing illegal moves), record it and tell the guardians."""
    current = ApplicationStatus(app.status)
    if not can_transition(current, target):
        raise IllegalTransition(status_from=current.value, status_to=target.value)
    if target not in ACTIVE_STATUSES:
        updates["active_key"] = None  # frees the child's one place in the round
    # Conditional on the status we read: a concurrent move makes this match nothing.
    moved = (
        await Application.filter(id=app.id, status=current).using_db(conn).update(status=target, **updates)
    )
    if not moved:
        raise IllegalTransition(status_from=current.value, status_to=target.value)
    await ApplicationEvent.create(
        application_id=app.id,
        status_from=current,
        status_to=target,
        actor_kind=actor_label,
        note=note[:500],
        using_db=conn,
    )
    kind = notify_kind or (f"notify.education.{target.value}" if target in _NOTIFY else None)
    if kind:
        params = {"ref": app.ref, "reason": note[:200], **(notify_params or {})}
        for user_id in await guardian_ids(app.id, conn=conn):
            await notifications.notify(
                user_id=user_id,
                kind=kind,
                params=params,
                link=f"/pages/education/application?id={app.id}",
                case_ref=app.ref,
                using_db=conn,
            )
    app.status = target
    for key, value in updates.items():
        setattr(app, key, value)
    return app
