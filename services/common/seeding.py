"""The demo-data framework: each domain's `seed_demo(ctx)` adds its part of Jiyuan.

A domain's seed is declared in its `Domain` value and listed by the composition root; seeds are
idempotent (keyed by natural codes) so `citizen-api seed --demo` can run again after any change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SeedContext", "Seeder", "run_seeds"]

Seeder = Callable[["SeedContext"], Awaitable[int]]


@dataclass(slots=True)
class SeedContext:
    """What seeders receive: the PII cipher, a progress callback and a shared scratchpad."""

    cipher: Any
    progress: Callable[[str], None] = lambda _label: None
    shared: dict[str, Any] = field(default_factory=dict)


async def run_seeds(
    ctx: SeedContext,
    *,
    seeders: Sequence[tuple[str, Seeder]],
    on_domain: Callable[[str, int], None] | None = None,
) -> int:
    """Run `seeders` (domain name, seed function) in order; returns rows written."""
    total = 0
    for name, seed in seeders:
        written = await seed(ctx)
        total += written
        if on_domain:
            on_domain(name, written)
    return total
