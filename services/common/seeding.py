"""The demo-data framework: each domain's `services/<domain>/seed.py` adds its part of Jiyuan.

A domain's module defines `async def seed_demo(ctx: SeedContext) -> int` (rows written). Seeds are
idempotent (keyed by natural codes) so `citizen-api seed --demo` can run again after any change.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.common.db import DOMAIN_APPS

__all__ = ["SeedContext", "run_seeds", "seed_modules"]


@dataclass(slots=True)
class SeedContext:
    """What seeders receive: the PII cipher, a progress callback and a shared scratchpad."""

    cipher: Any
    progress: Callable[[str], None] = lambda _label: None
    shared: dict[str, Any] = field(default_factory=dict)


def seed_modules() -> list[Any]:
    modules = []
    for domain in DOMAIN_APPS:
        name = f"services.{domain}.seed"
        if importlib.util.find_spec(name) is not None:
            modules.append(importlib.import_module(name))
    return modules


async def run_seeds(ctx: SeedContext, *, on_domain: Callable[[str, int], None] | None = None) -> int:
    """Run every domain's seeder in dependency order (DOMAIN_APPS); returns rows written."""
    total = 0
    for module in seed_modules():
        written = await module.seed_demo(ctx)
        total += written
        if on_domain:
            on_domain(module.__name__.split(".")[1], written)
    return total
