"""What domains give the workers: outbox handlers by topic, and periodic jobs.

A domain that has either defines them in `services/<domain>/jobs.py`:

    OUTBOX_HANDLERS = {"gov.case_submitted": deliver_case}     # async (event, deps) -> None
    PERIODIC_JOBS = [PeriodicJob("bookings.expire_holds", every_s=30, run=expire_holds)]  # async (deps) -> int

`deps` is the worker's runtime (adapters, redis, keys, cipher, settings), passed as a value.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from services.common.db import DOMAIN_APPS
from services.common.outbox import OutboxHandler

__all__ = ["PeriodicJob", "collect_outbox_handlers", "collect_periodic_jobs"]


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    every_s: float
    run: Callable[[Any], Awaitable[Any]]


def _domain_job_modules() -> list[Any]:
    modules = []
    for domain in DOMAIN_APPS:
        name = f"services.{domain}.jobs"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return modules


def collect_outbox_handlers() -> dict[str, OutboxHandler]:
    handlers: dict[str, OutboxHandler] = {}
    for module in _domain_job_modules():
        for topic, handler in getattr(module, "OUTBOX_HANDLERS", {}).items():
            if topic in handlers:
                raise ValueError(f"two handlers for outbox topic {topic!r}")
            handlers[topic] = handler
    return handlers


def collect_periodic_jobs() -> list[PeriodicJob]:
    jobs: list[PeriodicJob] = []
    for module in _domain_job_modules():
        jobs.extend(getattr(module, "PERIODIC_JOBS", []))
    return jobs
