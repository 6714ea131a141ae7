"""What a domain contributes to the running system, declared once in citizen_api/composition.py.

Each domain builds one `Domain` value in `services/<domain>/domain.py` (plain imports of its own
functions, no side effects); the composition root lists those values explicitly. Nothing is found
by file name and nothing registers itself on import. `validate_domains` refuses, at start-up, a
duplicate name or outbox topic, a periodic job without a name, or a hook that is not a coroutine
function, so a misspelt or missing contribution fails loudly instead of silently doing nothing.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.common.outbox import OutboxHandler
    from services.common.seeding import SeedContext
    from services.deps import Deps

__all__ = [
    "Domain",
    "PeriodicJob",
    "PrivacyHooks",
    "validate_domains",
]


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A job the workers run every `every_s` seconds, once per period across all processes."""

    name: str
    every_s: float
    run: Callable[[Deps], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class PrivacyHooks:
    """A domain's part of PIPL export and erasure.

    export: `async (*, user_id, cipher) -> dict` — what the domain holds about the person, in clear.
    erase: `async (*, user_id, conn, deps) -> None` — wipe it inside the deletion's transaction
    (`conn`); outside effects (voiding a ticket, deleting a stored file) go through the outbox or
    run after commit. Hooks may declare only the keyword arguments they use.
    tables: every database table of the domain that holds personal data and is covered by these
    hooks; a test derives the personal-data tables from the models and checks each is listed.
    """

    export: Callable[..., Awaitable[dict[str, Any]]]
    erase: Callable[..., Awaitable[None]] | None
    tables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Domain:
    """Everything one domain plugs into the system. Only `name` is required."""

    name: str
    # Tortoise app: the models module and its migrations package (None for a domain without tables).
    models: str | None = None
    migrations: str | None = None
    outbox_handlers: Mapping[str, OutboxHandler] = field(default_factory=dict)
    periodic_jobs: Sequence[PeriodicJob] = ()
    seed: Callable[[SeedContext], Awaitable[int]] | None = None
    privacy: PrivacyHooks | None = None
    # services.bookings.policy.BookingPolicy: guards and the post-booking hook of the resources it owns.
    booking_policy: Any = None
    # `async () -> list[services.search.documents.SearchDocument]`: what the platform search indexes.
    search_documents: Callable[..., Awaitable[Sequence[Any]]] | None = None
    # services.common.timeline.TimelineSource: this domain's entries in the "my cases" timeline.
    timeline: Any = None
    # `async (*, start, end, scope) -> dict`: this domain's figures for the operations dashboard.
    dashboard_figures: Callable[..., Awaitable[Mapping[str, Any]]] | None = None
    # Tables that refer to a person but deliberately stay on erasure, each with the reason (e.g. a
    # staff member's authorship of a notice). The privacy-contract test accepts only these, the
    # tables in `privacy.tables`, and the accounts frame.
    kept_on_erasure: Mapping[str, str] = field(default_factory=dict)


def _require_coroutine(owner: str, what: str, fn: Any) -> None:
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"domain {owner!r}: {what} must be an async function, got {fn!r}")


def validate_domains(domains: Sequence[Domain]) -> None:
    """Refuse an inconsistent composition at start-up (names, topics, jobs, hooks)."""
    names: set[str] = set()
    topics: dict[str, str] = {}
    jobs: dict[str, str] = {}
    for domain in domains:
        if not isinstance(domain, Domain):
            raise TypeError(f"the composition lists {domain!r}, which is not a Domain")
        if domain.name in names:
            raise ValueError(f"domain {domain.name!r} is listed twice")
        names.add(domain.name)
        if (domain.models is None) != (domain.migrations is None):
            raise ValueError(f"domain {domain.name!r}: models and migrations go together")
        for topic, handler in domain.outbox_handlers.items():
            if topic in topics:
                raise ValueError(f"outbox topic {topic!r} has two handlers ({topics[topic]}, {domain.name})")
            topics[topic] = domain.name
            _require_coroutine(domain.name, f"outbox handler {topic!r}", handler)
        for job in domain.periodic_jobs:
            if not isinstance(job, PeriodicJob) or not job.name or job.every_s <= 0:
                raise ValueError(f"domain {domain.name!r}: bad periodic job {job!r}")
            if job.name in jobs:
                raise ValueError(f"periodic job {job.name!r} is declared twice")
            jobs[job.name] = domain.name
            _require_coroutine(domain.name, f"periodic job {job.name!r}", job.run)
        for what in ("seed", "search_documents", "dashboard_figures"):
            fn = getattr(domain, what)
            if fn is not None:
                _require_coroutine(domain.name, what, fn)
        if domain.privacy is not None:
            _require_coroutine(domain.name, "privacy export", domain.privacy.export)
            if domain.privacy.erase is not None:
                _require_coroutine(domain.name, "privacy erase", domain.privacy.erase)
            if not domain.privacy.tables:
                raise ValueError(f"domain {domain.name!r}: privacy hooks must list the tables they cover")
        for table, reason in domain.kept_on_erasure.items():
            if not reason.strip():
                raise ValueError(f"domain {domain.name!r}: say why {table!r} is kept on erasure")
