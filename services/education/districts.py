"""School-district lookup: an address matched against published lists, a point against boundaries.

Addresses are normalised the way people write them (full-width digits, missing 省/市/区 prefixes,
号/栋/幢/单元/室 suffixes) and matched to compounds, then streets, then villages. Points are tested
with shapely against the district polygons projected to metres around Jiyuan, so "on the boundary"
can be decided with a tolerance in metres. The in-memory index is built from the database and
rebuilt when older than `ttl_s` (districts change once a year).

shapely (and numpy with it, ~40 MB per worker) is imported by the functions that build or query
geometry, on the first lookup, not with this module (issue 12).
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from services.education.enums import LookupBasis, SchoolLevel
from services.education.errors import DistrictFileInvalid

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

__all__ = [
    "BOUNDARY_TOLERANCE_M",
    "DistrictEntry",
    "DistrictIndex",
    "DistrictIndexCache",
    "DistrictMatch",
    "LookupResult",
    "building_number",
    "normalize_address",
    "parse_district_file",
]

# A point this close to a district's edge is reported as a boundary case (GPS error is ~10-30 m).
BOUNDARY_TOLERANCE_M = 30.0
# Projection origin: Jiyuan's centre. An equirectangular projection is exact enough for a city.
_LAT0, _LNG0 = 35.09, 112.60
_M_PER_DEG_LAT = 110_540.0
_M_PER_DEG_LNG = 111_320.0 * math.cos(math.radians(_LAT0))

# Prefixes people add or leave out; removed before matching (longest first).
_PREFIXES = (
    "河南省",
    "河南",
    "济源产城融合示范区",
    "济源示范区",
    "济源市",
    "济源",
)
_NOISE = re.compile(r"[\s·•・,，.。、\-—_/（）()#＃]+")
_BUILDING = re.compile(r"^\D{0,6}?(\d{1,4})(?:号楼|号院|号|栋|幢|座|楼|单元|-|$)")
_NUMBER = re.compile(r"^(\d{1,5})号?")


def normalize_address(text: str) -> str:
    """NFKC (full-width -> ASCII), no spaces or punctuation, without province/city prefixes."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    value = value.replace("＃", "#")
    # Building numbers written with '#' or '-' stay numbers; everything else that separates goes.
    value = re.sub(r"(\d+)\s*#", r"\1号", value)
    value = re.sub(r"(\d+)-(\d+)", r"\1号\2", value)
    value = _NOISE.sub("", value)
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if value.startswith(prefix):
                value = value[len(prefix) :]
                changed = True
    return value.lower()


def building_number(rest: str) -> int | None:
    """The building number at the start of what follows a compound's name ('12号楼3单元' -> 12)."""
    found = _BUILDING.match(rest)
    return int(found.group(1)) if found else None


def _project(lng: float, lat: float) -> tuple[float, float]:
    return ((lng - _LNG0) * _M_PER_DEG_LNG, (lat - _LAT0) * _M_PER_DEG_LAT)


def _project_geometry(geometry: BaseGeometry) -> BaseGeometry:
    import shapely

    # coords is an (n, 2) numpy array; the tuples broadcast over its rows.
    return shapely.transform(
        geometry, lambda coords: (coords - (_LNG0, _LAT0)) * (_M_PER_DEG_LNG, _M_PER_DEG_LAT)
    )


@dataclass(frozen=True, slots=True)
class DistrictEntry:
    """One district as the lookup sees it (names normalised, polygon in metres)."""

    id: str
    code: str
    name_zh: str
    name_en: str
    school: dict[str, Any]  # id, code, name_zh, name_en, ownership, level, address_zh, address_en
    compounds: tuple[tuple[tuple[str, ...], str, tuple[int, int] | None], ...]  # (names, label, buildings)
    streets: tuple[tuple[str, str, tuple[int, int] | None], ...]  # (name, label, numbers)
    villages: tuple[tuple[str, str], ...]  # (name, label)
    polygon: BaseGeometry | None

    @property
    def level(self) -> str:
        return str(self.school["level"])


@dataclass(frozen=True, slots=True)
class DistrictMatch:
    """A district that serves the query, and why."""

    district: DistrictEntry
    basis: LookupBasis
    matched: str  # the compound/street/village name, or "" for a polygon
    building: int | None = None
    number: int | None = None
    distance_to_edge_m: float | None = None


@dataclass(frozen=True, slots=True)
class LookupResult:
    """Matches plus what a parent must know: several schools (ambiguous) or a point near an edge."""

    matches: list[DistrictMatch]
    ambiguous: bool = False
    boundary: bool = False
    nearby: list[DistrictMatch] = field(default_factory=list)
    # Why nothing or several matched: a message id (education.lookup.*) for the caller's language.
    hint: str | None = None


def _range(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list | tuple)
        or len(value) != 2
        or not all(isinstance(v, int) and v >= 0 for v in value)
        or value[0] > value[1]
    ):
        raise ValueError("a range is [from, to] with 0 <= from <= to")
    return (int(value[0]), int(value[1]))


class DistrictIndex:
    """All districts, ready for address and point lookups (immutable once built)."""

    def __init__(self, entries: Iterable[DistrictEntry]):
        self.entries = list(entries)
        self._with_polygon = [e for e in self.entries if e.polygon is not None]
        if self._with_polygon:
            from shapely.strtree import STRtree

            self._tree = STRtree([e.polygon for e in self._with_polygon])
        else:
            self._tree = None

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, Any]]) -> DistrictIndex:
        """Build from dicts with the District columns and a `school` dict."""
        import shapely
        from shapely.geometry import shape

        entries = []
        for row in rows:
            compounds = []
            for item in row.get("compounds") or []:
                names = tuple(
                    dict.fromkeys(normalize_address(n) for n in [item["name"], *item.get("aliases", [])])
                )
                compounds.append((tuple(n for n in names if n), item["name"], _range(item.get("buildings"))))
            # Longest name first: "北海新城" must win over a shorter name it contains.
            compounds.sort(key=lambda c: -max(len(n) for n in c[0]))
            streets = [
                (normalize_address(s["name"]), s["name"], _range(s.get("numbers")))
                for s in row.get("streets") or []
            ]
            villages = [(normalize_address(v), v) for v in row.get("villages") or []]
            boundary = row.get("boundary")
            polygon = _project_geometry(shape(boundary)) if boundary else None
            if polygon is not None:
                shapely.prepare(polygon)
            entries.append(
                DistrictEntry(
                    id=str(row["id"]),
                    code=row["code"],
                    name_zh=row["name_zh"],
                    name_en=row["name_en"],
                    school=row["school"],
                    compounds=tuple(compounds),
                    streets=tuple(streets),
                    villages=tuple(villages),
                    polygon=polygon,
                )
            )
        return cls(entries)

    def _levels(self, level: SchoolLevel | None) -> list[DistrictEntry]:
        return [e for e in self.entries if level is None or e.level == level]

    def by_address(self, address: str, *, level: SchoolLevel | None = None) -> LookupResult:
        """Districts whose published lists contain `address`: compounds first, then streets, villages."""
        text = normalize_address(address)
        if not text:
            return LookupResult(matches=[], hint="education.lookup.address_empty")
        entries = self._levels(level)
        compound_hits: list[tuple[DistrictEntry, str, tuple[int, int] | None, int | None]] = []
        for entry in entries:
            for names, _label, buildings in entry.compounds:
                found = [(text.find(n), n) for n in names if n in text]
                if not found:
                    continue
                position, name = max(found, key=lambda f: len(f[1]))
                rest = text[position + len(name) :]
                compound_hits.append((entry, name, buildings, building_number(rest)))
                break
        if compound_hits:
            # A longer compound name is the more specific match ("北海新城" over a shorter one).
            longest = max(len(name) for _, name, _, _ in compound_hits)
            compound_hits = [h for h in compound_hits if len(h[1]) == longest]
        if compound_hits:
            return self._resolve_compounds(compound_hits)
        street_hits: list[DistrictMatch] = []
        street_named = False
        for entry in entries:
            for name, label, numbers in entry.streets:
                position = text.find(name)
                if position < 0:
                    continue
                street_named = True
                found = _NUMBER.match(text[position + len(name) :])
                number = int(found.group(1)) if found else None
                if numbers is None or (number is not None and numbers[0] <= number <= numbers[1]):
                    street_hits.append(DistrictMatch(entry, LookupBasis.STREET, label, number=number))
                elif number is None:
                    street_hits.append(DistrictMatch(entry, LookupBasis.STREET, label))
        if street_hits:
            numbered = [m for m in street_hits if m.number is not None]
            if numbered:
                return self._finish(numbered, unresolved_hint="education.lookup.ambiguous")
            return self._finish(street_hits, unresolved_hint="education.lookup.need_house_number")
        if street_named:
            return LookupResult(matches=[], hint="education.lookup.number_outside")
        village_hits = [
            DistrictMatch(entry, LookupBasis.VILLAGE, label)
            for entry in entries
            for name, label in entry.villages
            if name in text
        ]
        if village_hits:
            return self._finish(village_hits, unresolved_hint="education.lookup.ambiguous")
        return LookupResult(matches=[], hint="education.lookup.no_match")

    def _resolve_compounds(
        self, hits: list[tuple[DistrictEntry, str, tuple[int, int] | None, int | None]]
    ) -> LookupResult:
        building = next((b for _, _, _, b in hits if b is not None), None)
        labelled = {
            entry.code: next(label for names, label, _ in entry.compounds if name in names)
            for entry, name, _, _ in hits
        }
        whole = [DistrictMatch(e, LookupBasis.COMPOUND, labelled[e.code]) for e, _, r, _ in hits if r is None]
        split = [(e, r) for e, _, r, _ in hits if r is not None]
        if building is not None:
            ranged = [
                DistrictMatch(e, LookupBasis.COMPOUND, labelled[e.code], building=building)
                for e, r in split
                if r[0] <= building <= r[1]
            ]
            matches = whole + ranged
            if not matches:
                return LookupResult(matches=[], hint="education.lookup.building_outside")
            return self._finish(matches, unresolved_hint="education.lookup.ambiguous")
        matches = whole + [DistrictMatch(e, LookupBasis.COMPOUND, labelled[e.code]) for e, _ in split]
        hint = "education.lookup.need_building" if split else "education.lookup.ambiguous"
        return self._finish(matches, unresolved_hint=hint)

    @staticmethod
    def _finish(matches: list[DistrictMatch], *, unresolved_hint: str) -> LookupResult:
        unique: dict[str, DistrictMatch] = {}
        for match in matches:
            unique.setdefault(match.district.code, match)
        found = list(unique.values())
        # Ambiguous only when two schools of the same level could serve the address.
        levels = [m.district.level for m in found]
        ambiguous = len(levels) != len(set(levels))
        return LookupResult(matches=found, ambiguous=ambiguous, hint=unresolved_hint if ambiguous else None)

    def by_point(self, *, lat: float, lng: float, level: SchoolLevel | None = None) -> LookupResult:
        """Districts whose boundary contains the point; points within the tolerance of an edge say so."""
        if self._tree is None:
            return LookupResult(matches=[], hint="education.lookup.no_match")
        from shapely.geometry import Point

        point = Point(*_project(lng, lat))
        # dwithin on the tree: no buffer polygon built per request.
        near = self._tree.query(point, predicate="dwithin", distance=BOUNDARY_TOLERANCE_M)
        inside: list[DistrictMatch] = []
        nearby: list[DistrictMatch] = []
        on_edge = False
        for index in sorted(int(i) for i in near):
            entry = self._with_polygon[index]
            if level is not None and entry.level != level:
                continue
            distance = float(entry.polygon.boundary.distance(point))
            if entry.polygon.covers(point):
                inside.append(
                    DistrictMatch(entry, LookupBasis.POLYGON, "", distance_to_edge_m=round(distance, 1))
                )
                if distance <= BOUNDARY_TOLERANCE_M:
                    on_edge = True
            else:
                nearby.append(
                    DistrictMatch(entry, LookupBasis.POLYGON, "", distance_to_edge_m=round(distance, 1))
                )
        if not inside:
            return LookupResult(
                matches=[],
                nearby=nearby,
                boundary=bool(nearby),
                hint="education.lookup.near_boundary" if nearby else "education.lookup.no_match",
            )
        result = DistrictIndex._finish(inside, unresolved_hint="education.lookup.ambiguous")
        # On the edge: another district lies within the tolerance, or the point is on a shared edge.
        boundary = on_edge and (bool(nearby) or len(inside) > 1)
        hint = result.hint or ("education.lookup.near_boundary" if boundary else None)
        return LookupResult(
            matches=result.matches, ambiguous=result.ambiguous, boundary=boundary, nearby=nearby, hint=hint
        )


class DistrictIndexCache:
    """One process's index, rebuilt after `ttl_s`; held by the runtime, never by a module global."""

    def __init__(self, *, ttl_s: float = 60.0):
        self.ttl_s = ttl_s
        self._index: DistrictIndex | None = None
        self._built_at = -math.inf

    def fresh(self) -> DistrictIndex | None:
        """The index when it is younger than the TTL, else None (the caller rebuilds)."""
        if self._index is not None and time.monotonic() - self._built_at < self.ttl_s:
            return self._index
        return None

    def store(self, index: DistrictIndex) -> DistrictIndex:
        self._index, self._built_at = index, time.monotonic()
        return index

    def invalidate(self) -> None:
        self._index, self._built_at = None, -math.inf


def parse_district_file(document: Any) -> list[dict[str, Any]]:
    """Validate a districts GeoJSON document (see data/README.md); the rows to upsert, by code."""
    from shapely.geometry import shape

    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise DistrictFileInvalid(problem="not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise DistrictFileInvalid(problem="no features")
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            raise DistrictFileInvalid(problem=f"feature {number} has no properties")
        for key in ("code", "school_code", "name_zh"):
            if not isinstance(props.get(key), str) or not props[key].strip():
                raise DistrictFileInvalid(problem=f"feature {number}: {key} is required")
        code = props["code"].strip()
        if code in seen:
            raise DistrictFileInvalid(problem=f"district {code} appears twice")
        seen.add(code)
        geometry = feature.get("geometry")
        if geometry is not None:
            try:
                parsed = shape(geometry)
            except (ValueError, TypeError, AttributeError, KeyError) as error:
                raise DistrictFileInvalid(problem=f"{code}: unreadable geometry") from error
            if parsed.geom_type not in ("Polygon", "MultiPolygon") or not parsed.is_valid:
                raise DistrictFileInvalid(problem=f"{code}: geometry must be a valid (Multi)Polygon")
        try:
            compounds = [
                {
                    "name": str(c["name"]),
                    "aliases": [str(a) for a in c.get("aliases", [])],
                    "buildings": list(_range(c.get("buildings")) or []) or None,
                }
                for c in props.get("compounds") or []
            ]
            streets = [
                {"name": str(s["name"]), "numbers": list(_range(s.get("numbers")) or []) or None}
                for s in props.get("streets") or []
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DistrictFileInvalid(problem=f"{code}: bad compounds or streets ({error})") from error
        rows.append(
            {
                "code": code,
                "school_code": props["school_code"].strip(),
                "name_zh": props["name_zh"].strip(),
                "name_en": str(props.get("name_en") or props["name_zh"]).strip(),
                "compounds": compounds,
                "streets": streets,
                "villages": [str(v) for v in props.get("villages") or []],
                "boundary": geometry,
            }
        )
    return rows
