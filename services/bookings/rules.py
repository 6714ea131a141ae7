"""A resource's booking rules and weekly opening templates: plain values stored as JSON on the resource."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from services.common.errors import InvalidInput

__all__ = ["BookingRules", "Opening"]


@dataclass(frozen=True, slots=True)
class BookingRules:
    """What a resource allows. Defaults suit a simple first-come, first-served resource."""

    min_level: str = "wechat"  # services.accounts.enums.VerificationLevel value
    party_size_max: int = 1
    per_person_per_day: int | None = 1  # active bookings of one person on this resource per day
    advance_days: int = 14  # bookable from today up to this many days ahead
    cancel_deadline_minutes: int = 0  # cancellation closes this long before the start
    requires_approval: bool = False  # requested -> confirmed|denied by staff
    hold_minutes: int = 0  # > 0: a booking starts held and expires unless confirmed in time
    no_show_limit: int | None = None  # strikes that lead to a ban (hospitals: 3)
    no_show_window_days: int = 365  # strikes counted over this window, across the owner domain
    no_show_ban_days: int = 30
    visitors_required: bool = False  # real-name visitors (tourism); party size = number of visitors
    visitors_min: int = 1
    visitors_max: int = 5
    one_entry_per_visitor_per_day: bool = False
    check_in_opens_minutes: int = 60  # staff may check someone in from this long before the start
    waitlist: bool = True
    offer_minutes: int = 60  # a place freed for the first waiting person is held this long for them

    @classmethod
    def from_value(cls, value: BookingRules | Mapping[str, Any] | None) -> BookingRules:
        """Rules from a dataclass, a JSON dict (unknown keys refused) or None (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, BookingRules):
            return value
        try:
            return _parsed(tuple(value.items()))
        except TypeError:  # a value that cannot be a cache key (no rule has one): parse it each time
            return _parse(value)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_RULE_NAMES = frozenset(f.name for f in dataclasses.fields(BookingRules))


def _parse(value: Mapping[str, Any]) -> BookingRules:
    unknown = set(value) - _RULE_NAMES
    if unknown:
        raise InvalidInput("booking.bad_rules", details={"unknown": sorted(unknown)})
    return BookingRules(**dict(value))


# Every booking reads its resource's rules two or three times (issue 12); a frozen value can be shared.
@functools.lru_cache(maxsize=1024)
def _parsed(items: tuple[tuple[str, Any], ...]) -> BookingRules:
    return _parse(dict(items))


@dataclass(frozen=True, slots=True)
class Opening:
    """One weekly opening period cut into slots, in the city's local time.

    days="working": every official working day (weekends that are make-up working days included,
    public holidays skipped) — a government hall. days=[0..6] (Monday=0): those weekdays, and
    `skip_holidays` decides whether public holidays are skipped — a scenic area keeps it False.
    """

    start: dt.time
    end: dt.time
    slot_minutes: int
    capacity: int
    days: Literal["working"] | tuple[int, ...] = "working"
    skip_holidays: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_value(cls, value: Opening | Mapping[str, Any]) -> Opening:
        if isinstance(value, Opening):
            return value
        data = dict(value)
        try:
            days = data.get("days", "working")
            opening = cls(
                start=_time(data["start"]),
                end=_time(data["end"]),
                slot_minutes=int(data["slot_minutes"]),
                capacity=int(data["capacity"]),
                days="working" if days == "working" else tuple(int(d) for d in days),
                skip_holidays=bool(data.get("skip_holidays", True)),
                extra=dict(data.get("extra") or {}),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidInput("booking.bad_opening") from error
        if opening.slot_minutes <= 0 or opening.capacity < 0 or opening.end <= opening.start:
            raise InvalidInput("booking.bad_opening")
        return opening

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M"),
            "slot_minutes": self.slot_minutes,
            "capacity": self.capacity,
            "days": self.days if self.days == "working" else list(self.days),
            "skip_holidays": self.skip_holidays,
            "extra": self.extra,
        }


def _time(value: Any) -> dt.time:
    if isinstance(value, dt.time):
        return value
    return dt.time.fromisoformat(str(value))
