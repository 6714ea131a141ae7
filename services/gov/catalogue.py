"""The service guide (事项), service halls and their windows as booking resources."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from tortoise.expressions import Q

from services.accounts.enums import Role
from services.bookings import service as bookings
from services.bookings.enums import OwnerDomain
from services.common import clock
from services.common.ids import parse_id
from services.common.pagination import Page, decode_cursor, encode_cursor
from services.gov.enums import (
    ItemCategory,
    ItemTheme,
    MaterialTrust,
)
from services.gov.errors import (
    HallNotFound,
    ItemNotFound,
)
from services.gov.models import (
    Department,
    Hall,
    HallWindow,
    ServiceItem,
    ServiceItemText,
)
from services.gov.views import HallView, ItemView, MaterialView, WindowView

__all__ = [
    "DEFAULT_LOCALE",
    "WINDOW_OPENINGS",
    "WINDOW_RULES",
    "ensure_window_resources",
    "get_hall",
    "get_item",
    "item_name",
    "item_names",
    "item_or_404",
    "list_halls",
    "list_items",
    "material_name",
    "window_for_resource",
]

DEFAULT_LOCALE = "zh_CN"


def _pick(texts: Iterable[ServiceItemText], locale: str) -> ServiceItemText:
    by_locale = {t.locale: t for t in texts}
    return by_locale.get(locale) or by_locale[DEFAULT_LOCALE]


def material_name(item: ServiceItem, code: str, locale: str) -> str:
    """A material's name in `locale` (zh_CN when missing; the code when the item does not name it)."""
    texts = list(item.texts)
    return (
        _pick(texts, locale).material_names.get(code)
        or _pick(texts, DEFAULT_LOCALE).material_names.get(code)
        or code
    )


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
        summary_plain=text.summary_plain or text.summary or fallback.summary,
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


async def item_or_404(code: str) -> ServiceItem:
    item = await ServiceItem.get_or_none(code=code).prefetch_related("texts") if len(code) <= 48 else None
    if item is None:
        raise ItemNotFound(code=code[:48])
    return item


async def item_name(code: str, locale: str) -> str:
    texts = await ServiceItemText.filter(item__code=code, locale__in=[locale, DEFAULT_LOCALE])
    if not texts:
        return code
    return _pick(texts, locale).name


async def item_names(code: str) -> dict[str, str]:
    """The item's name in every language it has ({"zh_CN": ..., "en": ...}); the code when unknown."""
    texts = await ServiceItemText.filter(item__code=code)
    return {t.locale: t.name for t in texts if t.name} or {DEFAULT_LOCALE: code}
