"""A hospital's booking rules, kept as settings on its CareHospital row (and on each doctor's resource)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.bookings.rules import BookingRules
from services.common.errors import InvalidInput

__all__ = ["HospitalRules"]


@dataclass(frozen=True, slots=True)
class HospitalRules:
    """放号: the day `release_days` ahead opens at `release_time` (local); 退号 until
    `cancel_deadline_minutes` before the start; caps per patient per day (whole hospital) and per
    clinic; `no_show_limit` no-shows within `no_show_window_days` ban booking for `no_show_ban_days`."""

    release_days: int = 7
    release_time: str = "08:00"
    cancel_deadline_minutes: int = 120
    max_per_day: int = 3
    max_per_department: int = 1
    no_show_limit: int = 3
    no_show_window_days: int = 365
    no_show_ban_days: int = 90

    @classmethod
    def from_value(cls, value: HospitalRules | Mapping[str, Any] | None) -> HospitalRules:
        if value is None:
            return cls()
        if isinstance(value, HospitalRules):
            return value
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise InvalidInput("care.bad_rules", details={"unknown": sorted(unknown)})
        rules = cls(**dict(value))
        rules.release_at()  # refuse a malformed time now
        return rules

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def release_at(self) -> dt.time:
        try:
            return dt.time.fromisoformat(self.release_time)
        except ValueError as error:
            raise InvalidInput("care.bad_rules", details={"release_time": self.release_time}) from error

    def booking_rules(self) -> BookingRules:
        """What the booking engine enforces itself for each doctor of this hospital."""
        return BookingRules(
            min_level="real_name",
            party_size_max=1,
            per_person_per_day=1,
            advance_days=self.release_days,
            cancel_deadline_minutes=self.cancel_deadline_minutes,
            no_show_limit=self.no_show_limit,
            no_show_window_days=self.no_show_window_days,
            no_show_ban_days=self.no_show_ban_days,
            check_in_opens_minutes=120,
            waitlist=False,
        )

    def released(self, day: dt.date, *, now_local: dt.datetime) -> bool:
        """True once `day`'s numbers are out: days before the last one always; the last from release_time."""
        last_day = now_local.date() + dt.timedelta(days=self.release_days)
        if day < last_day:
            return True
        if day > last_day:
            return False
        return now_local.time() >= self.release_at()
