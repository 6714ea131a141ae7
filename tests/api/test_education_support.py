"""Shared set-up for the education tests: demo schools and districts, a round with chosen phase
times, families whose relation the identity sandbox confirms, and the bureau sandbox's controls."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator

import httpx

from integrations.sandbox.identity import make_id_number
from services.common import clock
from services.common.seeding import SeedContext
from services.education import catalogue, rounds
from services.education.enums import Phase, SchoolLevel
from services.education.seed import seed_schools

__all__ = [
    "PDF",
    "PNG",
    "bureau_control",
    "child_id",
    "make_round",
    "seed_catalogue",
    "windows_around",
]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


async def seed_catalogue() -> None:
    """The demo schools and the demo districts file."""
    await seed_schools()
    await catalogue.import_districts_file(catalogue.DEMO_DISTRICTS_FILE)


def windows_around(
    phase: Phase, *, now: dt.datetime | None = None
) -> dict[Phase, tuple[dt.datetime, dt.datetime]]:
    """Six consecutive one-day phases placed so that `phase` is open now (for 12 more hours)."""
    now = now or clock.now()
    order = [
        Phase.REGISTRATION,
        Phase.REVIEW,
        Phase.SUPPLEMENT,
        Phase.PUBLICITY,
        Phase.ADMISSION,
        Phase.REPORTING,
    ]
    start = now - dt.timedelta(hours=12) - dt.timedelta(days=order.index(phase))
    return {p: (start + dt.timedelta(days=i), start + dt.timedelta(days=i + 1)) for i, p in enumerate(order)}


async def make_round(
    runtime,
    *,
    phase: Phase = Phase.REGISTRATION,
    phases: dict | None = None,
    level: SchoolLevel = SchoolLevel.PRIMARY,
    plans: dict[str, tuple[int, int]] | None = None,
    code: str = "T-2027-primary",
    year: int = 2027,
):
    """A round whose `phase` is open now (or with explicit `phases`)."""
    plans = plans or (
        {"JY-P01": (2, 1), "JY-P02": (50, 5), "JY-P08": (2, 1), "JY-P09": (10, 2)}
        if level == SchoolLevel.PRIMARY
        else {"JY-J01": (100, 10)}
    )
    return await rounds.upsert_round(
        code=code,
        year=year,
        level=level,
        name_zh="测试批次",
        name_en="Test round",
        phases=phases or windows_around(phase),
        plans=plans,
        cipher=runtime.cipher,
    )


def child_id(*, born: dt.date = dt.date(2021, 3, 15), serial: str = "456") -> str:
    """A valid ID number of a Jiyuan child."""
    return make_id_number(birth=born, serial=serial)


@contextlib.asynccontextmanager
async def bureau_control(settings) -> AsyncIterator[httpx.AsyncClient]:
    """Control routes of the education-bureau sandbox mounted on the API."""
    async with httpx.AsyncClient(base_url=settings.sandbox_url("education_bureau"), timeout=30) as control:
        await control.delete("/__faults")
        yield control
        await control.delete("/__faults")


async def seed_all(runtime) -> None:
    """The full demo seed (what `citizen-api seed --demo` runs for education)."""
    from services.education.seed import seed_demo

    await seed_demo(SeedContext(cipher=runtime.cipher))
