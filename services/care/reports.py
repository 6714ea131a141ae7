"""What care contributes to platform search and to the operations dashboard."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from services.care.enums import ACTIVE_ORDER_STATUSES, AppointmentStatus, CareServiceKind
from services.care.models import CareDepartment, CareDoctor, CareHospital, CareOrder
from services.common.db import dialect
from services.ops.aggregate import FigureScope, Query, Series, fetch, local_day, utc_bounds

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
                "url": f"/pages/care/hospital?id={d.hospital_his_id}&department={d.his_id}",
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


async def _per_day(
    column: str,
    table: str,
    start: dt.date,
    end: dt.date,
    *,
    where: str = "",
    values: tuple[Any, ...] = (),
    series: str | None = None,
    value: str = "COUNT(*)",
) -> list[dict[str, Any]]:
    query = Query()
    lower, upper = utc_bounds(start, end)
    condition = f"{column} >= {query.param(lower)} AND {column} < {query.param(upper)}"
    if where:
        condition += " AND " + where.format(*[query.param(v) for v in values])
    grouping = f", {series} AS series" if series else ""
    sql = (
        f"SELECT {local_day(column)} AS day{grouping}, {value} AS value FROM {table} "  # noqa: S608
        f"WHERE {condition} GROUP BY 1{', 2' if series else ''}"
    )
    return await fetch(sql, query)


def _hospitals_of(scope: FigureScope) -> tuple[str, ...] | None:
    """None: the whole city; else the hospitals (scope "hospital:<his id>") the reader may see."""
    if scope.city_wide:
        return None
    return tuple(
        sorted(d.removeprefix("hospital:") for d in scope.departments or () if d.startswith("hospital:"))
    )


async def dashboard_figures(*, start: dt.date, end: dt.date, scope: FigureScope) -> dict[str, Any] | None:
    """Per local day: appointments (by hospital), no-shows, care orders (by service), emergency calls and
    their response time (seconds from the call to the provider's acceptance)."""
    hospitals = _hospitals_of(scope)
    if hospitals == ():
        return None
    in_scope = ""
    scoped: tuple[Any, ...] = ()
    if hospitals is not None:
        in_scope = "hospital_his_id IN (" + ", ".join(f"{{{i}}}" for i in range(len(hospitals))) + ")"
        scoped = hospitals
    series = Series()
    for metric in ("appointments", "no_shows"):
        series.ensure(metric)
    series.add(
        "appointments",
        await _per_day(
            "created_at",
            "care_appointment",
            start,
            end,
            where=in_scope,
            values=scoped,
            series="hospital_his_id",
        ),
    )
    noshow_where = f"status = {{{len(scoped)}}}" + (" AND " + in_scope if in_scope else "")
    series.add(
        "no_shows",
        await _per_day(
            "slot_start",
            "care_appointment",
            start,
            end,
            where=noshow_where,
            values=(*scoped, AppointmentStatus.NOSHOW.value),
        ),
    )
    if hospitals is not None:
        return {"daily": series.as_dict(), "current": {}, "totals": {}}
    emergency = CareServiceKind.EMERGENCY.value
    for metric in ("care_orders", "emergency_calls", "emergency_response_s"):
        series.ensure(metric)
    series.add(
        "care_orders",
        await _per_day(
            "created_at", "care_order", start, end, where="kind <> {0}", values=(emergency,), series="kind"
        ),
    )
    series.add(
        "emergency_calls",
        await _per_day("created_at", "care_order", start, end, where="kind = {0}", values=(emergency,)),
    )
    seconds = (
        "AVG(EXTRACT(EPOCH FROM accepted_at - created_at))"
        if dialect() == "postgres"
        else "AVG((julianday(accepted_at) - julianday(created_at)) * 86400.0)"
    )
    series.add(
        "emergency_response_s",
        await _per_day(
            "created_at",
            "care_order",
            start,
            end,
            where="kind = {0} AND accepted_at IS NOT NULL",
            values=(emergency,),
            value=seconds,
        ),
    )
    lower, upper = utc_bounds(start, end)
    answered = await CareOrder.filter(
        kind=CareServiceKind.EMERGENCY, created_at__gte=lower, created_at__lt=upper, accepted_at__isnull=False
    ).values_list("created_at", "accepted_at")
    waits = [(accepted - created).total_seconds() for created, accepted in answered]
    live = [s.value for s in ACTIVE_ORDER_STATUSES]
    return {
        "daily": series.as_dict(),
        "current": {
            "open_emergency_calls": await CareOrder.filter(
                kind=CareServiceKind.EMERGENCY, status__in=live
            ).count(),
            "active_orders": await CareOrder.filter(status__in=live)
            .exclude(kind=CareServiceKind.EMERGENCY)
            .count(),
        },
        "totals": {
            "emergency_response_median_s": round(statistics.median(waits), 1) if waits else None,
            "emergency_response_max_s": round(max(waits), 1) if waits else None,
        },
    }
