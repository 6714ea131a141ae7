"""The OpenAPI document tells the truth: exact parameters, bodies, refs, enums, formats, errors, security."""

from __future__ import annotations

import json
import re
import time

import httpx


def _walk(node, found: list) -> None:
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk(value, found)


async def test_openapi__refs_resolve_and_no_phantom_fields(openapi_document: dict) -> None:
    text = json.dumps(openapi_document)
    assert "#/$defs/" not in text and '"$defs"' not in text
    assert "model_config" not in text
    schemas = openapi_document["components"]["schemas"]
    dangling = {ref for ref in re.findall(r'"#/components/schemas/([^"]+)"', text) if ref not in schemas}
    assert dangling == set()
    nodes: list = []
    _walk(openapi_document, nodes)
    # An enum is a list of values of one type, never an "object" with an enum.
    enums = [n for n in nodes if "enum" in n]
    assert enums and all(n.get("type") != "object" for n in enums)
    formats = {n.get("format") for n in nodes}
    assert {"uuid", "date-time"} <= formats


async def test_openapi__query_parameters_are_parameters_with_their_own_schema(openapi_document: dict) -> None:
    inbox = openapi_document["paths"]["/api/v1/me/inbox"]["get"]
    params = {p["name"]: p for p in inbox["parameters"]}
    assert params["limit"]["in"] == "query" and params["limit"]["required"] is False
    assert params["limit"]["schema"] == {
        "default": 20,
        "description": "page size (at most 100)",
        "maximum": 100,
        "minimum": 1,
        "title": "Limit",
        "type": "integer",
    }
    slots = openapi_document["paths"]["/api/v1/resources/{resource_id}/slots"]["get"]
    path_params = [p for p in slots["parameters"] if p["in"] == "path"]
    assert [p["name"] for p in path_params] == ["resource_id"] and path_params[0]["required"] is True


async def test_openapi__strict_bodies_are_closed_and_say_what_is_required(openapi_document: dict) -> None:
    booking = openapi_document["paths"]["/api/v1/bookings"]["post"]
    ref = booking["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = openapi_document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["additionalProperties"] is False
    assert "slot_id" in schema["required"]
    assert "model_config" not in schema["properties"]


async def test_openapi__errors_security_and_no_sandboxes(openapi_document: dict) -> None:
    paths = openapi_document["paths"]
    assert not [p for p in paths if p.startswith("/sandbox")]
    envelope = "#/components/schemas/ErrorEnvelope"
    assert set(openapi_document["components"]["schemas"]["ErrorEnvelope"]["required"]) == {"error"}
    for path, operations in paths.items():
        if path.startswith("/open311/"):
            continue  # GeoReport v2 has its own error format
        for method, operation in operations.items():
            responses = operation["responses"]
            assert responses["422"]["content"]["application/json"]["schema"]["$ref"] == envelope, (
                path,
                method,
            )
            assert responses["default"]["content"]["application/json"]["schema"]["$ref"] == envelope
            assert "security" in operation
    me = paths["/api/v1/me"]["get"]
    assert me["security"] == [{"bearer": []}] and "401" in me["responses"]
    assert paths["/health"]["get"]["security"] == []
    assert "404" in paths["/api/v1/bookings/{booking_id}"]["get"]["responses"]


async def test_openapi__served_from_memory(client: httpx.AsyncClient) -> None:
    first = await client.get("/docs/openapi.json")
    assert first.status_code == 200
    started = time.monotonic()
    for _ in range(5):
        again = await client.get("/docs/openapi.json")
    assert (time.monotonic() - started) / 5 < 0.2
    assert again.content == first.content


async def test_bodies__json_types_are_the_documented_ones(client: httpx.AsyncClient, settings) -> None:
    """The document says boolean/integer; the server used to coerce 0 and "true" (schemathesis ST201)."""
    from services.accounts.enums import VerificationLevel
    from tests.factories import auth_headers, make_user

    user = await make_user(level=VerificationLevel.REAL_NAME)
    headers = auth_headers(user, settings)
    for prefs in ({"care_reminders": 0}, {"case_updates": "true"}):
        response = await client.patch("/api/v1/me", json={"notification_prefs": prefs}, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "request.invalid"
    # JSON Schema counts 30.0 as an integer (schemathesis sends such values), a string is not one.
    invite = await client.post(
        "/api/v1/me/family", json={"scopes": ["bookings"], "valid_days": 30.0}, headers=headers
    )
    assert invite.status_code == 201, invite.text
    text = await client.post(
        "/api/v1/me/family", json={"scopes": ["bookings"], "valid_days": "30"}, headers=headers
    )
    assert text.status_code == 422, text.text
    fine = await client.patch(
        "/api/v1/me", json={"locale": "en", "notification_prefs": {"care_reminders": False}}, headers=headers
    )
    assert fine.status_code == 200, fine.text
    assert fine.json()["locale"] == "en"


async def test_openapi__bodies_with_defaults_are_optional_and_rules_across_fields_are_stated(
    openapi_document: dict,
) -> None:
    paths = openapi_document["paths"]
    # Every field of a profile patch has a default: an empty body is a valid one (mini-program report).
    assert paths["/api/v1/me"]["patch"]["requestBody"]["required"] is False
    assert paths["/api/v1/bookings"]["post"]["requestBody"]["required"] is True
    lookup = {p["name"]: p for p in paths["/api/v1/education/districts/lookup"]["get"]["parameters"]}
    place = lookup["place"]
    assert (place["style"], place["explode"], place["required"]) == ("form", True, True)
    assert {"address", "lat", "lng"} == set(place["schema"]["properties"]) and "anyOf" in place["schema"]
    assert lookup["level"]["allowEmptyValue"] is True
    # Cursors are the server's tokens; uploads are multipart with the kinds of file the route judges.
    inbox = {p["name"]: p for p in paths["/api/v1/me/inbox"]["get"]["parameters"]}
    assert inbox["cursor"]["schema"]["format"] == "cursor"
    upload = paths["/api/v1/gov/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert upload["schema"]["properties"]["file"]["format"] == "binary"
    assert "application/pdf" in upload["encoding"]["file"]["contentType"]
    scenic = paths["/api/v1/tourism/scenic-areas"]["get"]["responses"]
    assert "content" not in scenic["304"] and "ETag" in scenic["304"]["headers"]
    login = paths["/api/v1/auth/wechat-login"]["post"]["responses"]
    assert "Retry-After" in login["429"]["headers"]
    near = {p["name"]: p for p in paths["/api/v1/communities"]["get"]["parameters"]}["near"]
    assert re.fullmatch(near["schema"]["pattern"].strip("^$"), "35.09,112.60")
    assert not re.fullmatch(near["schema"]["pattern"].strip("^$"), "95,112.60")


async def test_check_in__someone_with_no_role_is_refused_before_the_code_is_read(
    client: httpx.AsyncClient, settings
) -> None:
    """Schemathesis found a citizen's garbage code answered 422 (the code judged before who asks)."""
    from tests.factories import auth_headers, make_user

    citizen = await make_user()
    response = await client.post(
        "/api/v1/bookings/00/check-in", json={"code": "00000000"}, headers=auth_headers(citizen, settings)
    )
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "booking.staff_only"


async def test_openapi__request_examples_are_realistic_and_valid(openapi_document: dict) -> None:
    """Each body example is one the route's own schema accepts (schemathesis sends them as they are)."""
    import jsonschema_rs

    components = openapi_document["components"]
    examples = 0
    for path, operations in openapi_document["paths"].items():
        for method, operation in operations.items():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if not media or "example" not in media:
                continue
            examples += 1
            validator = jsonschema_rs.validator_for({**media["schema"], "components": components})
            errors = [str(error) for error in validator.iter_errors(media["example"])]
            assert errors == [], (method, path, errors)
    assert examples >= 30
