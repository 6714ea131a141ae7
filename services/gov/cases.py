"""Online applications (cases): drafts, materials, submission, 补正 answers, withdrawal, my cases.

A case is written to our database first, with an outbox message in the same transaction; the
worker hands it to the government-service platform (services.gov.delivery)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services.accounts.principal import Principal
from services.common import clock, outbox
from services.common.crypto import PiiCipher
from services.common.ids import new_id, parse_id
from services.common.storage import DOCUMENT_TYPES, FileStore
from services.gov.catalogue import item_or_404, material_name
from services.gov.enums import (
    CaseEventKind,
    CaseStatus,
    DeliveryState,
    MaterialTrust,
    TransitionActor,
)
from services.gov.errors import (
    IllegalTransition,
    ItemNotOnline,
    MaterialsLocked,
    MaterialsMissing,
    UnknownMaterial,
    UploadNotFound,
)
from services.gov.models import (
    Case,
    CaseMaterial,
    MaterialUpload,
    ServiceItem,
)
from services.gov.timeline import actor_label, case_view, own_case, record_event, transition
from services.gov.views import CaseMaterialView, CaseView, MaterialUploadView

__all__ = [
    "MAX_MATERIALS_PER_CASE",
    "OTHER_MATERIAL",
    "TOPIC_SUBMIT",
    "TOPIC_SUPPLEMENT",
    "TOPIC_WITHDRAW",
    "TOPIC_DELETE_FILES",
    "add_material",
    "answer_supplement",
    "create_application",
    "get_case",
    "submit_case",
    "withdraw_case",
]

TOPIC_SUBMIT = "gov.case_submit"
TOPIC_SUPPLEMENT = "gov.case_supplement"
TOPIC_WITHDRAW = "gov.case_withdraw"
# Stored files to delete (an erased account's materials, expired uploads), once the rows are gone.
TOPIC_DELETE_FILES = "gov.materials_erased"
MAX_MATERIALS_PER_CASE = 30
# Uploads waiting for their application: a few per person, kept for a day.
MAX_PENDING_UPLOADS = 30
UPLOAD_TTL = dt.timedelta(days=1)
OTHER_MATERIAL = "other"


def _case_ref(now: dt.datetime) -> str:
    return f"JY{clock.local_date(now):%Y%m%d}-{new_id().hex[-6:].upper()}"


def _missing_materials(item: ServiceItem, uploaded: set[str]) -> list[str]:
    """Required materials the applicant must upload (e-licences are fetched, forms are filled in)."""
    return [
        m["code"]
        for m in item.materials
        if m.get("required", True)
        and MaterialTrust(m["trust"]) in (MaterialTrust.ORIGINAL, MaterialTrust.COPY)
        and m["code"] not in uploaded
    ]


def _materials_missing(item: ServiceItem, missing: list[str], locale: str) -> MaterialsMissing:
    """The refusal naming each missing material in the reader's language (codes in details)."""
    names = [material_name(item, code, locale) for code in missing]
    return MaterialsMissing(
        materials="、".join(names) if locale.startswith("zh") else ", ".join(names),
        details={
            "missing": missing,
            "materials": [{"code": c, "name": n} for c, n in zip(missing, names, strict=True)],
        },
    )


def _known_materials(item: ServiceItem) -> set[str]:
    return {m["code"] for m in item.materials} | {OTHER_MATERIAL}


async def upload_material(
    *, actor: Principal, data: bytes, filename: str, store: FileStore, max_bytes: int
) -> MaterialUploadView:
    """Keep a file for an application not made yet (type checked by content, size capped)."""
    pending = await MaterialUpload.filter(user_id=actor.subject_id).count()
    if pending >= MAX_PENDING_UPLOADS:
        raise MaterialsLocked(status=CaseStatus.DRAFT.value, details={"max_files": MAX_PENDING_UPLOADS})
    stored = await store.save(data=data, filename=filename, allowed_types=DOCUMENT_TYPES, max_bytes=max_bytes)
    upload = await MaterialUpload.create(
        user_id=actor.subject_id,
        uploaded_by_id=actor.user_id,
        file_key=stored.key,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        filename=_safe_filename(filename),
    )
    return MaterialUploadView(
        id=upload.id,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        filename=upload.filename,
        created_at=upload.created_at,
        expires_at=upload.created_at + UPLOAD_TTL,
    )


async def _attach_upload(
    case: Case, actor: Principal, *, code: str, upload_id: str, conn: BaseDBAsyncClient
) -> CaseMaterial:
    """Turn one of the applicant's uploads into a material of `case` (each upload is used once)."""
    parsed = parse_id(upload_id)
    upload = (
        await MaterialUpload.filter(id=parsed, user_id=actor.subject_id).using_db(conn).first()
        if parsed
        else None
    )
    # Deleted under the transaction: two applications cannot both take the same file.
    if upload is None or not await MaterialUpload.filter(id=upload.id).using_db(conn).delete():
        raise UploadNotFound(upload=str(upload_id)[:64])
    material = await CaseMaterial.create(
        case_id=case.id,
        material_code=code,
        file_key=upload.file_key,
        content_type=upload.content_type,
        size=upload.size,
        sha256=upload.sha256,
        filename=upload.filename,
        uploaded_by_id=upload.uploaded_by_id,
        using_db=conn,
    )
    await record_event(
        case,
        kind=CaseEventKind.MATERIAL,
        actor=actor_label(actor),
        conn=conn,
        data={"material_code": code, "material_id": str(material.id), "size": upload.size},
    )
    return material


async def expire_uploads(*, now: dt.datetime | None = None) -> int:
    """Forget uploads never used in an application within UPLOAD_TTL; their files go with them."""
    cutoff = (now or clock.now()) - UPLOAD_TTL
    async with in_transaction() as conn:
        stale = await MaterialUpload.filter(created_at__lt=cutoff).using_db(conn).limit(500)
        if not stale:
            return 0
        await MaterialUpload.filter(id__in=[u.id for u in stale]).using_db(conn).delete()
        # Same transaction: the files are deleted exactly when the rows are gone.
        await outbox.enqueue(
            topic=TOPIC_DELETE_FILES,
            payload={"keys": [u.file_key for u in stale]},
            aggregate_type="gov_case",
            using_db=conn,
        )
    return len(stale)


async def _submit(
    case: Case, item: ServiceItem, *, actor_label: str, conn: BaseDBAsyncClient, locale: str
) -> Case:
    uploaded = set(
        await CaseMaterial.filter(case_id=case.id).using_db(conn).values_list("material_code", flat=True)
    )
    missing = _missing_materials(item, uploaded)
    if missing:
        raise _materials_missing(item, missing, locale)
    now = clock.now()
    await transition(
        case,
        CaseStatus.SUBMITTED,
        by=TransitionActor.CITIZEN,
        actor_label=actor_label,
        conn=conn,
        submitted_at=now,
        delivery=DeliveryState.PENDING,
    )
    # Same transaction as the status change: the platform hears of every submitted case, once it is up.
    await outbox.enqueue(
        topic=TOPIC_SUBMIT,
        payload={"case_id": str(case.id)},
        aggregate_type="gov_case",
        aggregate_id=str(case.id),
        using_db=conn,
    )
    return case


async def create_application(
    *,
    actor: Principal,
    item_code: str,
    form: dict[str, Any],
    submit: bool,
    cipher: PiiCipher,
    locale: str,
    materials: Sequence[tuple[str, str]] = (),
) -> CaseView:
    """Open a case for the actor (or the person they act for): a draft, or submitted at once.

    `materials` are (material code, upload id) pairs from upload_material: one request then
    applies with everything attached. A refusal (a material missing) leaves the uploads usable.
    """
    item = await item_or_404(item_code)
    if not item.online:
        raise ItemNotOnline(code=item.code)
    known = _known_materials(item)
    for code, _ in materials:
        if code not in known:
            raise UnknownMaterial(code=code[:48], details={"allowed": sorted(known)})
    if len(materials) > MAX_MATERIALS_PER_CASE:
        raise MaterialsLocked(status=CaseStatus.DRAFT.value, details={"max_files": MAX_MATERIALS_PER_CASE})
    async with in_transaction() as conn:
        now = clock.now()
        case = await Case.create(
            id=new_id(),
            ref=_case_ref(now),
            user_id=actor.subject_id,
            created_by_id=actor.user_id,
            item_code=item.code,
            department_code=(await item.department).code,
            status=CaseStatus.DRAFT,
            form_enc=cipher.encrypt(json.dumps(form, ensure_ascii=False), context="gov_case.form")
            if form
            else None,
            using_db=conn,
        )
        await record_event(
            case,
            kind=CaseEventKind.CREATED,
            actor=actor_label(actor),
            conn=conn,
            status_to=CaseStatus.DRAFT,
            data={"form_fields": sorted(form)},
        )
        for code, upload_id in materials:
            await _attach_upload(case, actor, code=code, upload_id=upload_id, conn=conn)
        if submit:
            await _submit(case, item, actor_label=actor_label(actor), conn=conn, locale=locale)
    return await case_view(case, actor=actor, locale=locale, cipher=cipher)


async def get_case(*, actor: Principal, case_id: str, locale: str, cipher: PiiCipher) -> CaseView:
    """A case of the actor (or of whom they act for) with its materials and timeline."""
    case = await own_case(actor, case_id)
    return await case_view(case, actor=actor, locale=locale, cipher=cipher)


async def submit_case(*, actor: Principal, case_id: str, locale: str, cipher: PiiCipher) -> CaseView:
    """Submit a draft: required uploads present, then on to the platform through the outbox."""
    async with in_transaction() as conn:
        case = await own_case(actor, case_id, conn=conn)
        item = await item_or_404(case.item_code)
        await _submit(case, item, actor_label=actor_label(actor), conn=conn, locale=locale)
    return await case_view(case, actor=actor, locale=locale, cipher=cipher)


async def add_material(
    *,
    actor: Principal,
    case_id: str,
    material_code: str,
    data: bytes,
    filename: str,
    store: FileStore,
    max_bytes: int,
) -> CaseMaterialView:
    """Attach an uploaded file (type checked by content, size capped) to a draft or an open 补正."""
    case = await own_case(actor, case_id)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.SUPPLEMENT_REQUESTED):
        raise MaterialsLocked(status=case.status.value)
    item = await item_or_404(case.item_code)
    known = _known_materials(item)
    if case.status == CaseStatus.SUPPLEMENT_REQUESTED:
        # A 补正 may ask for something the guide does not list (e.g. a proof the officer needs).
        known |= {str(code) for code in (case.supplement or {}).get("materials") or []}
    if material_code not in known:
        raise UnknownMaterial(code=material_code[:48], details={"allowed": sorted(known)})
    if await CaseMaterial.filter(case_id=case.id).count() >= MAX_MATERIALS_PER_CASE:
        raise MaterialsLocked(status=case.status.value, details={"max_files": MAX_MATERIALS_PER_CASE})
    stored = await store.save(data=data, filename=filename, allowed_types=DOCUMENT_TYPES, max_bytes=max_bytes)
    async with in_transaction() as conn:
        # Re-check under the transaction: the case may have been submitted meanwhile.
        fresh = await own_case(actor, case_id, conn=conn)
        if fresh.status not in (CaseStatus.DRAFT, CaseStatus.SUPPLEMENT_REQUESTED):
            await store.delete(stored.key)
            raise MaterialsLocked(status=fresh.status.value)
        material = await CaseMaterial.create(
            case_id=case.id,
            material_code=material_code,
            file_key=stored.key,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            filename=_safe_filename(filename),
            for_supplement=fresh.status == CaseStatus.SUPPLEMENT_REQUESTED,
            uploaded_by_id=actor.user_id,
            using_db=conn,
        )
        await record_event(
            fresh,
            kind=CaseEventKind.MATERIAL,
            actor=actor_label(actor),
            conn=conn,
            data={"material_code": material_code, "material_id": str(material.id), "size": stored.size},
        )
    return CaseMaterialView(
        id=material.id,
        material_code=material.material_code,
        content_type=material.content_type,
        size=material.size,
        sha256=material.sha256,
        filename=material.filename,
        for_supplement=material.for_supplement,
        created_at=material.created_at,
    )


def _safe_filename(name: str) -> str:
    # Display only (never a path): keep the last path component, printable characters, 128 at most.
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:128]


def _working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if clock.is_working_day(day):
            count += 1
    return count


async def answer_supplement(
    *, actor: Principal, case_id: str, note: str, locale: str, cipher: PiiCipher
) -> CaseView:
    """Answer a 补正 request: the requested materials must be uploaded since it was asked for."""
    async with in_transaction() as conn:
        case = await own_case(actor, case_id, conn=conn)
        if case.status != CaseStatus.SUPPLEMENT_REQUESTED:
            raise IllegalTransition(
                status_from=case.status.value,
                status_to=CaseStatus.IN_REVIEW.value,
                details={"from": case.status.value, "to": CaseStatus.IN_REVIEW.value},
            )
        request = case.supplement or {}
        fresh = await CaseMaterial.filter(case_id=case.id, for_supplement=True).using_db(conn).all()
        requested = [str(code) for code in request.get("materials") or []]
        missing = [code for code in requested if code not in {m.material_code for m in fresh}]
        if missing or not fresh:
            raise MaterialsMissing(
                materials=", ".join(missing) or "-", details={"missing": missing or requested}
            )
        # The clock stops while the citizen works on a 补正: push the deadline by the days it took.
        due = case.due_date
        requested_on = request.get("requested_on")
        if due and requested_on:
            paused = _working_days_between(dt.date.fromisoformat(requested_on), clock.local_date())
            due = clock.add_working_days(due, paused)
        # "More materials sent" first, then the move back to review it caused.
        await record_event(
            case,
            kind=CaseEventKind.SUPPLEMENT_ANSWERED,
            actor=actor_label(actor),
            conn=conn,
            note=note,
            data={"material_ids": [str(m.id) for m in fresh]},
        )
        await transition(
            case,
            CaseStatus.IN_REVIEW,
            by=TransitionActor.CITIZEN,
            actor_label=actor_label(actor),
            conn=conn,
            remark=note,
            due_date=due,
        )
        # Materials uploaded for this round are now part of the file; the next 补正 starts afresh.
        await (
            CaseMaterial.filter(case_id=case.id, for_supplement=True)
            .using_db(conn)
            .update(for_supplement=False)
        )
        await outbox.enqueue(
            topic=TOPIC_SUPPLEMENT,
            payload={
                "case_id": str(case.id),
                "note": note[:2000],
                "material_ids": [str(m.id) for m in fresh],
            },
            aggregate_type="gov_case",
            aggregate_id=str(case.id),
            using_db=conn,
        )
    return await case_view(case, actor=actor, locale=locale, cipher=cipher)


async def withdraw_case(
    *, actor: Principal, case_id: str, reason: str, locale: str, cipher: PiiCipher
) -> CaseView:
    """Withdraw a running case; the platform is told if it already had it (or is about to)."""
    async with in_transaction() as conn:
        case = await own_case(actor, case_id, conn=conn)
        await transition(
            case,
            CaseStatus.WITHDRAWN,
            by=TransitionActor.CITIZEN,
            actor_label=actor_label(actor),
            conn=conn,
            remark=reason,
        )
        if case.delivery != DeliveryState.NOT_SENT:
            await outbox.enqueue(
                topic=TOPIC_WITHDRAW,
                payload={"case_id": str(case.id), "reason": reason[:500]},
                aggregate_type="gov_case",
                aggregate_id=str(case.id),
                using_db=conn,
            )
    return await case_view(case, actor=actor, locale=locale, cipher=cipher)
