"""The department case queue behind the console: my departments' open cases, earliest due first."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from services.accounts.enums import Role
from services.common import clock
from services.gov.enums import CaseStatus
from services.gov.models import Case
from tests.factories import auth_headers, make_user

pytestmark = pytest.mark.usefixtures("app")


async def _case(ref: str, department: str, status: CaseStatus, due_in_days: int, applicant) -> Case:
    return await Case.create(
        ref=ref,
        user_id=applicant.id,
        created_by_id=applicant.id,
        item_code="hukou.move",
        department_code=department,
        status=status,
        submitted_at=clock.now(),
        accepted_at=clock.now(),
        due_date=clock.local_date() + dt.timedelta(days=due_in_days),
        supplement={"message": "请补充户口簿", "materials": ["hukou_book"]}
        if status is CaseStatus.SUPPLEMENT_REQUESTED
        else None,
    )


async def test_case_queue__my_departments_open_cases_overdue_first(
    client: httpx.AsyncClient, settings
) -> None:
    operator = await make_user(roles={Role.DEPT_OPERATOR: ["gongan"]})
    applicant = await make_user()
    later = await _case("JY-LATER", "gongan", CaseStatus.IN_REVIEW, 5, applicant)
    late = await _case("JY-LATE", "gongan", CaseStatus.ACCEPTED, -2, applicant)
    paused = await _case("JY-PAUSED", "gongan", CaseStatus.SUPPLEMENT_REQUESTED, -1, applicant)
    await _case("JY-OTHER", "shebao", CaseStatus.IN_REVIEW, -3, applicant)
    await _case("JY-DONE", "gongan", CaseStatus.COMPLETED, -4, applicant)
    headers = auth_headers(operator, settings)

    body = (await client.get("/api/v1/ops/cases", headers=headers)).json()
    assert [i["ref"] for i in body["items"]] == ["JY-LATE", "JY-PAUSED", "JY-LATER"]
    by_ref = {i["ref"]: i for i in body["items"]}
    assert by_ref["JY-LATE"]["overdue"] is True
    assert by_ref["JY-PAUSED"]["overdue"] is False  # 补正 stops the clock
    assert by_ref["JY-PAUSED"]["supplement"]["materials"] == ["hukou_book"]
    assert str(applicant.id) not in str(body)

    first = (await client.get("/api/v1/ops/cases", params={"limit": 2}, headers=headers)).json()
    rest = (
        await client.get(
            "/api/v1/ops/cases", params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
        )
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [str(late.id), str(paused.id), str(later.id)]
    only = (
        await client.get("/api/v1/ops/cases", params={"status": "supplement_requested"}, headers=headers)
    ).json()
    assert [i["ref"] for i in only["items"]] == ["JY-PAUSED"]


async def test_case_queue__refused_to_others_and_for_closed_states(
    client: httpx.AsyncClient, settings
) -> None:
    resident = await make_user()
    assert (
        await client.get("/api/v1/ops/cases", headers=auth_headers(resident, settings))
    ).status_code == 403
    operator = await make_user(roles={Role.DEPT_OPERATOR: ["gongan"]})
    headers = auth_headers(operator, settings)
    assert (
        await client.get("/api/v1/ops/cases", params={"status": "draft"}, headers=headers)
    ).status_code == 422
    assert (
        await client.get("/api/v1/ops/cases", params={"status": "nonsense"}, headers=headers)
    ).status_code == 422
