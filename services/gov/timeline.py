"""A case's state machine and timeline: every status change goes through `transition`.

It refuses moves the state machine does not draw, writes the timeline entry, and notifies the
applicant, all inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services.accounts.enums import ProxyScope
from services.accounts.principal import Principal
from services.common import clock
from services.common.crypto import PiiCipher
from services.common.i18n import localized
from services.common.ids import parse_id
from services.gov.catalogue import item_name, item_names
from services.gov.enums import (
    CaseEventKind,
    CaseStatus,
    DeliveryState,
    TransitionActor,
    can_transition,
)
from services.gov.errors import (
    CaseNotFound,
    IllegalTransition,
)
from services.gov.models import (
    Case,
    CaseEvent,
    CaseMaterial,
)
from services.gov.views import CaseMaterialView, CaseView, TimelineEntry
from services.notifications import service as notifications

__all__ = [
    "CLOCK_RUNNING",
    "actor_label",
    "case_view",
    "flag_overdue_cases",
    "own_case",
    "record_event",
    "transition",
]

# The deadline clock runs only in these: it stops while the citizen owes a 补正.
CLOCK_RUNNING = (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW)


def actor_label(actor: Principal) -> str:
    return "proxy" if actor.acting_for else "citizen"


async def own_case(actor: Principal, case_id: str, *, conn: BaseDBAsyncClient | None = None) -> Case:
    """The case if it belongs to the person the actor acts as; anything else is the same 404."""
    parsed = parse_id(case_id)
    case = await Case.filter(id=parsed, user_id=actor.subject_id).using_db(conn).first() if parsed else None
    if case is None:
        raise CaseNotFound()
    return case


async def _notify(case: Case, *, conn: BaseDBAsyncClient) -> None:
    """Tell the applicant their case moved (inbox row always; WeChat message when they consented)."""
    # One message id per status (notify.case.accepted, ...), so every language reads naturally.
    # The item's name in every language: each reader (the applicant, their proxies) sees their own.
    await notifications.notify(
        user_id=case.user_id,
        kind=f"notify.case.{case.status.value}",
        params={"case_ref": case.ref, "item": localized(await item_names(case.item_code))},
        link=f"/pages/gov/case?id={case.id}",
        case_ref=case.ref,
        proxy_scope=ProxyScope.CASES.value,
        using_db=conn,
    )


async def record_event(
    case: Case,
    *,
    kind: CaseEventKind,
    actor: str,
    conn: BaseDBAsyncClient,
    status_from: CaseStatus | None = None,
    status_to: CaseStatus | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    await CaseEvent.create(
        case_id=case.id,
        kind=kind,
        status_from=status_from,
        status_to=status_to,
        actor=actor,
        note=note[:2000],
        data=data or {},
        using_db=conn,
    )


async def transition(
    case: Case,
    target: CaseStatus,
    *,
    by: TransitionActor,
    actor_label: str,
    conn: BaseDBAsyncClient,
    remark: str = "",
    data: dict[str, Any] | None = None,
    reconcile: bool = False,
    **updates: Any,
) -> Case:
    """Move `case` to `target` if the state machine allows `by` to; compare-and-set on the old status.

    `reconcile` (the platform's state after a refused callback) skips the state machine: the
    platform is the record of what the department did, and our case catches up with it.
    """
    current = CaseStatus(case.status)
    if not reconcile and not can_transition(current, target, by):
        raise IllegalTransition(
            status_from=current.value,
            status_to=target.value,
            details={"from": current.value, "to": target.value},
        )
    changed = await Case.filter(id=case.id, status=current).using_db(conn).update(status=target, **updates)
    if changed != 1:
        # Someone else moved it between our read and this write: refuse rather than overwrite.
        raise IllegalTransition(
            status_from=current.value,
            status_to=target.value,
            details={"from": current.value, "to": target.value},
        )
    case.status = target
    for name, value in updates.items():
        setattr(case, name, value)
    await record_event(
        case,
        kind=CaseEventKind.STATUS,
        actor=actor_label,
        conn=conn,
        status_from=current,
        status_to=target,
        note=remark,
        data=data,
    )
    await _notify(case, conn=conn)
    return case


async def case_view(
    case: Case, *, actor: Principal, locale: str, cipher: PiiCipher, full: bool = True
) -> CaseView:
    form_fields: list[str] = []
    if full and case.form_enc:
        # Only the field names go out: the answers may hold personal data and are never echoed.
        form_fields = sorted(json.loads(cipher.decrypt(case.form_enc, context="gov_case.form")))
    today = clock.local_date()
    view = CaseView(
        id=case.id,
        ref=case.ref,
        item_code=case.item_code,
        item_name=await item_name(case.item_code, locale),
        department=case.department_code,
        status=CaseStatus(case.status),
        for_member=case.user_id if case.user_id != actor.user_id else None,
        form_fields=form_fields,
        supplement=case.supplement if case.status == CaseStatus.SUPPLEMENT_REQUESTED else None,
        note=case.note,
        platform_ref=case.platform_ref,
        delivered=case.delivery == DeliveryState.DELIVERED,
        submitted_at=case.submitted_at,
        accepted_at=case.accepted_at,
        due_date=case.due_date,
        overdue=bool(case.due_date and case.status in CLOCK_RUNNING and case.due_date < today),
        completed_at=case.completed_at,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )
    if full:
        view.materials = [
            CaseMaterialView(
                id=m.id,
                material_code=m.material_code,
                content_type=m.content_type,
                size=m.size,
                sha256=m.sha256,
                filename=m.filename,
                for_supplement=m.for_supplement,
                created_at=m.created_at,
            )
            for m in await CaseMaterial.filter(case_id=case.id).order_by("created_at", "id")
        ]
        view.timeline = [
            TimelineEntry(
                kind=CaseEventKind(e.kind),
                status_from=CaseStatus(e.status_from) if e.status_from else None,
                status_to=CaseStatus(e.status_to) if e.status_to else None,
                actor=e.actor,
                note=e.note,
                data=e.data,
                at=e.created_at,
            )
            for e in await CaseEvent.filter(case_id=case.id).order_by("created_at", "id")
        ]
    return view


async def flag_overdue_cases(*, today: dt.date | None = None) -> int:
    """Mark running cases past their promised date (once each) on the timeline and tell the applicant."""
    today = today or clock.local_date()
    flagged = 0
    late = await Case.filter(status__in=CLOCK_RUNNING, due_date__lt=today, overdue_flagged_on=None).order_by(
        "due_date"
    )
    for case in late:
        async with in_transaction() as conn:
            # Compare-and-set: with several workers each late case is flagged by exactly one.
            won = (
                await Case.filter(id=case.id, overdue_flagged_on=None)
                .using_db(conn)
                .update(overdue_flagged_on=today)
            )
            if not won:
                continue
            await record_event(
                case,
                kind=CaseEventKind.OVERDUE,
                actor="system",
                conn=conn,
                data={"due_date": case.due_date.isoformat() if case.due_date else None},
            )
            await notifications.notify(
                user_id=case.user_id,
                kind="notify.case.overdue",
                params={"case_ref": case.ref, "item": localized(await item_names(case.item_code))},
                link=f"/pages/gov/case?id={case.id}",
                case_ref=case.ref,
                proxy_scope=ProxyScope.CASES.value,
                using_db=conn,
            )
            flagged += 1
    return flagged
