"""A foreign visitor reading in English meets no Chinese where an English text exists.

The walk takes every GET route of the OpenAPI document (not a hand list), fills path parameters
with ids found in earlier answers, and calls each route as a resident who booked, applied and
reported, once with `Accept-Language: en` and once with `?lang=en`. Any CJK character in a field
with an English source (names, titles, summaries, categories, statuses, messages, errors) fails it.
Fields that are Chinese by nature are named below: what people typed (report descriptions,
notices written by community staff), people's masked names, and the `zh_CN` side of a name.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from citizen_api import composition
from citizen_api.openapi import build_document
from services.accounts.enums import VerificationLevel
from services.common import clock
from services.common.seeding import SeedContext, run_seeds
from services.search.indexing import reindex
from tests.api.test_community_reports import report
from tests.api.test_community_support import wechat_checks
from tests.api.test_tourism_entry import id_number
from tests.factories import auth_headers, make_user

__all__ = ["wechat_checks"]

CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")

# Keys whose value is Chinese by nature (no English source exists): the Chinese side of a
# bilingual name, what residents and community staff wrote themselves, and people's own names.
CHINESE_BY_NATURE = {
    "zh_CN",
    "name_zh",
    "title_zh",
    "description",  # a resident's own words in a report
    "body",  # a notice as community staff wrote it
    "name_masked",
    "applicant_name_masked",
    "child_name_masked",
    "pinyin",
}
# People's names where a person is named (a visitor, in a booking and in the owner's export).
PERSON_FIELDS = {("visitors", "name")}
# Notices are written by community staff in Chinese (the model has no English text): their title is
# what staff typed, shown as is; everything around it (category, community, status) is English.
STAFF_WRITTEN = {"title", "summary"}

# What neither the demo seed nor the resident's history creates (their answers to an unknown id are
# still read): eldercare orders, community events and uploaded files, reviewed report photos,
# partner tokens, and the staff views of events (refused to a resident anyway).
NOT_IN_DEMO_DATA = {
    "/api/v1/care/eldercare/orders/{order_id}",
    "/api/v1/community/events/{event_id}",
    "/api/v1/community/files/{file_id}",
    "/api/v1/staff/events/{event_id}/signups",
    "/open311/v2/media/{report_id}/{index}",
    "/open311/v2/tokens/{name}",
}
# Values for required query parameters that have no enum to pick from.
EXAMPLES: dict[str, list[str]] = {
    "q": ["王屋山", "医保", "宣化街社区", "wws", "社保"],
    "lat": ["35.0956"],
    "lng": ["112.5869"],
    "near": ["35.0956,112.5869"],
    "address": ["沁园街道宣化街12号"],
    "category": ["road_damage"],
    "date": [(clock.local_date() + dt.timedelta(days=1)).isoformat()],
}


def _staff_written(value: dict[str, Any], url: str) -> bool:
    """A notice (its own route, or a search hit of kind "notice"): title and text are as staff wrote them."""
    return value.get("kind") == "notice" or ("/notices" in url and "category" in value)


def _leaks(value: Any, path: str, url: str, parent: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        staff = _staff_written(value, url)
        for key, item in value.items():
            if key in CHINESE_BY_NATURE or (parent, key) in PERSON_FIELDS or (staff and key in STAFF_WRITTEN):
                continue
            yield from _leaks(item, f"{path}.{key}", url, key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaks(item, f"{path}[{index}]", url, parent)
    elif isinstance(value, str) and CJK.search(value):
        yield f"{path} = {value[:80]!r}"


def _ids(value: Any, found: dict[str, list[str]]) -> None:
    """Every id-like value in an answer, by the key it was under (`id`, `*_id`, `code`)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str | int) and (key in ("id", "code") or key.endswith(("_id", "_code"))):
                bucket = found.setdefault(key, [])
                if str(item) not in bucket:
                    bucket.append(str(item))
            else:
                _ids(item, found)
    elif isinstance(value, list):
        for item in value:
            _ids(item, found)


def _static_segments(path: str) -> list[str]:
    return [part for part in path.strip("/").split("/") if not part.startswith("{")]


class Walk:
    """Calls routes, remembers what each answered, and collects the CJK found in English answers."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], mode: str) -> None:
        self.client, self.headers, self.mode = client, headers, mode
        self.answers: dict[str, list[Any]] = {}  # route template -> JSON answers (2xx)
        self.leaks: list[str] = []
        self.statuses: dict[str, set[int]] = {}
        self.no_data: set[str] = set()  # routes reached only with an unknown id

    async def get(self, template: str, url: str, params: dict[str, str]) -> int:
        headers = dict(self.headers)
        if self.mode == "header":
            headers["Accept-Language"] = "en"
        else:
            params = {**params, "lang": "en"}
        response = await self.client.get(url, params=params, headers=headers)
        self.statuses.setdefault(template, set()).add(response.status_code)
        assert response.status_code < 500, f"{url}: {response.status_code} {response.text[:300]}"
        if "json" in response.headers.get("content-type", ""):
            body = response.json()
            self.leaks += [f"{self.mode} GET {url} {leak}" for leak in _leaks(body, "$", url)]
            if response.status_code < 300:
                self.answers.setdefault(template, []).append(body)
        elif CJK.search(response.text):
            line = next(line for line in response.text.splitlines() if CJK.search(line))
            self.leaks.append(f"{self.mode} GET {url} body: {line.strip()[:120]!r}")
        return response.status_code

    def candidates(self, template: str, name: str, keys: tuple[str, ...] = ("id", "code")) -> list[str]:
        """Values for path parameter `name`: ids from the answers of the collection it sits in."""
        before = template.split("{" + name + "}")[0].rstrip("/")
        segment = _static_segments(before)[-1] if _static_segments(before) else ""
        stem = name.removesuffix("_id")
        values: list[str] = []
        if name == "name":  # Open311: /services/{code}.json, /requests/{id}.json
            for other, bodies in self.answers.items():
                if _static_segments(other)[-1].startswith(segment + "."):
                    found: dict[str, list[str]] = {}
                    for body in bodies:
                        _ids(body, found)
                    for key in ("service_request_id", "service_code"):
                        values += [f"{v}.{fmt}" for v in found.get(key, [])[:5] for fmt in ("json", "xml")]
            return values
        for other, bodies in self.answers.items():
            last = _static_segments(other)[-1] if _static_segments(other) else ""
            related = other == before or last == segment or last in (stem + "s", stem[:-1] + "ies")
            found: dict[str, list[str]] = {}
            for body in bodies:
                _ids(body, found)
            wanted = ([name] if name in found else []) + (list(keys) if related else [])
            for key in wanted:
                values += [v for v in found.get(key, []) if v not in values]
        return values


def _query(walk: Walk, operation: dict[str, Any]) -> list[dict[str, str]] | None:
    """Query strings to call a route with: its required parameters filled, each example in turn
    (None while a parameter has no value yet: an id from an answer not seen so far)."""
    required = [p for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")]
    if not required:
        return [{}]
    choices: list[dict[str, str]] = [{}]
    for param in required:
        schema = param.get("schema", {})
        options = [str(v) for v in schema.get("enum", [])][:1] or EXAMPLES.get(param["name"], [])
        options = options or walk.candidates("{" + param["name"] + "}", param["name"], ("code",))[:3]
        if not options:
            return None
        choices = [{**c, param["name"]: option} for c in choices for option in options]
    return choices


async def _walk(client: httpx.AsyncClient, document: dict, headers: dict[str, str], mode: str) -> Walk:
    walk = Walk(client, headers, mode)
    routes = {path: ops["get"] for path, ops in document["paths"].items() if "get" in ops}
    pending = dict(routes)
    progress, last_round = True, False
    while pending and (progress or not last_round):
        # When nothing more can be filled in, one last round calls what is left with unknown ids.
        last_round = last_round or not progress
        progress = False
        for template, operation in list(pending.items()):
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            fills: list[dict[str, str]] = [{}]
            for name in names:
                values = walk.candidates(template, name)[:40]
                fills = [{**f, name: v} for f in fills for v in values][:40]
            queries = _query(walk, operation)
            if queries is None or (names and not fills and not last_round):
                continue
            if names and not fills:
                walk.no_data.add(template)
            for fill in fills:
                url = template
                for name, value in fill.items():
                    url = url.replace("{" + name + "}", value)
                for query in queries:
                    await walk.get(template, url, query)
            # An unknown id: the error message is read in English too.
            if names:
                url = template
                for name in names:
                    url = url.replace("{" + name + "}", "0190f000-0000-7000-8000-000000000000")
                await walk.get(template, url, {})
            del pending[template]
            progress = True
    walk.unreached = set(pending)  # type: ignore[attr-defined]
    return walk


@pytest.fixture
async def resident_with_history(
    client: httpx.AsyncClient, settings, runtime, wechat_checks
) -> dict[str, str]:
    """Demo data seeded; a resident who booked an entry, applied online, reported, and acts for her mother."""
    await run_seeds(SeedContext(cipher=runtime.cipher), seeders=composition.seeders())
    await reindex(composition.search_sources())
    person = await make_user(level=VerificationLevel.REAL_NAME)
    mother = await make_user(level=VerificationLevel.REAL_NAME)
    headers = auth_headers(person, settings)
    invite = await client.post(
        "/api/v1/me/family", json={"scopes": ["bookings", "cases"], "relation": "parent"}, headers=headers
    )
    assert invite.status_code == 201, invite.text
    code = invite.json()["invitation_code"]
    accepted = await client.post(
        f"/api/v1/family-invitations/{code}/accept", headers=auth_headers(mother, settings)
    )
    assert accepted.status_code == 200, accepted.text

    areas = (await client.get("/api/v1/tourism/scenic-areas")).json()["items"]
    tomorrow = (clock.local_date() + dt.timedelta(days=1)).isoformat()
    for area in areas:
        slots = (
            await client.get(f"/api/v1/tourism/scenic-areas/{area['id']}/slots", params={"date": tomorrow})
        ).json()["items"]
        open_slots = [s for s in slots if s.get("remaining", 1) > 0]
        if open_slots:
            booked = await client.post(
                "/api/v1/tourism/bookings",
                json={
                    "slot_id": open_slots[-1]["id"],
                    "visitors": [{"name": "张秀英", "id_number": id_number(7)}],
                },
                headers=headers,
            )
            assert booked.status_code == 201, booked.text
            break
    else:
        raise AssertionError("no scenic area has an open slot tomorrow")
    applied = await client.post(
        "/api/v1/gov/applications", json={"item_code": "si-contribution-certificate"}, headers=headers
    )
    assert applied.status_code == 201, applied.text
    filed = await client.post("/api/v1/community/reports", json=report(), headers=headers)
    assert filed.status_code == 201, filed.text
    return headers


@pytest.mark.parametrize("mode", ["header", "query"])
async def test_english__every_get_route_without_chinese_where_english_exists(
    client: httpx.AsyncClient, app, resident_with_history: dict[str, str], mode: str
) -> None:
    document = build_document(app)
    walk = await _walk(client, document, resident_with_history, mode)
    # Care (hospitals, clinics, doctors as the HIS names them) is being given its English names by
    # the care work on its own files; its leaks are reported apart so every other route stays strict.
    care = [leak for leak in walk.leaks if " GET /api/v1/care/" in leak]
    others = [leak for leak in walk.leaks if leak not in care]
    assert others == [], _summary(others)
    # The walk really walked: every route was called (none left for want of an id) and every one a
    # resident may use answered 2xx at least once; the others refused the resident (401/403).
    assert walk.unreached == set(), "\n".join(sorted(walk.unreached))  # type: ignore[attr-defined]
    served = {t for t, codes in walk.statuses.items() if any(c < 300 for c in codes)}
    # Objects the demo data and this resident's history do not create: called with an unknown id only.
    assert walk.no_data - served == NOT_IN_DEMO_DATA, sorted(walk.no_data - served)
    refused = {t for t, codes in walk.statuses.items() if t not in served and t not in walk.no_data}
    # Not served to this resident: staff routes (401/403) and objects of another kind (404), never 5xx.
    assert all(max(walk.statuses[t]) < 500 for t in refused), {t: walk.statuses[t] for t in refused}
    assert len(served) >= 50, sorted(served)  # 55 when written
    print(json.dumps({"served": len(served), "refused": sorted(refused)}, indent=1))
    if care:
        pytest.xfail("care routes still answer Chinese names in English:\n" + _summary(care))


def _summary(leaks: list[str]) -> str:
    """One line per route and field (the first value found), so a failure reads as a to-do list."""
    kinds: dict[str, str] = {}
    for leak in leaks:
        kinds.setdefault(re.sub(r"\[\d+\]", "[]", leak.split(" = ")[0]).split("?")[0], leak)
    return "\n".join(sorted(kinds.values())) + f"\n({len(leaks)} in all)"
