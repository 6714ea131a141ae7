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
    "fresh_districts",
    "make_round",
    "seed_catalogue",
    "windows_around",
]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 64
)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def fresh_districts(app) -> None:
    """Forget the app's cached district index (each test seeds its own rows)."""
    cache = getattr(app.ctx, "education_districts", None)
    if cache is not None:
        cache.invalidate()


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


IDENTITY_CONTROL = "identity"


async def real_name_parent(
    client,
    settings,
    *,
    name: str = "王建国",
    born: dt.date = dt.date(1990, 5, 1),
    serial: str = "123",
    roles=None,
    locale: str | None = None,
):
    """A user verified through POST /me/identity (the identity sandbox), and their ID number."""
    from services.accounts.enums import VerificationLevel
    from services.accounts.models import User
    from tests.factories import auth_headers, make_user

    id_number = make_id_number(birth=born, serial=serial)
    user = await make_user(level=VerificationLevel.PHONE, roles=roles, locale=locale)
    response = await client.post(
        "/api/v1/me/identity",
        json={"name": name, "id_number": id_number},
        headers=auth_headers(user, settings),
    )
    assert response.status_code == 200, response.text
    return await User.get(id=user.id), id_number


async def register_household(settings, guardian_id: str, child_id_number: str) -> None:
    """Tell the identity sandbox's household register that the guardian is the child's parent."""
    async with httpx.AsyncClient(base_url=settings.sandbox_url("identity"), timeout=30) as control:
        response = await control.post(
            "/__households", json={"guardian_id_number": guardian_id, "child_id_number": child_id_number}
        )
        assert response.status_code == 200


async def household_checks(settings) -> list[dict]:
    async with httpx.AsyncClient(base_url=settings.sandbox_url("identity"), timeout=30) as control:
        return (await control.get("/__households")).json()["checks"]


async def clear_households(settings) -> None:
    async with httpx.AsyncClient(base_url=settings.sandbox_url("identity"), timeout=30) as control:
        await control.delete("/__households")


def application_body(round_code: str, child_id_number: str, **overrides) -> dict:
    body = {
        "round_id": round_code,
        "school_id": "JY-P02",
        "child_name": "王小明",
        "child_id_number": child_id_number,
        "relation": "father",
        "category": "hukou_and_property",
        "address": "济源市济源碧桂园12号楼3单元502",
        "consent": True,
    }
    return body | overrides


async def upload_all(client, headers, application_id: str, codes) -> None:
    for code in codes:
        response = await client.post(
            f"/api/v1/education/enrollments/{application_id}/materials",
            data={"material_code": code},
            files={"file": (f"{code}.pdf", PDF, "application/pdf")},
            headers=headers,
        )
        assert response.status_code == 201, response.text


async def deliver_education(runtime, *, rounds: int = 20) -> None:
    """Run the outbox until nothing of education's is pending."""
    import asyncio

    from citizen_api.worker import deliver_outbox_once
    from services.common.models import OutboxMessage, OutboxStatus

    for _ in range(rounds):
        await deliver_outbox_once(runtime)
        pending = await OutboxMessage.filter(
            topic__startswith="education.", status__in=[OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT]
        ).count()
        if not pending:
            return
        await asyncio.sleep(0.05)
