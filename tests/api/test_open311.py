"""Open311 GeoReport v2 at /open311/v2: field lists, status values, dates and error bodies as the
specification defines them, in JSON and XML, over the same reports table the app uses."""

from __future__ import annotations

import datetime as dt
import re
from xml.etree import ElementTree as ET

import httpx
import pytest

from services.accounts.enums import Role
from services.community.models import Report
from tests.api.test_community_support import community_pair, headers_for, resident, staff_of, wechat_checks
from tests.factories import make_user

__all__ = ["wechat_checks"]

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
]
W3 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")


async def _api_key(client: httpx.AsyncClient, settings) -> str:
    admin = await make_user(roles={Role.ADMIN: [""]})
    issued = await client.post(
        "/api/v1/admin/open311/keys", json={"partner": "12345 市长热线"}, headers=headers_for(admin, settings)
    )
    assert issued.status_code == 201, issued.text
    return issued.json()["api_key"]


def _xml(response: httpx.Response) -> ET.Element:
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


async def test_open311__discovery_and_services_json_and_xml(client: httpx.AsyncClient) -> None:
    discovery = await client.get("/open311/v2/discovery.json")
    assert discovery.status_code == 200
    endpoint = discovery.json()["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert (
        _xml(await client.get("/open311/v2/discovery.xml")).find("endpoints/endpoint/specification")
        is not None
    )

    services = await client.get("/open311/v2/services.json")
    assert services.headers["content-type"].startswith("application/json")
    listed = services.json()
    assert isinstance(listed, list) and listed
    for service in listed:
        assert list(service) == SERVICE_FIELDS
        assert service["type"] in {"realtime", "batch", "blackbox"}
        assert isinstance(service["metadata"], bool)
    road = next(s for s in listed if s["service_code"] == "road_damage")
    assert road["service_name"] == "道路破损" and road["metadata"] is True

    english = await client.get("/open311/v2/services.json", headers={"Accept-Language": "en"})
    assert (
        next(s for s in english.json() if s["service_code"] == "road_damage")["service_name"]
        == "Damaged road"
    )

    root = _xml(await client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    first = root.find("service")
    assert [child.tag for child in first] == SERVICE_FIELDS
    assert first.findtext("metadata") in {"true", "false"}


async def test_open311__service_definition(client: httpx.AsyncClient) -> None:
    definition = await client.get("/open311/v2/services/road_damage.json")
    assert definition.status_code == 200
    body = definition.json()
    assert body["service_code"] == "road_damage"
    severity = body["attributes"][0]
    assert list(severity) == ATTRIBUTE_FIELDS
    assert (
        severity["code"] == "severity"
        and severity["datatype"] == "singlevaluelist"
        and severity["required"] is True
    )
    assert [v["key"] for v in severity["values"]] == ["minor", "major", "dangerous"]
    root = _xml(await client.get("/open311/v2/services/road_damage.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "road_damage"
    assert root.find("attributes/attribute/values/value/key").text == "minor"
    assert root.findtext("attributes/attribute/required") == "true"

    missing = await client.get("/open311/v2/services/potholes.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404 and missing.json()[0]["description"]
    missing_xml = _xml(await client.get("/open311/v2/services/potholes.xml"))
    assert missing_xml.tag == "errors" and missing_xml.findtext("error/code") == "404"


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_open311__post_without_or_with_bad_api_key_is_403(
    client: httpx.AsyncClient, settings, fmt: str
) -> None:
    await community_pair()
    form = {"service_code": "garbage", "lat": "35.0953", "long": "112.5869", "description": "垃圾堆放"}
    for data in (form, {**form, "api_key": "o311_not-a-key"}):
        response = await client.post(
            f"/open311/v2/requests.{fmt}", data=data, headers={"Accept-Language": "en"}
        )
        assert response.status_code == 403
        if fmt == "json":
            errors = response.json()
            assert isinstance(errors, list) and list(errors[0]) == ["code", "description"]
            assert errors[0]["code"] == 403 and "api_key" in errors[0]["description"]
        else:
            root = _xml(response)
            assert root.tag == "errors"
            assert [child.tag for child in root.find("error")] == ["code", "description"]
            assert root.findtext("error/code") == "403"
    assert await Report.all().count() == 0


async def test_open311__post_unknown_service_code_is_404_as_the_spec_says(
    client: httpx.AsyncClient, settings
) -> None:
    await community_pair()
    key = await _api_key(client, settings)
    form = {"api_key": key, "service_code": "potholes", "lat": "35.0953", "long": "112.5869"}
    response = await client.post("/open311/v2/requests.json", data=form)
    # GeoReport v2, POST Service Request, Possible Errors: "404 - service_code or jurisdiction_id was not found".
    assert response.status_code == 404
    assert response.json()[0]["code"] == 404
    xml = await client.post("/open311/v2/requests.xml", data=form)
    assert xml.status_code == 404 and _xml(xml).findtext("error/code") == "404"
    no_code = await client.post(
        "/open311/v2/requests.json", data={"api_key": key, "lat": "35.0953", "long": "112.5869"}
    )
    assert no_code.status_code == 400 and no_code.json()[0]["code"] == 400
    assert await Report.all().count() == 0


async def test_open311__post_then_get_is_a_view_of_the_app_reports(
    client: httpx.AsyncClient, settings, wechat_checks
) -> None:
    a, _ = await community_pair()
    key = await _api_key(client, settings)
    form = {
        "api_key": key,
        "service_code": "road_damage",
        "lat": "35.0953",
        "long": "112.5869",
        "description": "人行道塌陷",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812345678",
        "email": "zhang@example.com",
        "attribute[severity]": "dangerous",
        "media_url": "https://img.example.com/1.jpg",
    }
    missing_attribute = await client.post(
        "/open311/v2/requests.json", data={k: v for k, v in form.items() if "attribute" not in k}
    )
    assert missing_attribute.status_code == 400
    no_location = await client.post(
        "/open311/v2/requests.json", data={"api_key": key, "service_code": "garbage"}
    )
    assert no_location.status_code == 400

    created = await client.post("/open311/v2/requests.json", data=form)
    assert created.status_code == 201, created.text
    answer = created.json()
    assert list(answer[0]) == ["service_request_id", "service_notice", "account_id"]
    request_id = answer[0]["service_request_id"]

    xml_created = await client.post("/open311/v2/requests.xml", data={**form, "description": "又一处塌陷"})
    root = _xml(xml_created)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text

    # The same row is what community staff work on in the app.
    stored = await Report.get(id=request_id)
    assert stored.community_id == a.id and stored.source.value == "open311"
    assert "13812345678" not in (stored.contact_phone_enc or "")
    staff = await staff_of(a)
    await client.post(
        f"/api/v1/staff/reports/{request_id}/status",
        json={"status": "resolved", "note": "已修复"},
        headers=headers_for(staff, settings),
    )
    # The public sees the description and the photo once staff approved them.
    await client.post(
        f"/api/v1/staff/reports/{request_id}/publication",
        json={"description": True, "photos": True},
        headers=headers_for(staff, settings),
    )

    one = await client.get(f"/open311/v2/requests/{request_id}.json")
    assert one.status_code == 200
    item = one.json()[0]
    assert list(item) == REQUEST_FIELDS
    assert item["status"] == "closed" and item["status_notes"] == "已修复"
    assert item["service_code"] == "road_damage" and item["description"] == "人行道塌陷"
    assert item["media_url"] == "https://img.example.com/1.jpg"
    assert W3.match(item["requested_datetime"]) and W3.match(item["updated_datetime"])
    assert item["requested_datetime"].endswith("+08:00")
    assert "13812345678" not in one.text and "zhang@example.com" not in one.text and "张" not in one.text

    xml_one = _xml(await client.get(f"/open311/v2/requests/{request_id}.xml"))
    assert [child.tag for child in xml_one.find("request")] == REQUEST_FIELDS
    assert xml_one.findtext("request/status") == "closed"

    token = stored.token
    by_token = await client.get(f"/open311/v2/tokens/{token}.json")
    assert by_token.json() == [{"service_request_id": request_id, "token": token}]
    assert (
        _xml(await client.get(f"/open311/v2/tokens/{token}.xml")).findtext("request/service_request_id")
        == request_id
    )
    assert (await client.get("/open311/v2/tokens/nope.json")).status_code == 404
    gone = await client.get("/open311/v2/requests/0190aaaa-0000-7000-8000-000000000000.xml")
    assert gone.status_code == 404 and _xml(gone).findtext("error/code") == "404"


async def test_open311__get_requests_filters(client: httpx.AsyncClient, settings, wechat_checks) -> None:
    a, _ = await community_pair()
    reporter = await resident(a)
    staff = await staff_of(a)
    ids = {}
    for category, lat in (("garbage", 35.0950), ("streetlight", 35.0954), ("garbage", 35.0990)):
        created = await client.post(
            "/api/v1/community/reports",
            json={
                "category": category,
                "description": f"{category} 问题",
                "lat": lat,
                "lng": 112.5868,
                "confirm_new": True,
            },
            headers=headers_for(reporter, settings),
        )
        assert created.status_code == 201, created.text
        ids.setdefault(category, []).append(created.json()["id"])
    await client.post(
        f"/api/v1/staff/reports/{ids['streetlight'][0]}/status",
        json={"status": "closed"},
        headers=headers_for(staff, settings),
    )

    def found(response: httpx.Response) -> set[str]:
        assert response.status_code == 200, response.text
        return {r["service_request_id"] for r in response.json()}

    every = set(ids["garbage"]) | set(ids["streetlight"])
    assert found(await client.get("/open311/v2/requests.json")) == every
    assert found(await client.get("/open311/v2/requests.json", params={"service_code": "garbage"})) == set(
        ids["garbage"]
    )
    assert found(await client.get("/open311/v2/requests.json", params={"status": "closed"})) == set(
        ids["streetlight"]
    )
    assert found(await client.get("/open311/v2/requests.json", params={"status": "open,closed"})) == every
    picked = ",".join([ids["garbage"][0], ids["streetlight"][0]])
    # service_request_id overrides every other argument.
    assert found(
        await client.get("/open311/v2/requests.json", params={"service_request_id": picked, "status": "open"})
    ) == {ids["garbage"][0], ids["streetlight"][0]}
    # Bounds in the city's offset mean the same instants as in UTC (SQLite compared them as text:
    # a +08:00 bound an hour ago missed reports filed since, whenever the local date was ahead of UTC).
    hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    assert (
        found(await client.get("/open311/v2/requests.json", params={"start_date": hour_ago.isoformat()}))
        == every
    )
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert found(await client.get("/open311/v2/requests.json", params={"start_date": future})) == set()
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    assert (
        found(await client.get("/open311/v2/requests.json", params={"start_date": past, "end_date": future}))
        == every
    )

    too_long = await client.get(
        "/open311/v2/requests.json",
        params={"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    )
    assert too_long.status_code == 400 and too_long.json()[0]["code"] == 400
    assert (await client.get("/open311/v2/requests.json", params={"status": "pending"})).status_code == 400
    assert (
        await client.get("/open311/v2/requests.json", params={"start_date": "yesterday"})
    ).status_code == 400
    root = _xml(await client.get("/open311/v2/requests.xml", params={"service_code": "streetlight"}))
    assert root.tag == "service_requests" and len(root.findall("request")) == 1
    assert root.findtext("request/status") == "closed"


async def test_open311__api_keys_admin_only_and_revocable(client: httpx.AsyncClient, settings) -> None:
    a, _ = await community_pair()
    plain = await resident(a)
    refused = await client.post(
        "/api/v1/admin/open311/keys", json={"partner": "x"}, headers=headers_for(plain, settings)
    )
    assert refused.status_code == 403
    admin = await make_user(roles={Role.ADMIN: [""]})
    issued = await client.post(
        "/api/v1/admin/open311/keys", json={"partner": "数字城管"}, headers=headers_for(admin, settings)
    )
    key, key_id = issued.json()["api_key"], issued.json()["id"]
    listed = await client.get("/api/v1/admin/open311/keys", headers=headers_for(admin, settings))
    assert listed.json()["items"][0]["api_key"] is None  # shown once only
    form = {"api_key": key, "service_code": "garbage", "address_id": a.code, "description": "垃圾"}
    assert (await client.post("/open311/v2/requests.json", data=form)).status_code == 201
    revoked = await client.delete(
        f"/api/v1/admin/open311/keys/{key_id}", headers=headers_for(admin, settings)
    )
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await client.post("/open311/v2/requests.json", data=form)).status_code == 403


async def test_open311__oversized_identifiers_are_not_found_not_errors(
    client: httpx.AsyncClient, settings
) -> None:
    await community_pair()
    key = await _api_key(client, settings)
    long = "x" * 300
    assert (await client.get(f"/open311/v2/tokens/{long}.json")).status_code == 404
    assert (await client.get(f"/open311/v2/requests/{long}.xml")).status_code == 404
    assert (await client.get(f"/open311/v2/services/{long}.json")).status_code == 404
    placed = await client.post(
        "/open311/v2/requests.json", data={"api_key": key, "service_code": "garbage", "address_id": long}
    )
    assert placed.status_code == 400 and placed.json()[0]["code"] == 400


async def test_open311__unknown_resource_is_a_spec_404(client: httpx.AsyncClient) -> None:
    xml = await client.get("/open311/v2/nothing.xml")
    assert xml.status_code == 404 and _xml(xml).findtext("error/code") == "404"
    js = await client.get("/open311/v2/requests/a/b.json")
    assert js.status_code == 404 and js.json()[0]["code"] == 404


async def test_open311__text_held_for_review_is_not_published(client: httpx.AsyncClient, settings) -> None:
    """Through the mounted WeChat sandbox: 'review' text stays with staff, not on the public feed."""
    a, _ = await community_pair()
    reporter = await resident(a)
    created = await client.post(
        "/api/v1/community/reports",
        json={"category": "garbage", "description": "待审核 夜间倾倒垃圾", "lat": 35.0953, "lng": 112.5869},
        headers=headers_for(reporter, settings),
    )
    assert created.status_code == 201, created.text
    public = await client.get(f"/open311/v2/requests/{created.json()['id']}.json")
    assert public.json()[0]["description"] is None
    staff = await staff_of(a)
    seen = await client.get(
        f"/api/v1/community/reports/{created.json()['id']}", headers=headers_for(staff, settings)
    )
    assert seen.json()["description"] == "待审核 夜间倾倒垃圾"


async def test_open311__partner_text_goes_through_wechat_content_security(
    client: httpx.AsyncClient, settings, runtime
) -> None:
    """Through the mounted WeChat sandbox, checked as the city's operator account."""
    a, _ = await community_pair()
    key = await _api_key(client, settings)
    runtime.settings.open311_sec_check_openid = "o-city-operator"

    async def checks() -> int:
        return (
            (await client.get("/sandbox/wechat/__control/state")).json()["counters"].get("msg_sec_check", 0)
        )

    try:
        before = await checks()
        form = {"api_key": key, "service_code": "garbage", "address_id": a.code}
        risky = await client.post("/open311/v2/requests.json", data={**form, "description": "这里有违禁词"})
        assert risky.status_code == 400 and risky.json()[0]["code"] == 400
        assert "违禁" not in risky.json()[0]["description"]
        held = await client.post("/open311/v2/requests.json", data={**form, "description": "待审核 垃圾"})
        clean = await client.post("/open311/v2/requests.json", data={**form, "description": "垃圾堆放"})
        assert held.status_code == 201 and clean.status_code == 201
        assert await checks() - before == 3
        verdicts = {
            r.description: r.sec_suggest for r in await Report.filter(source="open311").order_by("created_at")
        }
        assert verdicts == {"待审核 垃圾": "review", "垃圾堆放": "pass"}
    finally:
        runtime.settings.open311_sec_check_openid = None
    # Without an account to check as, partner text is held for staff rather than passed unchecked.
    unchecked = await client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "garbage", "address_id": a.code, "description": "另一处"},
    )
    assert (await Report.get(id=unchecked.json()[0]["service_request_id"])).sec_suggest == "review"


async def test_open311__dates_at_the_edges_of_the_calendar_are_400(client: httpx.AsyncClient) -> None:
    for params in (
        {"start_date": "9999-12-31T00:00:00Z"},
        {"end_date": "0001-01-01T00:00:00Z"},
        {"start_date": "9999-12-31T00:00:00Z", "end_date": "0001-01-01T00:00:00Z"},
    ):
        answer = await client.get("/open311/v2/requests.json", params=params)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()[0]["code"] == 400
    xml = await client.get("/open311/v2/requests.xml", params={"start_date": "9999-12-31T00:00:00Z"})
    assert xml.status_code == 400 and _xml(xml).findtext("error/code") == "400"
