"""What the home screen shows: the five domains' entry points, or the elder set (适老化).

Elder mode (`?mode=elder`, or the signed-in user's `elder_mode` flag) serves a reduced set of the
most-used services with plain-language labels and one-sentence descriptions; every entry carries its
state as text (`status_text`, `hint`), never only as an icon or colour. When the reader is signed in,
the most important next action comes first: a booking today, then a case waiting for more materials
(补正). Other domains are read through their service functions only (bookings.service, the /me/cases
timeline), never through their models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from services.common import clock
from services.common.i18n import translate

__all__ = ["HomeEntry", "HomeMode", "HomeView", "build_home", "resolve_mode"]

# A case waiting for the citizen (the timeline's status value of a 补正 request).
_SUPPLEMENT_STATUS = "supplement_requested"


class HomeMode(StrEnum):
    STANDARD = "standard"
    ELDER = "elder"


@dataclass(frozen=True, slots=True)
class HomeEntry:
    key: str
    label: str
    description: str
    action: str  # the API path to open (mini-program pages map one to one)
    status_text: str
    hint: str
    priority: int  # 0 = the most important next action; larger = later


@dataclass(frozen=True, slots=True)
class HomeView:
    mode: HomeMode
    locale: str
    entries: tuple[HomeEntry, ...]
    next_action: HomeEntry | None


# key -> action; texts are home.<mode>.<key>.{label,description,hint} in locales/*/home.po.
_STANDARD: tuple[tuple[str, str], ...] = (
    ("gov", "/api/v1/gov/items"),
    ("tourism", "/api/v1/tourism/scenic-areas"),
    ("community", "/api/v1/communities"),
    ("care", "/api/v1/care/hospitals"),
    ("education", "/api/v1/education/schools"),
)
_ELDER: tuple[tuple[str, str], ...] = (
    ("social_security", "/api/v1/search?q=%E7%A4%BE%E4%BF%9D"),  # 社保
    ("hospital", "/api/v1/care/hospitals"),
    ("meals", "/api/v1/care/eldercare/services"),
    ("emergency", "/api/v1/care/eldercare/emergency"),
    ("my_cases", "/api/v1/me/cases"),
    ("notices", "/api/v1/me/community"),
)


def resolve_mode(requested: str | None, *, elder_flag: bool) -> HomeMode:
    """An explicit `?mode=` wins; otherwise the signed-in user's stored flag decides."""
    if requested:
        return HomeMode(requested)
    return HomeMode.ELDER if elder_flag else HomeMode.STANDARD


def _entry(mode: HomeMode, key: str, action: str, locale: str, priority: int) -> HomeEntry:
    prefix = f"home.{mode.value}.{key}"
    return HomeEntry(
        key=key,
        label=translate(f"{prefix}.label", locale),
        description=translate(f"{prefix}.description", locale),
        action=action,
        status_text=translate("home.status.available", locale),
        hint=translate(f"{prefix}.hint", locale),
        priority=priority,
    )


def _booking_today(bookings: Sequence[Any], *, locale: str, now: dt.datetime) -> HomeEntry | None:
    """The reader's next booking still to come today (held, requested or confirmed)."""
    today = clock.local_date(now)
    due = [b for b in bookings if b.active and clock.local_date(b.slot.start) == today and b.slot.end > now]
    if not due:
        return None
    booking = min(due, key=lambda b: b.slot.start)
    return HomeEntry(
        key="booking_today",
        label=translate("home.next.booking_today.label", locale),
        description=translate(
            "home.next.booking_today.description",
            locale,
            place=booking.resource.display_name(locale),
            time=clock.to_local(booking.slot.start).strftime("%H:%M"),
        ),
        action=f"/api/v1/bookings/{booking.id}",
        status_text=translate("home.status.today", locale),
        hint=translate("home.next.booking_today.hint", locale),
        priority=0,
    )


def _case_waiting(cases: Sequence[Any], *, locale: str) -> HomeEntry | None:
    waiting = [c for c in cases if c.status == _SUPPLEMENT_STATUS]
    if not waiting:
        return None
    case = waiting[0]
    return HomeEntry(
        key="case_supplement",
        label=translate("home.next.case_supplement.label", locale),
        description=translate("home.next.case_supplement.description", locale, title=case.title),
        action=case.link,
        status_text=case.status_label,
        hint=translate("home.next.case_supplement.hint", locale),
        priority=1,
    )


def build_home(
    *,
    mode: HomeMode,
    locale: str,
    bookings: Sequence[Any] = (),
    cases: Sequence[Any] = (),
    now: dt.datetime | None = None,
) -> HomeView:
    """The home for `mode` in `locale`; `bookings`/`cases` are the signed-in reader's (empty if anonymous)."""
    now = now or clock.now()
    catalogue = _ELDER if mode is HomeMode.ELDER else _STANDARD
    entries = [_entry(mode, key, action, locale, 10 + i) for i, (key, action) in enumerate(catalogue)]
    actions = [
        a
        for a in (_booking_today(bookings, locale=locale, now=now), _case_waiting(cases, locale=locale))
        if a is not None
    ]
    actions.sort(key=lambda a: a.priority)
    return HomeView(
        mode=mode,
        locale=locale,
        entries=(*actions, *entries),
        next_action=actions[0] if actions else None,
    )
