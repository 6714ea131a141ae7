"""Booking policies: what an owning domain adds to the engine for the resources it owns.

Declared in the domain's `domain.py` (`Domain.booking_policy`), collected once by the composition
root into `BookingPolicies`, and passed to the engine's functions as a value (no module global).
The engine's single admission step runs the guards of the resource's owner for booking, joining a
waitlist and waitlist promotion alike; `after_booking` and `after_release` run inside the
transaction that creates or releases the booking; `visible` decides who may read the resource and
its slots at all (a members-only event's title is not for outsiders); `attendance` lets an owner
whose outside system records who came (a hospital's HIS) decide no-shows instead of the engine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AfterBooking",
    "AfterRelease",
    "Attendance",
    "BookingPolicies",
    "BookingPolicy",
    "Guard",
    "Visible",
]

# async (*, resource, slot, actor, party_size, purpose, visitors) -> None; raises a DomainError to refuse.
# Guards should accept **_ so the engine can pass more facts later.
Guard = Callable[..., Awaitable[None]]
# async (*, booking, resource, slot, actor, visitors, conn) -> None; runs in the booking transaction.
# `booking` is a BookingView, `visitors` the engine's cleaned visitors (documents.CleanVisitor).
AfterBooking = Callable[..., Awaitable[None]]
# async (*, booking_id, status, conn) -> None; runs in the transaction that cancels/expires/denies it.
AfterRelease = Callable[..., Awaitable[None]]
# async (*, resource, viewer) -> bool; viewer is a Principal or None (anonymous).
Visible = Callable[..., Awaitable[bool]]
# async (*, booking_ids) -> Mapping[UUID, str | None]: for confirmed bookings whose slot ended, what the
# owner's system says: "no_show", "checked_in", or None (not known yet: the booking stays confirmed,
# and the engine never guesses a no-show — a strike — for it).
Attendance = Callable[..., Awaitable[Mapping[Any, str | None]]]


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    owner_domain: str
    guards: tuple[Guard, ...] = ()
    after_booking: AfterBooking | None = None
    after_release: AfterRelease | None = None
    visible: Visible | None = None
    attendance: Attendance | None = None


@dataclass(frozen=True, slots=True)
class BookingPolicies:
    """Every domain's policy, by owner domain; empty when a domain declares none."""

    by_domain: Mapping[str, BookingPolicy] = field(default_factory=dict)

    @classmethod
    def collect(cls, policies: Iterable[Any]) -> BookingPolicies:
        found: dict[str, BookingPolicy] = {}
        for policy in policies:
            if policy is None:
                continue
            if not isinstance(policy, BookingPolicy):
                raise TypeError(f"{policy!r} is not a BookingPolicy")
            if policy.owner_domain in found:
                raise ValueError(f"two booking policies for {policy.owner_domain!r}")
            found[policy.owner_domain] = policy
        return cls(by_domain=found)

    def _policy(self, owner_domain: str) -> BookingPolicy | None:
        return self.by_domain.get(str(owner_domain))

    def guards_for(self, owner_domain: str) -> tuple[Guard, ...]:
        policy = self._policy(owner_domain)
        return policy.guards if policy else ()

    def after_booking_for(self, owner_domain: str) -> AfterBooking | None:
        policy = self._policy(owner_domain)
        return policy.after_booking if policy else None

    def after_release_for(self, owner_domain: str) -> AfterRelease | None:
        policy = self._policy(owner_domain)
        return policy.after_release if policy else None

    def visible_for(self, owner_domain: str) -> Visible | None:
        policy = self._policy(owner_domain)
        return policy.visible if policy else None

    def attendance_for(self, owner_domain: str) -> Attendance | None:
        policy = self._policy(owner_domain)
        return policy.attendance if policy else None
