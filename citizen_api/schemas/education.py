"""Request and response shapes of the education routes (they feed OpenAPI)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from citizen_api.schemas.common import NONBLANK, ListQuery, StrictModel, id_number_schema
from services.common import clock
from services.common.i18n import translate
from services.education.catalogue import CITY_BOX
from services.education.enums import (
    ApplicantCategory,
    ApplicationStatus,
    GuardianRelation,
    LookupBasis,
    Phase,
    SchoolLevel,
    SchoolOwnership,
)
from services.education.seed import SUB_DISTRICTS_EN

__all__ = [
    "ApplicationIn",
    "ApplicationOut",
    "DistrictLookupOut",
    "DistrictLookupQuery",
    "LinkGuardianIn",
    "LotteryOut",
    "MaterialOut",
    "QueueQuery",
    "RoundOut",
    "RoundQuery",
    "SchoolOut",
    "SchoolQuery",
    "SupplementIn",
]


def _pick(zh: str, en: str, locale: str) -> str:
    return en if locale == "en" and en else zh


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return clock.to_local(moment) if moment else None


class SchoolQuery(ListQuery):
    level: SchoolLevel | None = None
    ownership: SchoolOwnership | None = None


class PlanOut(BaseModel):
    round_id: uuid.UUID
    round_code: str
    places: int
    waitlist_places: int


class DistrictRefOut(BaseModel):
    id: str
    code: str
    name: str


class SchoolOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    name_zh: str
    name_en: str
    ownership: SchoolOwnership
    level: SchoolLevel
    address: str
    sub_district: str
    location: dict[str, float]
    phone: str
    districts: list[DistrictRefOut]
    plans: list[PlanOut]
    demo: bool = Field(description="seeded demo data; addresses, districts and plans are invented")
    name_real: bool = Field(description="the school's name is a real Jiyuan school's")

    @classmethod
    def from_domain(cls, view: Any, locale: str) -> SchoolOut:
        return cls(
            id=view.id,
            code=view.code,
            name=_pick(view.name_zh, view.name_en, locale),
            name_zh=view.name_zh,
            name_en=view.name_en,
            ownership=view.ownership,
            level=view.level,
            address=_pick(view.address_zh, view.address_en, locale),
            sub_district=_pick(view.sub_district, SUB_DISTRICTS_EN.get(view.sub_district, ""), locale),
            location={"lat": view.lat, "lng": view.lng},
            phone=view.phone,
            districts=[
                DistrictRefOut(id=d["id"], code=d["code"], name=_pick(d["name_zh"], d["name_en"], locale))
                for d in view.districts
            ],
            plans=[PlanOut.model_validate(p, from_attributes=True) for p in view.plans],
            demo=view.demo,
            name_real=view.name_real,
        )


_SOUTH, _NORTH, _WEST, _EAST = CITY_BOX


class DistrictLookupQuery(StrictModel):
    """Exactly one of `address` or `lat`+`lng` (education.lookup.query_invalid otherwise)."""

    model_config = ConfigDict(
        extra="ignore",
        str_strip_whitespace=True,
        json_schema_extra={
            # One query parameter (an exploded object: ?address=... or ?lat=..&lng=..) carries the rule.
            "x-parameter": "place",
            "anyOf": [
                {
                    "required": ["address"],
                    "properties": {"address": {"pattern": NONBLANK}},
                    "not": {"anyOf": [{"required": ["lat"]}, {"required": ["lng"]}]},
                },
                {"required": ["lat", "lng"], "not": {"required": ["address"]}},
            ],
        },
    )
    address: str | None = Field(None, max_length=200, description="a home address as people write it")
    # A point outside the city's box is refused (education.lookup.outside_city): the document says so.
    lat: float | None = Field(None, ge=-90, le=90, json_schema_extra={"minimum": _SOUTH, "maximum": _NORTH})
    lng: float | None = Field(None, ge=-180, le=180, json_schema_extra={"minimum": _WEST, "maximum": _EAST})
    level: SchoolLevel | None = None


class LookupSchoolOut(BaseModel):
    id: str
    code: str
    name: str
    ownership: SchoolOwnership
    level: SchoolLevel
    address: str
    phone: str


class LookupMatchOut(BaseModel):
    school: LookupSchoolOut
    district: DistrictRefOut
    basis: LookupBasis
    matched: str
    reason: str = Field(description="why this school serves the query, in the caller's language")
    distance_to_edge_m: float | None = None


class DistrictLookupOut(BaseModel):
    matches: list[LookupMatchOut]
    ambiguous: bool = Field(
        description="two or more schools of one level could serve it (多校划片 or a split compound)"
    )
    boundary: bool = Field(description="the point lies within 30 m of a district edge")
    nearby: list[LookupMatchOut]
    hint: str | None = Field(None, description="what to do about an ambiguous, boundary or empty answer")
    hint_code: str | None = None

    @classmethod
    def from_domain(cls, result: Any, locale: str) -> DistrictLookupOut:
        def match(m: Any) -> LookupMatchOut:
            school, district = m.district.school, m.district
            if m.basis is LookupBasis.POLYGON:
                reason = translate(
                    "education.lookup.reason.polygon",
                    locale,
                    district=_pick(district.name_zh, district.name_en, locale),
                )
            else:
                reason = translate(
                    f"education.lookup.reason.{m.basis.value}",
                    locale,
                    name=m.matched,
                    building=translate("education.lookup.building", locale, n=m.building)
                    if m.building is not None
                    else "",
                    number=translate("education.lookup.house_number", locale, n=m.number)
                    if m.number is not None
                    else "",
                    district=_pick(district.name_zh, district.name_en, locale),
                )
            return LookupMatchOut(
                school=LookupSchoolOut(
                    id=school["id"],
                    code=school["code"],
                    name=_pick(school["name_zh"], school["name_en"], locale),
                    ownership=school["ownership"],
                    level=school["level"],
                    address=_pick(school["address_zh"], school["address_en"], locale),
                    phone=school["phone"],
                ),
                district=DistrictRefOut(
                    id=district.id, code=district.code, name=_pick(district.name_zh, district.name_en, locale)
                ),
                basis=m.basis,
                matched=m.matched,
                reason=reason,
                distance_to_edge_m=m.distance_to_edge_m,
            )

        return cls(
            matches=[match(m) for m in result.matches],
            ambiguous=result.ambiguous,
            boundary=result.boundary,
            nearby=[match(m) for m in result.nearby],
            hint=translate(result.hint, locale) if result.hint else None,
            hint_code=result.hint,
        )


class RoundQuery(StrictModel):
    model_config = {"extra": "ignore"}
    level: SchoolLevel | None = None


class PhaseOut(BaseModel):
    phase: Phase
    name: str
    opens_at: dt.datetime
    closes_at: dt.datetime


class RoundOut(BaseModel):
    id: uuid.UUID
    code: str
    year: int
    level: SchoolLevel
    name: str
    current_phase: Phase
    current_phase_name: str
    min_social_insurance_months: int
    phases: list[PhaseOut]
    demo: bool

    @classmethod
    def from_domain(cls, view: Any, locale: str) -> RoundOut:
        return cls(
            id=view.id,
            code=view.code,
            year=view.year,
            level=view.level,
            name=_pick(view.name_zh, view.name_en, locale),
            current_phase=view.current_phase,
            current_phase_name=translate(f"education.phase.{view.current_phase.value}", locale),
            min_social_insurance_months=view.min_social_insurance_months,
            phases=[
                PhaseOut(
                    phase=w.phase,
                    name=translate(f"education.phase.{w.phase.value}", locale),
                    opens_at=clock.to_local(w.opens_at),
                    closes_at=clock.to_local(w.closes_at),
                )
                for w in view.phases
            ],
            demo=view.demo,
        )


class ApplicationIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "round_id": "2027-primary",
                    "school_id": "jy-shiyan-xiaoxue",
                    "child_name": "张小明",
                    "child_id_number": "41900120200315001X",
                    "relation": "father",
                    "category": "hukou_and_property",
                    "address": "济源市济水大街268号3号楼2单元501",
                    "consent": True,
                }
            ]
        }
    )
    round_id: str = Field(max_length=64, description="round id or code")
    school_id: str = Field(max_length=64, description="school id or code")
    child_name: str = Field(min_length=2, max_length=32)
    child_id_number: str = Field(
        min_length=15,
        max_length=24,
        description="居民身份证号码 (GB 11643)",
        json_schema_extra=id_number_schema,
    )
    relation: GuardianRelation
    category: ApplicantCategory
    address: str = Field(min_length=2, max_length=200, description="the family's home address")
    residence_permit_number: str | None = Field(None, max_length=32, description="居住证 (随迁子女)")
    social_insurance_months: int | None = Field(None, ge=0, le=600)
    consent: bool = Field(
        description="the guardian's separate consent to processing the child's data (must be true)",
        json_schema_extra={"const": True},  # false is refused: education.consent_required
    )


class LinkGuardianIn(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "child_name": "张小明",
                    "child_id_number": "41900120200315001X",
                    "relation": "mother",
                    "consent": True,
                }
            ]
        }
    )
    child_name: str = Field(min_length=2, max_length=32)
    child_id_number: str = Field(
        min_length=15,
        max_length=24,
        description="居民身份证号码 (GB 11643)",
        json_schema_extra=id_number_schema,
    )
    relation: GuardianRelation
    consent: bool = Field(
        description="the guardian's separate consent to processing the child's data (must be true)",
        json_schema_extra={"const": True},  # false is refused: education.consent_required
    )


class SupplementIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "已上传房产证。"}]})
    note: str = Field("", max_length=500)


class QueueQuery(ListQuery):
    status: ApplicationStatus | None = None


class MaterialOut(BaseModel):
    id: uuid.UUID
    material_code: str
    content_type: str
    size: int
    sha256: str
    for_supplement: bool
    created_at: dt.datetime


class EventOut(BaseModel):
    status_from: ApplicationStatus | None
    status_to: ApplicationStatus | None
    actor: str
    note: str
    created_at: dt.datetime


class ApplicationOut(BaseModel):
    id: uuid.UUID
    ref: str
    round_id: uuid.UUID
    round_code: str
    school_id: uuid.UUID
    school_name: str
    status: ApplicationStatus
    status_name: str
    category: ApplicantCategory
    relation: GuardianRelation
    child_name: str = Field(description="masked")
    child_id_number: str = Field(description="masked")
    address: str = Field(description="masked")
    social_insurance_months: int | None
    delivered: bool
    supplement: dict[str, Any] | None
    reason: str
    required_materials: list[str]
    materials: list[MaterialOut]
    guardians: int
    result_school_name: str | None
    report_on: dt.date | None
    lottery_rank: int | None
    submitted_at: dt.datetime | None
    created_at: dt.datetime
    timeline: list[EventOut]

    @classmethod
    def from_domain(cls, view: Any, locale: str) -> ApplicationOut:
        return cls(
            id=view.id,
            ref=view.ref,
            round_id=view.round_id,
            round_code=view.round_code,
            school_id=view.school_id,
            school_name=_pick(view.school_name_zh, view.school_name_en, locale),
            status=view.status,
            status_name=translate(f"education.status.{view.status.value}", locale),
            category=view.category,
            relation=view.relation,
            child_name=view.child_name_masked,
            child_id_number=view.child_id_number_masked,
            address=view.address_masked,
            social_insurance_months=view.social_insurance_months,
            delivered=view.delivered,
            supplement=view.supplement,
            reason=view.reason,
            required_materials=view.required_materials,
            materials=[MaterialOut.model_validate(m, from_attributes=True) for m in view.materials],
            guardians=view.guardians,
            result_school_name=(
                _pick(view.result_school_name_zh, view.result_school_name_en, locale)
                if view.result_school_name_zh
                else None
            ),
            report_on=view.report_on,
            lottery_rank=view.lottery_rank,
            submitted_at=_local(view.submitted_at),
            created_at=clock.to_local(view.created_at),
            timeline=[
                EventOut(
                    status_from=e.status_from,
                    status_to=e.status_to,
                    actor=e.actor_kind,
                    note=e.note,
                    created_at=clock.to_local(e.created_at),
                )
                for e in view.timeline
            ],
        )


class LotteryEntryOut(BaseModel):
    id: str
    category: ApplicantCategory
    rank: int
    outcome: ApplicationStatus


class LotteryCategoryOut(BaseModel):
    category: ApplicantCategory
    ids: list[str]


class LotteryOut(BaseModel):
    round_id: uuid.UUID
    round_code: str
    school_id: uuid.UUID
    school_code: str
    algorithm: str
    algorithm_description: str
    status: str = Field(description="committed (seed still sealed) or drawn")
    commitment: str = Field(description="SHA-256 of the seed, published before the draw")
    committed_at: dt.datetime
    seed: str | None = Field(None, description="revealed at the draw")
    drawn_at: dt.datetime | None
    places: int
    waitlist_places: int
    inputs: dict[str, list[LotteryCategoryOut]] | None
    result: dict[str, list[LotteryEntryOut]] | None
    verify_command: str
