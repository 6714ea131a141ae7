"""Government services: the service guide, halls, online applications (cases) and 好差评.

A case is written to our database first, with an outbox message in the same transaction; the
worker hands it to the government-service platform, which reports progress by signed callbacks.
Every status change goes through `_transition`, which refuses moves the state machine does not
draw, writes the timeline, and notifies the applicant.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.accounts import family
from services.accounts import service as accounts
from services.accounts.enums import ProxyScope, Role
from services.accounts.principal import Principal
from services.bookings import service as bookings
from services.bookings.enums import BookingStatus, OwnerDomain
from services.common import clock, outbox
from services.common.crypto import PiiCipher
from services.common.errors import InvalidInput, NotFound
from services.common.ids import new_id, parse_id
from services.common.pagination import Page, decode_cursor, encode_cursor, keyset_page
from services.common.storage import DOCUMENT_TYPES, FileStore
from services.gov.enums import (
    CaseEventKind,
    CaseStatus,
    DeliveryState,
    FollowUpStatus,
    ItemCategory,
    ItemTheme,
    MaterialTrust,
    RatingLevel,
    TransitionActor,
    can_transition,
)
from services.gov.errors import (
    AlreadyRated,
    BadCallback,
    CaseNotFound,
    FollowUpClosed,
    FollowUpNotFound,
    HallNotFound,
    IllegalTransition,
    ItemNotFound,
    ItemNotOnline,
    MaterialsLocked,
    MaterialsMissing,
    NotRatable,
    RatingTargetNotFound,
    UnknownMaterial,
)
from services.gov.models import (
    CallbackReceipt,
    Case,
    CaseEvent,
    CaseMaterial,
    Department,
    FollowUp,
    Hall,
    HallWindow,
    Rating,
    ServiceItem,
    ServiceItemText,
)
from services.gov.ports import Applicant, CaseSubmission, GovPlatform, SubmissionMaterial
from services.notifications import service as notifications

__all__ = [
    "FOLLOW_UP_WORKING_DAYS",
    "TOPIC_SUBMIT",
    "TOPIC_SUPPLEMENT",
    "TOPIC_WITHDRAW",
    "CaseView",
    "HallView",
    "ItemView",
    "RatingView",
    "add_material",
    "ensure_window_resources",
    "answer_supplement",
    "apply_platform_callback",
    "close_follow_up",
    "create_application",
    "deliver_submission",
    "deliver_supplement",
    "deliver_withdrawal",
    "flag_overdue_cases",
    "get_case",
    "get_hall",
    "get_item",
    "list_follow_ups",
    "list_halls",
    "list_items",
    "list_my_cases",
    "rate",
    "submit_case",
    "withdraw_case",
]

TOPIC_SUBMIT = "gov.case_submit"
TOPIC_SUPPLEMENT = "gov.case_supplement"
TOPIC_WITHDRAW = "gov.case_withdraw"
FOLLOW_UP_WORKING_DAYS = 15
MAX_MATERIALS_PER_CASE = 30
OTHER_MATERIAL = "other"
DEFAULT_LOCALE = "zh_CN"
# The deadline clock runs only in these: it stops while the citizen owes a 补正.
_CLOCK_RUNNING = (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW)


# ---------------------------------------------------------------------------------------------
# Views: what the service hands to the edge (already resolved to one locale, personal data masked)
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class MaterialView:
    code: str
    name: str
    trust: MaterialTrust
    required: bool
    copies: int


@dataclass(slots=True)
class WindowView:
    id: uuid.UUID
    number: str
    name: str
    department: str
    items: list[str]
    resource_id: uuid.UUID | None


@dataclass(slots=True)
class HallView:
    id: uuid.UUID
    code: str
    name: str
    address: str
    phone: str
    lat: float
    lng: float
    windows: list[WindowView]


@dataclass(slots=True)
class ItemView:
    code: str
    name: str
    locale: str  # the locale the texts are in (zh_CN when the asked one is missing)
    summary: str
    conditions: str
    department: str
    department_name: str
    category: ItemCategory
    theme: ItemTheme
    materials: list[MaterialView]
    legal_limit_days: int
    promised_limit_days: int
    fee_cents: int
    fee_note: str
    online: bool
    max_visits: int
    halls: list[HallView] = field(default_factory=list)


@dataclass(slots=True)
class TimelineEntry:
    kind: CaseEventKind
    status_from: CaseStatus | None
    status_to: CaseStatus | None
    actor: str
    note: str
    data: dict[str, Any]
    at: dt.datetime


@dataclass(slots=True)
class CaseMaterialView:
    id: uuid.UUID
    material_code: str
    content_type: str
    size: int
    sha256: str
    filename: str
    for_supplement: bool
    created_at: dt.datetime


@dataclass(slots=True)
class CaseView:
    id: uuid.UUID
    ref: str
    item_code: str
    item_name: str
    department: str
    status: CaseStatus
    for_member: uuid.UUID | None  # the applicant, when the case is someone I act for
    form_fields: list[str]
    supplement: dict[str, Any] | None
    note: str
    platform_ref: str | None
    delivered: bool
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    due_date: dt.date | None
    overdue: bool
    completed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    materials: list[CaseMaterialView] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)


@dataclass(slots=True)
class FollowUpView:
    id: uuid.UUID
    status: FollowUpStatus
    due_date: dt.date
    department: str


@dataclass(slots=True)
class RatingView:
    id: uuid.UUID
    case_id: uuid.UUID | None
    booking_id: uuid.UUID | None
    level: RatingLevel
    score: int
    tags: list[str]
    text: str
    department: str
    created_at: dt.datetime
    follow_up: FollowUpView | None


@dataclass(slots=True)
class FollowUpItem:
    """A follow-up as a department operator sees it (no personal data of the rater)."""

    id: uuid.UUID
    status: FollowUpStatus
    due_date: dt.date
    department: str
    level: RatingLevel
    tags: list[str]
    text: str
    case_ref: str | None
    booking_id: uuid.UUID | None
    rated_at: dt.datetime
    resolution: str = ""
    closed_at: dt.datetime | None = None


# ---------------------------------------------------------------------------------------------
# The service guide
# ---------------------------------------------------------------------------------------------


def _pick(texts: Iterable[ServiceItemText], locale: str) -> ServiceItemText:
    by_locale = {t.locale: t for t in texts}
    return by_locale.get(locale) or by_locale[DEFAULT_LOCALE]


def _item_view(item: ServiceItem, locale: str, halls: list[HallView] | None = None) -> ItemView:
    texts = list(item.texts)
    text = _pick(texts, locale)
    fallback = _pick(texts, DEFAULT_LOCALE)
    department: Department = item.department
    materials = [
        MaterialView(
            code=m["code"],
            name=text.material_names.get(m["code"]) or fallback.material_names.get(m["code"]) or m["code"],
            trust=MaterialTrust(m["trust"]),
            required=bool(m.get("required", True)),
            copies=int(m.get("copies", 1)),
        )
        for m in item.materials
    ]
    return ItemView(
        code=item.code,
        name=text.name,
        locale=text.locale,
        summary=text.summary or fallback.summary,
        conditions=text.conditions or fallback.conditions,
        department=department.code,
        department_name=department.name_en if text.locale == "en" else department.name_zh,
        category=ItemCategory(item.category),
        theme=ItemTheme(item.theme),
        materials=materials,
        legal_limit_days=item.legal_limit_days,
        promised_limit_days=item.promised_limit_days,
        fee_cents=item.fee_cents,
        fee_note=text.fee_note or fallback.fee_note,
        online=item.online,
        max_visits=item.max_visits,
        halls=halls or [],
    )


async def list_items(
    *,
    locale: str,
    q: str | None = None,
    category: str | None = None,
    department: str | None = None,
    theme: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """The service guide, by code; `q` matches a name in any language, the code, or pinyin."""
    query = ServiceItem.all()
    if q:
        needle = q.strip()
        query = query.filter(
            Q(code__icontains=needle)
            | Q(pinyin__icontains=needle.lower().replace(" ", ""))
            | Q(texts__name__icontains=needle)
        ).distinct()
    if category:
        query = query.filter(category=category)
    if theme:
        query = query.filter(theme=theme)
    if department:
        query = query.filter(department__code=department)
    position = decode_cursor(cursor)
    if position:
        query = query.filter(code__gt=str(position.get("code", "")))
    rows = await query.order_by("code").limit(limit + 1).prefetch_related("texts", "department")
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[_item_view(item, locale) for item in rows],
        next_cursor=encode_cursor({"code": rows[-1].code}) if more and rows else None,
    )


async def get_item(*, code: str, locale: str) -> ItemView:
    """One item with its materials, time limits, fees and the halls whose windows handle it."""
    # A code longer than the column can never match (and PostgreSQL would refuse the parameter).
    item = (
        await ServiceItem.get_or_none(code=code).prefetch_related("texts", "department")
        if len(code) <= 48
        else None
    )
    if item is None:
        raise ItemNotFound(code=code[:48])
    windows = [w for w in await HallWindow.all().prefetch_related("hall") if code in (w.item_codes or [])]
    halls: dict[uuid.UUID, HallView] = {}
    for window in windows:
        hall = halls.get(window.hall_id)
        if hall is None:
            hall = halls[window.hall_id] = _hall_view(window.hall, [], locale)
        hall.windows.append(_window_view(window, locale))
    return _item_view(item, locale, list(halls.values()))


def _window_view(window: HallWindow, locale: str) -> WindowView:
    return WindowView(
        id=window.id,
        number=window.number,
        name=window.name_en if locale == "en" else window.name_zh,
        department=window.department_code,
        items=list(window.item_codes or []),
        resource_id=window.resource_id,
    )


def _hall_view(hall: Hall, windows: list[HallWindow], locale: str) -> HallView:
    en = locale == "en"
    return HallView(
        id=hall.id,
        code=hall.code,
        name=hall.name_en if en else hall.name_zh,
        address=hall.address_en if en else hall.address_zh,
        phone=hall.phone,
        lat=hall.lat,
        lng=hall.lng,
        windows=[_window_view(w, locale) for w in sorted(windows, key=lambda w: w.number)],
    )


async def list_halls(*, locale: str, limit: int = 20, cursor: str | None = None) -> Page:
    """Service halls with their windows and each window's booking resource."""
    query = Hall.all()
    position = decode_cursor(cursor)
    if position:
        query = query.filter(code__gt=str(position.get("code", "")))
    rows = await query.order_by("code").limit(limit + 1).prefetch_related("windows")
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[_hall_view(hall, list(hall.windows), locale) for hall in rows],
        next_cursor=encode_cursor({"code": rows[-1].code}) if more and rows else None,
    )


async def get_hall(*, hall_id: str, locale: str) -> HallView:
    """One hall; an unknown or malformed id is a 404."""
    parsed = parse_id(hall_id)
    hall = await Hall.get_or_none(id=parsed).prefetch_related("windows") if parsed else None
    if hall is None:
        raise HallNotFound()
    return _hall_view(hall, list(hall.windows), locale)


# Every hall window: official working days (holidays skipped, 调休 Saturdays open), 30-minute slots.
WINDOW_OPENINGS = (
    {"start": "09:00", "end": "12:00", "slot_minutes": 30, "days": "working"},
    {"start": "13:30", "end": "17:30", "slot_minutes": 30, "days": "working"},
)
WINDOW_RULES = {
    "min_level": "real_name",
    "party_size_max": 1,
    "per_person_per_day": 1,
    "advance_days": 7,
    "cancel_deadline_minutes": 60,
    "no_show_limit": 3,
    "no_show_window_days": 90,
    "no_show_ban_days": 30,
}


async def ensure_window_resources(*, generate_days: int = 0) -> int:
    """Register every hall window as a booking resource (idempotent); optionally cut slots ahead now.

    Returns the number of slots created. The booking engine's roll_slots job keeps slots generated
    from then on, within the resource's advance-booking window.
    """
    created = 0
    today = clock.local_date()
    for window in await HallWindow.all().prefetch_related("hall").order_by("code"):
        hall: Hall = window.hall
        resource = await bookings.ensure_resource(
            owner_domain=OwnerDomain.GOV,
            owner_ref=window.code,
            name={
                "zh_CN": f"{hall.name_zh} {window.number} {window.name_zh}",
                "en": f"{hall.name_en} {window.number} {window.name_en}",
            },
            staff_role=Role.DEPT_OPERATOR,
            staff_scope=window.department_code,
            rules=WINDOW_RULES,
            openings=[{**opening, "capacity": window.capacity} for opening in WINDOW_OPENINGS],
        )
        if window.resource_id != resource.id:
            await HallWindow.filter(id=window.id).update(resource_id=resource.id)
        if generate_days:
            created += await bookings.generate_slots(resource_id=resource.id, start=today, days=generate_days)
    return created


async def window_for_resource(resource_id: uuid.UUID) -> HallWindow | None:
    """The hall window behind a booking resource, if it is one of ours."""
    return await HallWindow.get_or_none(resource_id=resource_id)


# ---------------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------------


def _case_ref(now: dt.datetime) -> str:
    return f"JY{clock.local_date(now):%Y%m%d}-{new_id().hex[-6:].upper()}"


def _actor_label(actor: Principal) -> str:
    return "proxy" if actor.acting_for else "citizen"


async def _own_case(actor: Principal, case_id: str, *, conn: BaseDBAsyncClient | None = None) -> Case:
    """The case if it belongs to the person the actor acts as; anything else is the same 404."""
    parsed = parse_id(case_id)
    case = await Case.filter(id=parsed, user_id=actor.subject_id).using_db(conn).first() if parsed else None
    if case is None:
        raise CaseNotFound()
    return case


async def _item_or_404(code: str) -> ServiceItem:
    item = await ServiceItem.get_or_none(code=code).prefetch_related("texts") if len(code) <= 48 else None
    if item is None:
        raise ItemNotFound(code=code[:48])
    return item


async def _item_name(code: str, locale: str) -> str:
    texts = await ServiceItemText.filter(item__code=code, locale__in=[locale, DEFAULT_LOCALE])
    if not texts:
        return code
    return _pick(texts, locale).name


async def _notify(case: Case, *, conn: BaseDBAsyncClient) -> None:
    """Tell the applicant their case moved (inbox row always; WeChat message when they consented)."""
    # One message id per status (notify.case.accepted, ...), so every language reads naturally.
    await notifications.notify(
        user_id=case.user_id,
        kind=f"notify.case.{case.status.value}",
        params={"case_ref": case.ref, "item": await _item_name(case.item_code, DEFAULT_LOCALE)},
        link=f"/pages/gov/case?id={case.id}",
        case_ref=case.ref,
        using_db=conn,
    )


async def _record(
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


async def _transition(
    case: Case,
    target: CaseStatus,
    *,
    by: TransitionActor,
    actor_label: str,
    conn: BaseDBAsyncClient,
    remark: str = "",
    data: dict[str, Any] | None = None,
    **updates: Any,
) -> Case:
    """Move `case` to `target` if the state machine allows `by` to; compare-and-set on the old status."""
    current = CaseStatus(case.status)
    if not can_transition(current, target, by):
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
    await _record(
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


def _missing_materials(item: ServiceItem, uploaded: set[str]) -> list[str]:
    """Required materials the applicant must upload (e-licences are fetched, forms are filled in)."""
    return [
        m["code"]
        for m in item.materials
        if m.get("required", True)
        and MaterialTrust(m["trust"]) in (MaterialTrust.ORIGINAL, MaterialTrust.COPY)
        and m["code"] not in uploaded
    ]


async def _submit(case: Case, item: ServiceItem, *, actor_label: str, conn: BaseDBAsyncClient) -> Case:
    uploaded = set(
        await CaseMaterial.filter(case_id=case.id).using_db(conn).values_list("material_code", flat=True)
    )
    missing = _missing_materials(item, uploaded)
    if missing:
        raise MaterialsMissing(materials=", ".join(missing), details={"missing": missing})
    now = clock.now()
    await _transition(
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
) -> CaseView:
    """Open a case for the actor (or the person they act for): a draft, or submitted at once."""
    item = await _item_or_404(item_code)
    if not item.online:
        raise ItemNotOnline(code=item.code)
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
        await _record(
            case,
            kind=CaseEventKind.CREATED,
            actor=_actor_label(actor),
            conn=conn,
            status_to=CaseStatus.DRAFT,
            data={"form_fields": sorted(form)},
        )
        if submit:
            await _submit(case, item, actor_label=_actor_label(actor), conn=conn)
    return await _case_view(case, actor=actor, locale=locale, cipher=cipher)


async def _case_view(
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
        item_name=await _item_name(case.item_code, locale),
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
        overdue=bool(case.due_date and case.status in _CLOCK_RUNNING and case.due_date < today),
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


async def get_case(*, actor: Principal, case_id: str, locale: str, cipher: PiiCipher) -> CaseView:
    """A case of the actor (or of whom they act for) with its materials and timeline."""
    case = await _own_case(actor, case_id)
    return await _case_view(case, actor=actor, locale=locale, cipher=cipher)


async def submit_case(*, actor: Principal, case_id: str, locale: str, cipher: PiiCipher) -> CaseView:
    """Submit a draft: required uploads present, then on to the platform through the outbox."""
    async with in_transaction() as conn:
        case = await _own_case(actor, case_id, conn=conn)
        item = await _item_or_404(case.item_code)
        await _submit(case, item, actor_label=_actor_label(actor), conn=conn)
    return await _case_view(case, actor=actor, locale=locale, cipher=cipher)


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
    case = await _own_case(actor, case_id)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.SUPPLEMENT_REQUESTED):
        raise MaterialsLocked(status=case.status.value)
    item = await _item_or_404(case.item_code)
    known = {m["code"] for m in item.materials} | {OTHER_MATERIAL}
    if material_code not in known:
        raise UnknownMaterial(code=material_code[:48], details={"allowed": sorted(known)})
    if await CaseMaterial.filter(case_id=case.id).count() >= MAX_MATERIALS_PER_CASE:
        raise MaterialsLocked(status=case.status.value, details={"max_files": MAX_MATERIALS_PER_CASE})
    stored = await store.save(data=data, filename=filename, allowed_types=DOCUMENT_TYPES, max_bytes=max_bytes)
    async with in_transaction() as conn:
        # Re-check under the transaction: the case may have been submitted meanwhile.
        fresh = await _own_case(actor, case_id, conn=conn)
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
        await _record(
            fresh,
            kind=CaseEventKind.MATERIAL,
            actor=_actor_label(actor),
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
        case = await _own_case(actor, case_id, conn=conn)
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
        await _transition(
            case,
            CaseStatus.IN_REVIEW,
            by=TransitionActor.CITIZEN,
            actor_label=_actor_label(actor),
            conn=conn,
            remark=note,
            due_date=due,
        )
        await _record(
            case,
            kind=CaseEventKind.SUPPLEMENT_ANSWERED,
            actor=_actor_label(actor),
            conn=conn,
            note=note,
            data={"material_ids": [str(m.id) for m in fresh]},
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
    return await _case_view(case, actor=actor, locale=locale, cipher=cipher)


async def withdraw_case(
    *, actor: Principal, case_id: str, reason: str, locale: str, cipher: PiiCipher
) -> CaseView:
    """Withdraw a running case; the platform is told if it already had it (or is about to)."""
    async with in_transaction() as conn:
        case = await _own_case(actor, case_id, conn=conn)
        await _transition(
            case,
            CaseStatus.WITHDRAWN,
            by=TransitionActor.CITIZEN,
            actor_label=_actor_label(actor),
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
    return await _case_view(case, actor=actor, locale=locale, cipher=cipher)


async def _represented(actor: Principal) -> list[uuid.UUID]:
    """People the actor may currently act for in `cases` (a live, accepted, unexpired grant)."""
    if actor.acting_for is not None:
        return []
    subjects: list[uuid.UUID] = []
    for grant in await family.grants_of(actor.user_id):
        if grant.proxy_id == actor.user_id and await family.live_grant(
            proxy_id=actor.user_id, subject_id=grant.subject_id, scope=ProxyScope.CASES
        ):
            subjects.append(grant.subject_id)
    return subjects


async def list_my_cases(
    *,
    actor: Principal,
    locale: str,
    cipher: PiiCipher,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """Cases of the actor's subject and of the people they represent, newest first."""
    owners = {actor.subject_id, *await _represented(actor)}
    page = await keyset_page(Case.filter(user_id__in=list(owners)), limit=limit, cursor=cursor)
    items = [
        await _case_view(case, actor=actor, locale=locale, cipher=cipher, full=False) for case in page.items
    ]
    return Page(items=items, next_cursor=page.next_cursor)


# ---------------------------------------------------------------------------------------------
# The platform: delivery (outbox handlers) and callbacks
# ---------------------------------------------------------------------------------------------


class DeliveryNotReady(Exception):
    """The message depends on one not delivered yet; the outbox retries it later."""


def _submission_material(m: CaseMaterial) -> SubmissionMaterial:
    return SubmissionMaterial(code=m.material_code, content_type=m.content_type, size=m.size, sha256=m.sha256)


async def deliver_submission(*, event_id: str, case_id: str, platform: GovPlatform, cipher: PiiCipher) -> str:
    """Hand a submitted case to the platform; returns "delivered" or "skipped" (withdrawn unsent)."""
    case = await Case.get_or_none(id=parse_id(case_id))
    if case is None or case.delivery == DeliveryState.DELIVERED:
        return "skipped"
    if case.status == CaseStatus.WITHDRAWN:
        # Withdrawn before the platform ever saw it: nothing to tell anyone.
        await Case.filter(id=case.id, delivery=DeliveryState.PENDING).update(delivery=DeliveryState.NOT_SENT)
        return "skipped"
    form_fields = (
        sorted(json.loads(cipher.decrypt(case.form_enc, context="gov_case.form"))) if case.form_enc else []
    )
    materials = await CaseMaterial.filter(case_id=case.id).order_by("created_at")
    # Decrypted only now, for this call: personal data never sits in the outbox payload.
    identity = await accounts.verified_identity(user_id=case.user_id, cipher=cipher)
    receipt = await platform.submit_case(
        CaseSubmission(
            event_id=event_id,
            case_id=str(case.id),
            case_ref=case.ref,
            item_code=case.item_code,
            department_code=case.department_code,
            applicant_id=str(case.user_id),
            submitted_at=(case.submitted_at or case.created_at).isoformat(),
            materials=[_submission_material(m) for m in materials],
            form_fields=form_fields,
            applicant=Applicant(name=identity.name, id_number=identity.id_number, phone=identity.phone)
            if identity
            else None,
        )
    )
    async with in_transaction() as conn:
        updated = await (
            Case.filter(id=case.id)
            .exclude(delivery=DeliveryState.DELIVERED)
            .using_db(conn)
            .update(delivery=DeliveryState.DELIVERED, platform_ref=receipt.platform_ref)
        )
        if updated:
            await _record(
                case,
                kind=CaseEventKind.DELIVERED,
                actor="system",
                conn=conn,
                data={"platform_ref": receipt.platform_ref},
            )
    return "delivered"


async def _delivered_case(case_id: str) -> Case | None:
    case = await Case.get_or_none(id=parse_id(case_id))
    if case is None or case.delivery == DeliveryState.NOT_SENT:
        return None
    if case.delivery == DeliveryState.PENDING or not case.platform_ref:
        raise DeliveryNotReady(f"case {case.id} not yet delivered")
    return case


async def deliver_supplement(*, event_id: str, payload: dict[str, Any], platform: GovPlatform) -> None:
    """Deliver a 补正 answer (after the case itself reached the platform)."""
    case = await _delivered_case(str(payload.get("case_id")))
    if case is None:
        return
    ids = [parsed for parsed in (parse_id(i) for i in payload.get("material_ids") or []) if parsed]
    materials = await CaseMaterial.filter(case_id=case.id, id__in=ids)
    await platform.send_supplement(
        event_id=event_id,
        platform_ref=case.platform_ref or "",
        note=str(payload.get("note") or ""),
        materials=[_submission_material(m) for m in materials],
    )


async def deliver_withdrawal(*, event_id: str, payload: dict[str, Any], platform: GovPlatform) -> None:
    """Tell the platform about a withdrawal, once it has the case (skipped when it never will)."""
    case = await _delivered_case(str(payload.get("case_id")))
    if case is None:
        return
    await platform.withdraw_case(
        event_id=event_id, platform_ref=case.platform_ref or "", reason=str(payload.get("reason") or "")
    )


@dataclass(frozen=True, slots=True)
class CallbackResult:
    outcome: str  # applied | unchanged | duplicate
    case_id: uuid.UUID | None
    status: CaseStatus | None


_PLATFORM_TARGETS = frozenset(
    {
        CaseStatus.ACCEPTED,
        CaseStatus.IN_REVIEW,
        CaseStatus.SUPPLEMENT_REQUESTED,
        CaseStatus.APPROVED,
        CaseStatus.REJECTED,
        CaseStatus.COMPLETED,
    }
)


async def apply_platform_callback(*, system: str, event: dict[str, Any]) -> CallbackResult:
    """Apply one (already signature-checked) status event; the same event id twice changes nothing."""
    event_id = str(event.get("event_id") or "")[:64]
    if not event_id:
        raise BadCallback(field="event_id")
    try:
        target = CaseStatus(str(event.get("status")))
    except ValueError as error:
        raise BadCallback(field="status") from error
    if target not in _PLATFORM_TARGETS:
        raise BadCallback(field="status")
    if await CallbackReceipt.exists(system=system, event_id=event_id):
        return CallbackResult(outcome="duplicate", case_id=None, status=None)
    parsed = parse_id(str(event.get("case_id") or ""))
    message = str(event.get("message") or "")[:2000]
    try:
        async with in_transaction() as conn:
            case = await Case.filter(id=parsed).using_db(conn).first() if parsed else None
            if case is None:
                raise CaseNotFound()
            # The receipt first: a concurrent copy of this event blocks on the unique key, then fails.
            await CallbackReceipt.create(system=system, event_id=event_id, case_id=case.id, using_db=conn)
            if case.platform_ref is None and event.get("platform_ref"):
                await (
                    Case.filter(id=case.id)
                    .using_db(conn)
                    .update(platform_ref=str(event["platform_ref"])[:64])
                )
            if CaseStatus(case.status) == target:
                return CallbackResult(outcome="unchanged", case_id=case.id, status=target)
            updates: dict[str, Any] = {"note": message}
            now = clock.now()
            if target == CaseStatus.ACCEPTED:
                item = await ServiceItem.get(code=case.item_code).using_db(conn)
                updates |= {
                    "accepted_at": now,
                    "due_date": clock.add_working_days(clock.local_date(now), item.promised_limit_days),
                }
            elif target == CaseStatus.SUPPLEMENT_REQUESTED:
                updates["supplement"] = {
                    "message": message,
                    "materials": [str(m)[:48] for m in event.get("materials") or []][:20],
                    "requested_on": clock.local_date(now).isoformat(),
                }
            elif target in (CaseStatus.APPROVED, CaseStatus.REJECTED):
                updates["decided_at"] = now
            elif target == CaseStatus.COMPLETED:
                updates["completed_at"] = now
            await _transition(
                case,
                target,
                by=TransitionActor.PLATFORM,
                actor_label="platform",
                conn=conn,
                remark=message,
                data={"event_id": event_id},
                **updates,
            )
    except IntegrityError:
        return CallbackResult(outcome="duplicate", case_id=None, status=None)
    return CallbackResult(outcome="applied", case_id=case.id, status=target)


# ---------------------------------------------------------------------------------------------
# 好差评
# ---------------------------------------------------------------------------------------------


def _rating_view(rating: Rating, follow_up: FollowUp | None) -> RatingView:
    return RatingView(
        id=rating.id,
        case_id=rating.case_id,
        booking_id=rating.booking_id,
        level=RatingLevel(rating.level),
        score=rating.score,
        tags=list(rating.tags),
        text=rating.text,
        department=rating.department_code,
        created_at=rating.created_at,
        follow_up=FollowUpView(
            id=follow_up.id,
            status=FollowUpStatus(follow_up.status),
            due_date=follow_up.due_date,
            department=follow_up.department_code,
        )
        if follow_up
        else None,
    )


async def rate(
    *,
    actor: Principal,
    target_id: str,
    level: RatingLevel,
    tags: list[str],
    text: str,
) -> RatingView:
    """好差评 by the owner of a completed case, or of a checked-in hall booking; once each."""
    parsed = parse_id(target_id)
    if parsed is None:
        raise RatingTargetNotFound()
    case = await Case.get_or_none(id=parsed)
    booking_id: uuid.UUID | None = None
    if case is not None:
        # Only the applicant rates (not a proxy, not anyone else); others get the same 404 as no case.
        if case.user_id != actor.user_id or actor.acting_for is not None:
            raise RatingTargetNotFound()
        if case.status != CaseStatus.COMPLETED:
            raise NotRatable(status=case.status.value)
        department = case.department_code
    else:
        booking_id, department = await _ratable_booking(actor, parsed)
    if await Rating.exists(Q(case_id=case.id) if case else Q(booking_id=booking_id)):
        raise AlreadyRated()
    today = clock.local_date()
    try:
        async with in_transaction() as conn:
            rating = await Rating.create(
                case_id=case.id if case else None,
                booking_id=booking_id,
                user_id=actor.user_id,
                department_code=department,
                level=level,
                score=level.score,
                tags=tags,
                text=text,
                using_db=conn,
            )
            follow_up = None
            if level.is_bad:
                follow_up = await FollowUp.create(
                    rating_id=rating.id,
                    department_code=department,
                    due_date=clock.add_working_days(today, FOLLOW_UP_WORKING_DAYS),
                    using_db=conn,
                )
            if case is not None:
                await _record(
                    case,
                    kind=CaseEventKind.RATED,
                    actor="citizen",
                    conn=conn,
                    data={"level": level.value},
                )
    except IntegrityError as error:
        raise AlreadyRated() from error
    return _rating_view(rating, follow_up)


async def _ratable_booking(actor: Principal, booking_id: uuid.UUID) -> tuple[uuid.UUID, str]:
    """(booking id, department) of a checked-in hall booking the actor had; else the 404/409."""
    try:
        booking = await bookings.get_booking(actor=actor, booking_id=booking_id)
    except NotFound as error:
        raise RatingTargetNotFound() from error
    # get_booking also shows bookings to staff; only the person served (or who booked) rates.
    if actor.acting_for is not None or actor.user_id not in (booking.user_id, booking.subject_id):
        raise RatingTargetNotFound()
    window = (
        await HallWindow.get_or_none(code=booking.resource.owner_ref)
        if booking.resource.owner_domain == OwnerDomain.GOV
        else None
    )
    if window is None:
        raise RatingTargetNotFound()
    if booking.status != BookingStatus.CHECKED_IN:
        raise NotRatable(status=booking.status.value)
    return booking.id, window.department_code


def _follow_up_item(f: FollowUp, rating: Rating, case_ref: str | None) -> FollowUpItem:
    return FollowUpItem(
        id=f.id,
        status=FollowUpStatus(f.status),
        due_date=f.due_date,
        department=f.department_code,
        level=RatingLevel(rating.level),
        tags=list(rating.tags),
        text=rating.text,
        case_ref=case_ref,
        booking_id=rating.booking_id,
        rated_at=rating.created_at,
        resolution=f.resolution,
        closed_at=f.closed_at,
    )


async def list_follow_ups(
    *, actor: Principal, status: FollowUpStatus | None = None, limit: int = 20, cursor: str | None = None
) -> Page:
    """Follow-ups of bad ratings for the departments the operator serves, earliest due first."""
    scopes = actor.roles.get(Role.DEPT_OPERATOR, frozenset())
    query = FollowUp.all()
    if not (Role.ADMIN in actor.roles or "" in scopes):
        query = query.filter(department_code__in=sorted(scopes))
    if status:
        query = query.filter(status=status)
    position = decode_cursor(cursor)
    if position:
        try:
            after_due = dt.date.fromisoformat(str(position["d"]))
            after_id = uuid.UUID(str(position["id"]))
        except (KeyError, ValueError) as error:
            raise InvalidInput("request.bad_cursor") from error
        query = query.filter(Q(due_date__gt=after_due) | Q(due_date=after_due, id__gt=after_id))
    rows = await query.order_by("due_date", "id").limit(limit + 1).prefetch_related("rating")
    more = len(rows) > limit
    rows = rows[:limit]
    case_refs = dict(
        await Case.filter(id__in=[f.rating.case_id for f in rows if f.rating.case_id]).values_list(
            "id", "ref"
        )
    )
    items = [_follow_up_item(f, f.rating, case_refs.get(f.rating.case_id)) for f in rows]
    next_cursor = (
        encode_cursor({"d": rows[-1].due_date.isoformat(), "id": str(rows[-1].id)}) if more and rows else None
    )
    return Page(items=items, next_cursor=next_cursor)


def _serves_department(actor: Principal, department: str) -> bool:
    return actor.has_role(Role.DEPT_OPERATOR, department)


async def close_follow_up(*, actor: Principal, follow_up_id: str, resolution: str) -> FollowUpItem:
    """A department operator records what was done about a bad rating and closes its follow-up."""
    parsed = parse_id(follow_up_id)
    follow_up = await FollowUp.get_or_none(id=parsed).prefetch_related("rating") if parsed else None
    # Another department's follow-up is the same 404 as none at all.
    if follow_up is None or not _serves_department(actor, follow_up.department_code):
        raise FollowUpNotFound()
    # Compare-and-set on "open": two operators closing at once cannot both record a resolution.
    changed = await FollowUp.filter(id=follow_up.id, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.CLOSED, resolution=resolution, closed_by_id=actor.user_id, closed_at=clock.now()
    )
    if not changed:
        raise FollowUpClosed()
    await follow_up.refresh_from_db()
    return _follow_up_item(follow_up, follow_up.rating, None)


async def flag_overdue_cases(*, today: dt.date | None = None) -> int:
    """Mark running cases past their promised date (once each) on the timeline and tell the applicant."""
    today = today or clock.local_date()
    flagged = 0
    late = await Case.filter(status__in=_CLOCK_RUNNING, due_date__lt=today, overdue_flagged_on=None).order_by(
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
            await _record(
                case,
                kind=CaseEventKind.OVERDUE,
                actor="system",
                conn=conn,
                data={"due_date": case.due_date.isoformat() if case.due_date else None},
            )
            await notifications.notify(
                user_id=case.user_id,
                kind="notify.case.overdue",
                params={"case_ref": case.ref, "item": await _item_name(case.item_code, DEFAULT_LOCALE)},
                link=f"/pages/gov/case?id={case.id}",
                case_ref=case.ref,
                using_db=conn,
            )
            flagged += 1
    return flagged
