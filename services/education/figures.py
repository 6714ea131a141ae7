"""What education contributes to platform search (schools) and to the operations dashboard."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from services.education.enums import ApplicationStatus, SchoolLevel, SchoolOwnership
from services.education.models import AdmissionPlan, Application, EnrollmentRound, School
from services.education.rounds import load_round, phase_at

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


async def dashboard_figures(
    *, start: dt.datetime | None = None, end: dt.datetime | None = None, scope: Any = None
) -> dict[str, Any]:
    """Per round: its phase, applications by status and category, the review backlog, places vs applicants."""
    query = Application.all()
    if start is not None:
        query = query.filter(created_at__gte=start)
    if end is not None:
        query = query.filter(created_at__lt=end)
    rows = await query.values("round_id", "school_id", "status", "category")
    rounds_out = []
    for round_ in await EnrollmentRound.all().order_by("-year", "code"):
        _, windows = await load_round(round_.id)
        mine = [r for r in rows if r["round_id"] == round_.id]
        plans = await AdmissionPlan.filter(round_id=round_.id).prefetch_related("school")
        applicants = Counter(r["school_id"] for r in mine if r["status"] != ApplicationStatus.WITHDRAWN)
        rounds_out.append(
            {
                "round": round_.code,
                "phase": phase_at(windows, dt.datetime.now(dt.UTC)).value,
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
    return {"rounds": rounds_out}
