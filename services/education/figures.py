"""What education contributes to platform search (schools) and to the operations dashboard."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from services.common import clock
from services.education.enums import ApplicationStatus, SchoolLevel, SchoolOwnership
from services.education.models import AdmissionPlan, Application, EnrollmentRound, School
from services.education.rounds import load_round, phase_at
from services.education.views import BUREAU_DEPARTMENT

__all__ = ["dashboard_figures", "search_documents"]

_BACKLOG = (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW, ApplicationStatus.SUPPLEMENT_REQUESTED)
_LEVEL = {
    SchoolLevel.PRIMARY: ("小学", "primary school"),
    SchoolLevel.JUNIOR: ("初中", "junior middle school"),
}
_OWNERSHIP = {SchoolOwnership.PUBLIC: ("公办", "public"), SchoolOwnership.PRIVATE: ("民办", "private")}


async def search_documents() -> list[dict[str, Any]]:
    """One search document per school (services.search.service.index_document keyword arguments)."""
    documents = []
    for school in await School.all().order_by("code"):
        level_zh, level_en = _LEVEL[SchoolLevel(school.level)]
        own_zh, own_en = _OWNERSHIP[SchoolOwnership(school.ownership)]
        documents.append(
            {
                "kind": "school",
                "ref": str(school.id),
                "title": {"zh_CN": school.name_zh, "en": school.name_en},
                "summary": {
                    "zh_CN": f"{own_zh}{level_zh} · {school.address_zh}",
                    "en": f"{own_en} {level_en} · {school.address_en}",
                },
                "keywords": ["学校", "招生", "学区", level_zh, school.sub_district],
                "url": f"/api/v1/education/schools/{school.id}",
            }
        )
    return documents


async def dashboard_figures(*, start: dt.date, end: dt.date, scope: Any) -> dict[str, Any] | None:
    """Per round: its phase, applications by status and category, the review backlog, places vs applicants.

    `start`..`end` are local days (applications created then); the bureau's operators and city-wide
    readers see these figures, other departments do not (None).
    """
    if scope.departments is not None and BUREAU_DEPARTMENT not in scope.departments:
        return None
    # Bounds in UTC, as the rows are stored: SQLite compares datetimes as text, so a +08:00 bound
    # missed the applications of the first eight hours of a local day.
    since = dt.datetime.combine(start, dt.time(), tzinfo=clock.CITY_TZ).astimezone(clock.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=clock.CITY_TZ).astimezone(
        clock.UTC
    )
    rows = await Application.filter(created_at__gte=since, created_at__lt=until).values(
        "round_id", "school_id", "status", "category", "created_at"
    )
    days = [(start + dt.timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]
    per_day = Counter(clock.local_date(r["created_at"]).isoformat() for r in rows)
    now = clock.now()
    rounds_out = []
    for round_ in await EnrollmentRound.all().order_by("-year", "code"):
        _, windows = await load_round(round_.id)
        mine = [r for r in rows if r["round_id"] == round_.id]
        plans = await AdmissionPlan.filter(round_id=round_.id).prefetch_related("school")
        applicants = Counter(r["school_id"] for r in mine if r["status"] != ApplicationStatus.WITHDRAWN)
        rounds_out.append(
            {
                "round": round_.code,
                "phase": phase_at(windows, now).value,
                "applications_by_status": dict(Counter(str(r["status"]) for r in mine)),
                "applications_by_category": dict(Counter(str(r["category"]) for r in mine)),
                "review_backlog": sum(1 for r in mine if r["status"] in _BACKLOG),
                "schools": [
                    {
                        "school": p.school.code,
                        "places": p.places,
                        "applicants": applicants.get(p.school_id, 0),
                        "oversubscribed": applicants.get(p.school_id, 0) > p.places,
                    }
                    for p in sorted(plans, key=lambda p: p.school.code)
                ],
            }
        )
    return {
        "daily": {"applications": {"all": {day: float(per_day.get(day, 0)) for day in days}}},
        "current": {"rounds": rounds_out},
        "totals": {
            "applications": len(rows),
            "review_backlog": sum(1 for r in rows if r["status"] in _BACKLOG),
        },
    }
