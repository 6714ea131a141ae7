"""The OpenAPI 3.1 document, built from each route's `@endpoint` contract, once per process.

What the decorator declared is what the document says: query and header parameters one by one with
their JSON Schema (not a schema of a schema), request bodies with `required` and
`additionalProperties: false` (pydantic's own schema of a StrictModel), every model under
`components/schemas` (no dangling `#/$defs/...`), enums and formats as pydantic states them, the
statuses a route can answer with the error envelope, and the security each route needs. Sandbox
routes (simulators of outside systems, test profiles only) are not part of the public contract.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter
from sanic import Request, Sanic
from sanic.response import HTTPResponse, html, raw

from citizen_api.schemas.common import ErrorEnvelope

__all__ = ["Contract", "build_document", "register_openapi_routes"]

DOCUMENT_PATH = "/docs/openapi.json"
_REF = "#/components/schemas/{model}"
_EXCLUDED_PREFIXES = ("/docs", "/sandbox")
# Path parameter labels of sanic-routing and what they are in JSON Schema.
_PATH_TYPES = {
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "uuid": {"type": "string", "format": "uuid"},
}

_ERROR_EXAMPLE = {
    "error": {
        "code": "request.invalid",
        "message": "请求内容有误，请检查后重试。",
        "details": [{"field": "party_size", "type": "greater_than_equal", "reason": "Input should be >= 1"}],
        "request_id": "5f0c1d0e4b8a4c7e9d2f3a1b6c8e0d4f",
    }
}
_ERROR_DESCRIPTIONS = {
    "400": "Malformed request (not JSON, bad multipart body)",
    "401": "Not signed in, or the token expired or was revoked",
    "403": "Signed in but not allowed (role, verification level, proxy scope)",
    "404": "Not found (or not yours)",
    "422": "Invalid input: `details` lists the fields (at most 20)",
    "429": "Too many attempts: wait for `Retry-After` seconds",
    "default": "Any other error, in the error envelope",
}


@dataclass(frozen=True, slots=True)
class Contract:
    """What `@endpoint` declared about a route: the source of its OpenAPI operation."""

    summary: str
    tag: str
    body: Any = None
    query: Any = None
    response: Any = None
    status: int = 200
    security: str = "none"  # none | required | optional
    description: str | None = None
    headers: tuple[tuple[str, str | None, bool], ...] = field(default=())  # (name, description, required)
    form: Any = None  # a multipart/form-data body (file fields are `bytes`)
    limited: bool = False  # abuse limits apply: 429 with Retry-After


# What the request headers a route may declare are, as the server checks them.
_HEADER_SCHEMAS: dict[str, dict[str, Any]] = {
    # services/common/idempotency.py: 1-128 printable ASCII characters.
    "Idempotency-Key": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[ -~]{1,128}$"},
    # The represented person's user id; an empty header is no header.
    "X-Acting-For": {"type": "string", "anyOf": [{"format": "uuid"}, {"maxLength": 0}]},
    "If-None-Match": {"type": "string"},
}
_HEADER_DESCRIPTIONS = {
    "Idempotency-Key": "a retry with the same key returns the first answer (24 h)",
    "If-None-Match": "the ETag of the copy you have: 304 when it is still current",
}
_ETAG_HEADER = {"ETag": {"description": "the document's version", "schema": {"type": "string"}}}


def _openapi_path(route: Any) -> tuple[str, list[dict[str, Any]]]:
    parts, params = [], []
    for part in route.path.strip("/").split("/"):
        if part.startswith("<") and part.endswith(">"):
            name, _, label = part[1:-1].partition(":")
            parts.append("{" + name + "}")
            schema = dict(_PATH_TYPES.get(label or "str", {"type": "string"}))
            if schema.get("type") == "string" and "format" not in schema:
                schema.update({"minLength": 1, "pattern": "^[^/]+$"})
            params.append({"name": name, "in": "path", "required": True, "schema": schema})
        else:
            parts.append(part)
    return "/" + "/".join(parts), params


class _Schemas:
    """Collects every type's JSON Schema with refs into components/schemas, in one pass."""

    def __init__(self) -> None:
        self._inputs: list[tuple[Any, str, TypeAdapter[Any]]] = []
        self._adapters: dict[tuple[Any, str], TypeAdapter[Any]] = {}

    def want(self, annotation: Any, mode: str) -> tuple[Any, str]:
        key = (annotation, mode)
        if key not in self._adapters:
            self._adapters[key] = TypeAdapter(annotation)
            self._inputs.append((key, mode, self._adapters[key]))
        return key

    def resolve(self) -> tuple[dict[tuple[Any, str], dict[str, Any]], dict[str, Any]]:
        if not self._inputs:
            return {}, {}
        by_key, defs = TypeAdapter.json_schemas(self._inputs, ref_template=_REF)
        return {key: schema for (key, _), schema in by_key.items()}, defs.get("$defs", {})


# Open311 GeoReport v2 answers errors as its specification shows them: a list of {code, description},
# in JSON or XML after the format suffix.
_OPEN311_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        "required": ["code", "description"],
    },
}


def _error_response(description: str, path: str = "") -> dict[str, Any]:
    if path.startswith("/open311/"):
        # The format suffix decides: `.xml` answers text/xml, `.json` JSON; `{name}` carries either.
        content: dict[str, Any] = {}
        if not path.endswith(".xml"):
            content["application/json"] = {"schema": _OPEN311_ERRORS}
        if not path.endswith(".json"):
            content["text/xml"] = {"schema": {"type": "string"}}
        return {"description": description, "content": content}
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": _REF.format(model="ErrorEnvelope")},
                "example": _ERROR_EXAMPLE,
            }
        },
    }


def build_document(app: Sanic) -> dict[str, Any]:
    """The OpenAPI document of every public route of `app` that declares a contract."""
    schemas = _Schemas()
    envelope = schemas.want(ErrorEnvelope, "serialization")
    pending: list[tuple[str, str, Contract, list[dict[str, Any]], dict[str, Any]]] = []
    for route in app.router.routes:
        contract: Contract | None = getattr(route.handler, "__contract__", None)
        path, path_params = _openapi_path(route)
        if contract is None or path.startswith(_EXCLUDED_PREFIXES):
            continue
        keys = {
            "body": schemas.want(contract.body, "validation") if contract.body is not None else None,
            "query": schemas.want(contract.query, "validation") if contract.query is not None else None,
            "response": schemas.want(contract.response, "serialization")
            if contract.response is not None
            else None,
            "form": schemas.want(contract.form, "validation") if contract.form is not None else None,
        }
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            pending.append((path, method.lower(), contract, path_params, keys))
    resolved, components = schemas.resolve()
    components["ErrorEnvelope"] = components.get("ErrorEnvelope") or resolved[envelope]

    paths: dict[str, dict[str, Any]] = {}
    for path, method, contract, path_params, keys in pending:
        operation: dict[str, Any] = {
            "operationId": f"{method}_{path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"
            or method,
            "summary": contract.summary,
            "tags": [contract.tag],
        }
        if contract.description:
            operation["description"] = contract.description
        parameters = list(path_params)
        if keys["query"] is not None:
            query_schema = _inline(resolved[keys["query"]], components)
            required = set(query_schema.get("required", []))
            grouped = _grouped_parameter(query_schema)
            if grouped is not None:
                parameters.append(grouped)
            for name, prop in query_schema.get("properties", {}).items():
                if grouped is not None and name in grouped["schema"]["properties"]:
                    continue
                prop = _query_value(prop)
                parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
                if name not in required:
                    # Sanic drops blank values (`?level=`): an empty optional parameter is an absent one.
                    parameter["allowEmptyValue"] = True
                if prop.get("description"):
                    parameter["description"] = prop["description"]
                parameters.append(parameter)
        for name, description, required in contract.headers:
            schema = _HEADER_SCHEMAS.get(name, {"type": "string"})
            header = {"name": name, "in": "header", "required": required, "schema": dict(schema)}
            description = description or _HEADER_DESCRIPTIONS.get(name)
            if description:
                header["description"] = description
            parameters.append(header)
        if parameters:
            operation["parameters"] = parameters
        if keys["body"] is not None:
            body_schema = resolved[keys["body"]]
            media: dict[str, Any] = {"schema": body_schema}
            example = _example(body_schema, components)
            if example is not None:
                media["example"] = example
            operation["requestBody"] = {
                # An empty body is `{}` (citizen_api.endpoint.json_body): required only when a field is.
                "required": bool(_inline(body_schema, components).get("required")),
                "content": {"application/json": media},
            }
        elif keys["form"] is not None:
            operation["requestBody"] = _multipart(_inline(resolved[keys["form"]], components))
        success: dict[str, Any] = {"description": "OK"}
        if keys["response"] is not None:
            response_schema = resolved[keys["response"]]
            media = {"schema": response_schema}
            example = _example(response_schema, components)
            if example is not None:
                media["example"] = example
            success["content"] = {"application/json": media}
        responses: dict[str, Any] = {str(contract.status): success}
        if any(name == "If-None-Match" for name, _, _ in contract.headers):
            success["headers"] = dict(_ETAG_HEADER)
            responses["304"] = {
                "description": "Not modified: your copy is current",
                "headers": dict(_ETAG_HEADER),
            }
        statuses = ["400", "422"]
        if contract.security != "none":
            statuses += ["401", "403"]
        if path_params:
            statuses.append("404")
        if contract.limited:
            statuses.append("429")
        for status in [*statuses, "default"]:
            responses.setdefault(status, _error_response(_ERROR_DESCRIPTIONS[status], path))
        if "429" in responses:
            responses["429"]["headers"] = {
                "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 0}}
            }
        operation["responses"] = responses
        operation["security"] = {
            "none": [],
            "required": [{"bearer": []}],
            "optional": [{}, {"bearer": []}],
        }[contract.security]
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "智慧济源 Citizen Services API",
            "version": "1.0.0",
            "description": "One account for Jiyuan's government, education, care, tourism and community services. "
            "Every request answers errors in the error envelope, in the caller's language (zh_CN default, en); "
            "no field may contain NUL (U+0000); an empty optional query parameter is an absent one; every "
            "time is ISO 8601 with the +08:00 offset.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _grouped_parameter(query_schema: dict[str, Any]) -> dict[str, Any] | None:
    """Query fields bound by a rule across them (`anyOf` on the model) as one exploded object parameter.

    `?address=...` or `?lat=..&lng=..` is what an object parameter with style form + explode puts on
    the wire, and its schema can say "one of these sets", which separate parameters cannot.
    """
    name, branches = query_schema.get("x-parameter"), query_schema.get("anyOf")
    if not name or not isinstance(branches, list):
        return None
    names: list[str] = []
    for branch in branches:
        for key in [*branch.get("required", ()), *branch.get("properties", {})]:
            if key not in names:
                names.append(key)
    properties = {key: _query_value(query_schema["properties"][key]) for key in names}
    schema = {"type": "object", "properties": properties, "anyOf": branches}
    description = query_schema.get("description")
    parameter = {
        "name": name,
        "in": "query",
        "required": True,
        "style": "form",
        "explode": True,
        "schema": schema,
    }
    if description:
        parameter["description"] = description
    return parameter


def _query_value(prop: dict[str, Any]) -> dict[str, Any]:
    """A query field's schema as the wire has it: `X | None` is an optional X (a query string has no null)."""
    branches = prop.get("anyOf")
    if not isinstance(branches, list):
        return prop
    kept = [branch for branch in branches if branch != {"type": "null"}]
    if len(kept) == len(branches):
        return prop
    rest = {key: value for key, value in prop.items() if key != "anyOf"}
    if rest.get("default", ...) is None:
        del rest["default"]
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {**rest, "anyOf": kept}


def _example(schema: dict[str, Any], components: dict[str, Any]) -> Any:
    """The first of the model's own `examples` (json_schema_extra), for the media type's `example`."""
    examples = _inline(schema, components).get("examples")
    return examples[0] if isinstance(examples, list) and examples else None


def _multipart(schema: dict[str, Any]) -> dict[str, Any]:
    """A multipart/form-data body from a form model: `bytes` fields are files of the media types it names."""
    properties, encoding = {}, {}
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        if prop.get("format") == "binary" or prop.get("contentMediaType"):
            media_types = prop.pop("contentMediaType", None) or "application/octet-stream"
            prop = {"type": "string", "format": "binary", **{k: v for k, v in prop.items() if k != "type"}}
            encoding[name] = {"contentType": media_types}
        properties[name] = prop
    body_schema = {**schema, "properties": properties}
    media: dict[str, Any] = {"schema": body_schema}
    if encoding:
        media["encoding"] = encoding
    return {"required": bool(schema.get("required")), "content": {"multipart/form-data": media}}


def _inline(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """A model's own schema when `schema` is a bare $ref to it (query models are read field by field)."""
    ref = schema.get("$ref")
    if ref and ref.startswith("#/components/schemas/"):
        return components[ref.rsplit("/", 1)[1]]
    return schema


_UI = """<!doctype html>
<html><head><meta charset="utf-8"><title>智慧济源 API</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/docs/openapi.json", dom_id: "#ui"});</script>
</body></html>"""


def register_openapi_routes(app: Sanic) -> None:
    """GET /docs (Swagger UI) and /docs/openapi.json, built on first request and then served from memory."""

    @app.get(DOCUMENT_PATH, name="openapi_document")
    async def document(request: Request) -> HTTPResponse:
        body = getattr(request.app.ctx, "openapi_body", None)
        if body is None:
            body = json.dumps(build_document(request.app), ensure_ascii=False).encode()
            request.app.ctx.openapi_body = body
        return raw(body, content_type="application/json")

    @app.get("/docs", name="openapi_ui")
    async def ui(request: Request) -> HTTPResponse:
        return html(_UI)
