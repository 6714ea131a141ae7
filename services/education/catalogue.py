"""Schools, their admission plans and school districts: the public side of the education domain."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from services.common.ids import parse_id
from services.common.pagination import Page, keyset_page
from services.education.districts import DistrictIndex, DistrictIndexCache, LookupResult, parse_district_file
from services.education.enums import SchoolLevel, SchoolOwnership
from services.education.errors import DistrictFileInvalid, LookupQueryInvalid, SchoolNotFound
from services.education.models import AdmissionPlan, District, School

__all__ = [
    "DEMO_DISTRICTS_FILE",
    "PlanView",
    "SchoolView",
    "district_index",
    "get_school",
    "import_districts",
    "import_districts_file",
    "list_schools",
    "lookup_district",
    "school_summary",
]

DEMO_DISTRICTS_FILE = Path(__file__).resolve().parent / "data" / "districts.geojson"


@dataclass(frozen=True, slots=True)
class PlanView:
    round_id: uuid.UUID
    round_code: str
    places: int
    waitlist_places: int


@dataclass(frozen=True, slots=True)
class SchoolView:
    id: uuid.UUID
    code: str
    name_zh: str
    name_en: str
    ownership: SchoolOwnership
    level: SchoolLevel
    address_zh: str
    address_en: str
    sub_district: str
    lat: float
    lng: float
    phone: str
    demo: bool
    name_real: bool
    districts: list[dict[str, str]]
    plans: list[PlanView]


def school_summary(school: School) -> dict[str, Any]:
    """The plain values of a school the district index and lookups carry."""
    return {
        "id": str(school.id),
        "code": school.code,
        "name_zh": school.name_zh,
        "name_en": school.name_en,
        "ownership": SchoolOwnership(school.ownership).value,
        "level": SchoolLevel(school.level).value,
        "address_zh": school.address_zh,
        "address_en": school.address_en,
        "phone": school.phone,
    }


async def _view(school: School) -> SchoolView:
    districts = (
        await District.filter(school_id=school.id).order_by("code").values("id", "code", "name_zh", "name_en")
    )
    plans = await AdmissionPlan.filter(school_id=school.id).prefetch_related("round")
    return SchoolView(
        id=school.id,
        code=school.code,
        name_zh=school.name_zh,
        name_en=school.name_en,
        ownership=SchoolOwnership(school.ownership),
        level=SchoolLevel(school.level),
        address_zh=school.address_zh,
        address_en=school.address_en,
        sub_district=school.sub_district,
        lat=school.lat,
        lng=school.lng,
        phone=school.phone,
        demo=school.demo,
        name_real=school.name_real,
        districts=[{k: str(v) for k, v in d.items()} for d in districts],
        plans=[
            PlanView(
                round_id=p.round.id,
                round_code=p.round.code,
                places=p.places,
                waitlist_places=p.waitlist_places,
            )
            for p in sorted(plans, key=lambda p: p.round.code)
        ],
    )


async def list_schools(
    *,
    level: SchoolLevel | None = None,
    ownership: SchoolOwnership | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """Schools, filtered by level and ownership, in a stable order."""
    query = School.all()
    if level is not None:
        query = query.filter(level=level)
    if ownership is not None:
        query = query.filter(ownership=ownership)
    page = await keyset_page(query, limit=limit, cursor=cursor, descending=False)
    return Page(items=[await _view(s) for s in page.items], next_cursor=page.next_cursor)


async def get_school(*, school_id: str) -> SchoolView:
    """One school with its districts and admission plans; a code works as well as an id."""
    parsed = parse_id(school_id)
    school = await (School.get_or_none(id=parsed) if parsed else School.get_or_none(code=school_id[:32]))
    if school is None:
        raise SchoolNotFound()
    return await _view(school)


async def import_districts(*, document: Any, source: str = "") -> int:
    """Upsert the districts of a GeoJSON file (format in data/README.md); returns how many."""
    rows = parse_district_file(document)
    schools = {s.code: s for s in await School.filter(code__in=[r["school_code"] for r in rows])}
    missing = sorted({r["school_code"] for r in rows} - set(schools))
    if missing:
        raise DistrictFileInvalid(problem=f"unknown school codes: {', '.join(missing)}")
    async with in_transaction() as conn:
        for row in rows:
            values = {k: v for k, v in row.items() if k not in ("code", "school_code")}
            await District.update_or_create(
                defaults={**values, "school_id": schools[row["school_code"]].id, "source": source[:64]},
                code=row["code"],
                using_db=conn,
            )
    return len(rows)


async def import_districts_file(path: str | Path) -> int:
    """Read and import a districts file from disk."""
    file = Path(path)
    try:
        document = json.loads(await asyncio.to_thread(file.read_text, encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DistrictFileInvalid(problem=f"cannot read {file.name}: {error}") from error
    name = document.get("name") if isinstance(document, dict) else None
    return await import_districts(document=document, source=str(name or file.name))


async def _build_index() -> DistrictIndex:
    rows = []
    districts = await District.all().prefetch_related("school")
    for d in districts:
        rows.append(
            {
                "id": d.id,
                "code": d.code,
                "name_zh": d.name_zh,
                "name_en": d.name_en,
                "compounds": d.compounds,
                "streets": d.streets,
                "villages": d.villages,
                "boundary": d.boundary,
                "school": school_summary(d.school),
            }
        )
    return DistrictIndex.from_rows(rows)


async def district_index(*, cache: DistrictIndexCache) -> DistrictIndex:
    """The process's district index, rebuilt from the database when stale."""
    return cache.fresh() or cache.store(await _build_index())


# Jiyuan's surroundings: a point outside is a typo (swapped lat/lng), not a place we serve.
CITY_BOX = _CITY_BOX = (34.8, 35.5, 112.0, 113.0)  # south, north, west, east (the document states it)


async def lookup_district(
    *,
    cache: DistrictIndexCache,
    address: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    level: SchoolLevel | None = None,
) -> LookupResult:
    """The districts serving an address or a point (exactly one of the two), with why."""
    has_point = lat is not None or lng is not None
    has_address = bool(address and address.strip())
    if has_address == has_point:
        raise LookupQueryInvalid()
    index = await district_index(cache=cache)
    if has_point:
        if lat is None or lng is None:
            raise LookupQueryInvalid()
        south, north, west, east = _CITY_BOX
        if not (south <= lat <= north and west <= lng <= east):
            raise LookupQueryInvalid("education.lookup.outside_city")
        return index.by_point(lat=lat, lng=lng, level=level)
    return index.by_address(address or "", level=level)
