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
