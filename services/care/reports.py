"""What care contributes to platform search and to the operations dashboard."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from services.care.enums import AppointmentStatus, CareServiceKind
from services.care.models import CareAppointment, CareDepartment, CareDoctor, CareHospital, CareOrder
from services.common import clock

__all__ = ["dashboard_figures", "index_catalogue", "search_documents"]


async def search_documents() -> list[dict[str, Any]]:
    """Hospitals, clinics and doctors as search documents (kind, ref, title, summary, keywords, url)."""
    hospitals = {h.his_id: h for h in await CareHospital.all()}
    docs: list[dict[str, Any]] = []
    for h in hospitals.values():
        docs.append(
            {
                "kind": "hospital",
                "ref": h.his_id,
                "title": {
                    "zh_CN": h.name.get("zh_CN", h.his_id),
                    "en": h.name.get("en", h.name.get("zh_CN", "")),
                },
                "summary": {"zh_CN": h.address or ""} if h.address else None,
                "keywords": ["医院", "挂号", "hospital"],
                "url": f"/pages/care/hospital?id={h.his_id}",
            }
        )
    for d in await CareDepartment.all():
        hospital = hospitals.get(d.hospital_his_id)
        hospital_name = hospital.name.get("zh_CN", "") if hospital else ""
        docs.append(
            {
                "kind": "department",
                "ref": d.his_id,
                "title": {"zh_CN": f"{d.name}（{hospital_name}）"},
                "summary": {"zh_CN": hospital_name},
                "keywords": [d.name, "科室"],
                "url": f"/pages/care/department?id={d.his_id}",
            }
        )
    for doc in await CareDoctor.all():
        hospital = hospitals.get(doc.hospital_his_id)
        hospital_name = hospital.name.get("zh_CN", "") if hospital else ""
        docs.append(
            {
                "kind": "doctor",
                "ref": doc.his_id,
                "title": {"zh_CN": f"{doc.name} {doc.title}"},
                "summary": {"zh_CN": f"{hospital_name} {doc.specialty or ''}".strip()},
                "keywords": [doc.name, doc.title, doc.specialty or ""],
                "url": f"/pages/care/doctor?id={doc.his_id}",
            }
        )
    return docs


async def index_catalogue() -> int:
    """Put every search document into the platform index (until the composition indexes contributions)."""
    from services.search import service as search

    documents = await search_documents()
    for doc in documents:
        await search.index_document(**doc)
    return len(documents)


async def dashboard_figures(*, start: dt.datetime, end: dt.datetime, scope: Any = None) -> dict[str, Any]:
    """Per local day: appointments made, no-shows, care orders, emergency calls, emergency response times."""
    days: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"appointments": 0, "no_shows": 0, "care_orders": 0, "emergency_calls": 0, "response_s": []}
    )
    made = await CareAppointment.filter(created_at__gte=start, created_at__lt=end).values_list(
        "created_at", flat=True
    )
    for created_at in made:
        days[clock.local_date(created_at).isoformat()]["appointments"] += 1
    for slot_start in await CareAppointment.filter(
        status=AppointmentStatus.NOSHOW, slot_start__gte=start, slot_start__lt=end
    ).values_list("slot_start", flat=True):
        days[clock.local_date(slot_start).isoformat()]["no_shows"] += 1
    rows = await CareOrder.filter(created_at__gte=start, created_at__lt=end).values_list(
        "created_at", "kind", "accepted_at"
    )
    for created_at, kind, accepted_at in rows:
        day = days[clock.local_date(created_at).isoformat()]
        if kind == CareServiceKind.EMERGENCY:
            day["emergency_calls"] += 1
            if accepted_at is not None:
                day["response_s"].append((accepted_at - created_at).total_seconds())
        else:
            day["care_orders"] += 1
    by_day = {}
    all_response: list[float] = []
    for key in sorted(days):
        figures = days[key]
        response = figures.pop("response_s")
        all_response += response
        figures["emergency_response_median_s"] = round(statistics.median(response), 1) if response else None
        by_day[key] = figures
    totals = {
        name: sum(d[name] for d in by_day.values())
        for name in ("appointments", "no_shows", "care_orders", "emergency_calls")
    }
    totals["emergency_response_median_s"] = (
        round(statistics.median(all_response), 1) if all_response else None
    )
    totals["emergency_response_max_s"] = round(max(all_response), 1) if all_response else None
    return {"totals": totals, "by_day": by_day}
