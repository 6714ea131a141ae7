"""`@endpoint`: the one way a handler declares its contract.

It validates the JSON body and query string into pydantic models, authenticates and checks the
verification level and roles, resolves a family-proxy header, documents the route in OpenAPI, and
serialises what the handler returns. Handlers stay thin: parse, one service call, serialise.
"""

from __future__ import annotations

import collections.abc
import contextlib
import datetime as dt
import decimal
import enum
import functools
import json as stdlib_json
import logging
import types
import typing
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_json, to_jsonable_python
from sanic import Request
from sanic.exceptions import BadRequest
from sanic.headers import parse_content_header
from sanic.request.form import parse_multipart_form
from sanic.response import HTTPResponse

from citizen_api.openapi import Contract
from integrations.http import CallContext, call_context
from services.accounts import access, family
from services.accounts.enums import Role, VerificationLevel
from services.accounts.levels import require_level
from services.accounts.principal import Principal
from services.accounts.revocation import RevocationStore
from services.common import audit, clock
from services.common.context import RequestContext, request_context
from services.common.errors import DomainError, InvalidInput, PermissionDenied, Unauthenticated
from services.common.ratelimit import RateLimiter, named_rule
from services.common.storage import FileLinks

__all__ = [
    "ACTING_FOR_HEADER",
    "behind_proxy",
    "MAX_BODY_KEYS",
    "client_ip",
    "default_query",
    "enforce_limit",
    "endpoint",
    "file_links",
    "json_body",
    "json_response",
    "parse_multipart_body",
    "principal_of",
    "refusal_budget",
    "rate_limiter",
    "revocation_store",
    "serialise",
]

ACTING_FOR_HEADER = "X-Acting-For"

log = logging.getLogger(__name__)


def _city_time(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(clock.CITY_TZ) if value.tzinfo is not None else value
    if isinstance(value, dict):
        return {key: _city_time(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_city_time(item) for item in value]
    return value


def serialise(value: Any) -> Any:
    """Pydantic models, UUIDs, datetimes and enums to JSON-ready values.

    The one time format of every response: ISO 8601 in the city's time, with its +08:00 offset,
    whatever zone the value was stored or computed in (the database answers UTC).
    """
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    return to_jsonable_python(_city_time(value))


_PLAIN_TYPES = (str, int, float, bool, bytes, uuid.UUID, enum.Enum, decimal.Decimal, dt.date, dt.time)


def _without_datetimes(annotation: Any) -> bool:
    """True when a value of `annotation` can never hold a datetime (so needs no city-time pass)."""
    if annotation is None or annotation is type(None):
        return True
    if isinstance(annotation, type):
        if issubclass(annotation, dt.datetime):
            return False
        if issubclass(annotation, BaseModel):
            return annotation in _in_progress or _plain_model(annotation)
        return issubclass(annotation, _PLAIN_TYPES)
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _without_datetimes(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return True
    if origin in (list, tuple, set, frozenset, dict, typing.Union, types.UnionType) or (
        isinstance(origin, type) and issubclass(origin, collections.abc.Collection)
    ):
        args = [arg for arg in typing.get_args(annotation) if arg is not Ellipsis]
        return bool(args) and all(_without_datetimes(arg) for arg in args)
    return False  # Any, TypeVars, forward references: assume they might


@functools.cache
def _plain_model(model: type[BaseModel]) -> bool:
    """A model none of whose fields (nested models included) can hold a datetime."""
    if model.model_config.get("extra") == "allow" or model.__pydantic_computed_fields__:
        return False
    _in_progress.add(model)  # a model that nests itself
    try:
        return all(_without_datetimes(field.annotation) for field in model.model_fields.values())
    finally:
        _in_progress.discard(model)


_in_progress: set[type[BaseModel]] = set()


def json_response(value: Any, status: int = 200) -> HTTPResponse:
    """`value` serialised as `serialise` does, encoded by pydantic-core (UTF-8, no ASCII escapes).

    A model without datetimes (most small answers: /health, lists of names) is encoded straight
    from the model, skipping the intermediate dict (issue 12: ~4 µs of a ~60 µs request).
    """
    if isinstance(value, BaseModel) and _plain_model(type(value)):
        body = value.__pydantic_serializer__.to_json(value)
    else:
        body = to_json(serialise(value))
    return HTTPResponse(body, status=status, content_type="application/json")


# No request body of ours has more than a few dozen fields; thousands of keys are refused before
# validation, which would otherwise spend seconds building one error per key.
MAX_BODY_KEYS = 200


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; an empty body is {}, anything but an object is a 422."""
    if not request.body:
        return {}
    # Every key is followed by a colon, so this C-speed count bounds the number of keys: a body of
    # hundreds of thousands of keys is refused before the decoder blocks the event loop for seconds.
    if request.body.count(b":") > MAX_BODY_KEYS * 50:
        raise InvalidInput("request.too_many_fields", max=MAX_BODY_KEYS)
    data = request.json  # malformed JSON raises Sanic's BadRequest -> 400 request.malformed
    if not isinstance(data, dict):
        raise InvalidInput("request.body_not_object")
    if len(data) > MAX_BODY_KEYS:
        raise InvalidInput("request.too_many_fields", max=MAX_BODY_KEYS)
    return data


def _integral(value: Any) -> Any:
    """JSON's 2.0 is the integer 2 (JSON Schema says so too); other values as they are."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def _has_integral_float(value: Any) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_has_integral_float(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_integral_float(item) for item in value)
    return False


def _strict_body(model: type[BaseModel], data: dict[str, Any], raw_body: bytes) -> BaseModel:
    """`data` in pydantic's strict JSON mode: JSON's own types, as the document states them.

    `0` is not a boolean and "2" not an integer (strict JSON mode still reads dates, UUIDs and enums
    from strings); 2.0 is an integer, as JSON Schema counts it.
    """
    if not data:
        return model.model_validate(data)
    if _has_integral_float(data):
        return model.model_validate_json(stdlib_json.dumps(_integral(data)), strict=True)
    return model.model_validate_json(raw_body, strict=True)


def parse_multipart_body(request: Request) -> None:
    """Parse a multipart body here, so a missing boundary or a garbled body is a 400 request.malformed.

    Sanic's own lazy parsing logs such bodies with a traceback at ERROR and then hands out an empty form.
    """
    content_type, parameters = parse_content_header(request.headers.get("content-type", ""))
    if content_type != "multipart/form-data":
        return
    boundary = parameters.get("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise BadRequest("multipart body without a boundary")
    try:
        request.parsed_form, request.parsed_files = parse_multipart_form(request.body, boundary.encode())
    except Exception as error:  # any parse failure is the sender's malformed body
        raise BadRequest("malformed multipart body") from error


def _parse_multipart_if_any(request: Request) -> None:
    # Only a multipart/form-data Content-Type needs parse_multipart_body; skip its parsing otherwise.
    content_type = request.headers.get("content-type")
    if content_type and "multipart/form-data" in content_type.lower():
        parse_multipart_body(request)


# Defaults that no handler can change in place: a shared instance of such a model stays what it was.
_IMMUTABLE_DEFAULTS = (type(None), str, int, float, bool, bytes, tuple, frozenset, enum.Enum)


def default_query(model: type[BaseModel]) -> BaseModel | None:
    """The instance `model.model_validate({})` gives, when it is the same for every request, else None.

    A request without a query string validates to exactly this (issue 12: ~1.5 µs a request spent
    validating nothing). Only for models whose empty validation cannot vary: no validators of any
    kind, no default factories, only immutable defaults, and every field optional (a required field
    makes {} a 422, which must still be raised per request).
    """
    decorators = model.__pydantic_decorators__
    if any(
        (
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.model_validators,
            decorators.computed_fields,
        )
    ):
        return None
    for field in model.model_fields.values():
        if field.default_factory is not None or field.validate_default or field.is_required():
            return None
        if not isinstance(field.default, _IMMUTABLE_DEFAULTS):
            return None
    return model.model_validate({})


def _query_dict(request: Request, model: type[BaseModel]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, items in request.args.items():
        field = model.model_fields.get(key)
        is_list = field is not None and getattr(field.annotation, "__origin__", None) is list
        values[key] = items if is_list else items[-1]
    return values


async def authenticate(request: Request) -> Principal:
    """The caller behind `Authorization: Bearer <token>`, or Unauthenticated."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("auth.required")
    runtime = request.app.ctx.runtime
    claims = runtime.tokens.verify(token.strip())
    principals = runtime.principals
    # The session row is the truth; Redis caches the verdict and may have lost it (see revocation.py).
    # The same MGET reads the principal's version, so a cached principal costs no round trip.
    revoked, version = await revocation_store(request).check(
        jti=claims.jti, session_id=claims.session_id, also=principals.version_key(claims.user_id)
    )
    if revoked:
        raise Unauthenticated("auth.token_revoked")
    principal = await principals.get(claims.user_id, version)
    request.ctx.token_claims = claims
    return principal


def revocation_store(request: Request) -> RevocationStore:
    """The revocation check on the runtime's Redis, backed by the session rows."""
    runtime = request.app.ctx.runtime
    return RevocationStore(
        redis=runtime.redis,
        keys=runtime.keys,
        access_ttl_s=runtime.settings.access_token_ttl_s,
        live_cache_s=runtime.settings.session_live_cache_s,
    )


def principal_of(request: Request) -> Principal | None:
    return getattr(request.ctx, "principal", None)


def behind_proxy(config: Any) -> bool:
    """Whether Sanic is told of a proxy (without, it ignores forwarding headers: remote_addr is "")."""
    return bool(config.get("FORWARDED_SECRET") or config.get("REAL_IP_HEADER") or config.get("PROXIES_COUNT"))


def client_ip(request: Request) -> str:
    """The caller's address (behind a proxy: Sanic's REAL_IP_HEADER / PROXIES_COUNT settings decide)."""
    if behind_proxy(request.app.config):
        return request.remote_addr or request.ip or "unknown"
    return request.ip or "unknown"


def rate_limiter(request: Request) -> RateLimiter:
    """This process's rate limiter, on the runtime's Redis (in-memory while Redis is down)."""
    return request.app.ctx.runtime.rate_limiter


def file_links(request: Request) -> FileLinks:
    """Signer and checker of the expiring `?t=` links to uploaded files (key derived from the secret)."""
    settings = request.app.ctx.runtime.settings
    return FileLinks.from_secret(settings.secret_key.get_secret_value(), ttl_s=settings.file_link_ttl_s)


async def enforce_limit(request: Request, name: str, *, user_id: object | None = None) -> None:
    """Count one attempt against `<name>.ip` and (given a user) `<name>.user`; 429 with Retry-After.

    The limits are settings (citizen_api.settings.DEFAULT_RATE_LIMITS); a name without one is not
    limited. Routes declare `@endpoint(limit=name)`; routes outside `@endpoint` call this directly.
    """
    settings = request.app.ctx.runtime.settings
    limiter = rate_limiter(request)
    for suffix, identifier in (("ip", client_ip(request)), ("user", user_id)):
        rule_name = f"{name}.{suffix}"
        limit = settings.rate_limit(rule_name)
        if limit and identifier is not None:
            await limiter.hit(named_rule(rule_name, limit), str(identifier))


@contextlib.asynccontextmanager
async def refusal_budget(
    request: Request,
    name: str,
    *,
    user_id: object,
    refusals: tuple[type[BaseException], ...],
    audit_action: str | None = None,
) -> AsyncIterator[None]:
    """Limit how often `user_id` may be refused with `refusals` (setting `<name>.user`).

    For refusals that reveal something about another person (e.g. "this visitor already holds an
    entry that day"): once the budget is spent every attempt is a 429, whatever its outcome.

        async with refusal_budget(request, "tourism.visitor_conflict", user_id=actor.user_id,
                                  refusals=(VisitorAlreadyEntered,), audit_action="tourism.visitor_conflict"):
            booking = await service.book(...)
    """
    rule_name = f"{name}.user"
    limit = request.app.ctx.runtime.settings.rate_limit(rule_name)
    if not limit:
        limit = "1000000/second"  # no budget configured: still audited, effectively unlimited
    rule = named_rule(rule_name, limit)
    limiter = rate_limiter(request)
    await limiter.ensure_allowed(rule, str(user_id))
    try:
        yield
    except refusals as refusal:
        await limiter.check(rule, str(user_id))
        if audit_action:
            code = getattr(refusal, "code", type(refusal).__name__)
            await audit.record(audit_action, actor_id=user_id, details={"refusal": code})  # type: ignore[arg-type]
        raise


def _bind_call_context(request: Request, actor: Principal) -> None:
    """Departments see who acted (the signed-in user, not whom they act for) on every call."""
    request_id = getattr(request.ctx, "request_id", None)
    acting_user = str(actor.user_id)
    request_context.set(RequestContext(request_id=request_id, acting_user=acting_user))
    call_context.set(CallContext(request_id=request_id, acting_user=acting_user))


async def _record_proxy_action(request: Request, actor: Principal, status: int) -> None:
    # Only what succeeded was done on the person's behalf; refusals change nothing for them.
    if actor.acting_for is None or status >= 400:
        return
    await family.record_proxy_action(actor=actor, method=request.method, route=request.path, status=status)


def _refusal(request: Request, error: DomainError) -> HTTPResponse:
    """A handler's refusal answered here, with the envelope the app's DomainError handler gives, not
    through Sanic's exception handling (issue 12: ~10% of a refused booking's CPU went to
    `handle_exception`: the exception signal, the handler lookup, a second response path)."""
    from citizen_api.errors import refusal_response  # errors imports this module

    return refusal_response(request, error)


def endpoint(
    *,
    summary: str,
    tag: str,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: Any = None,
    status: int = 200,
    auth: bool = False,
    optional_auth: bool = False,
    level: VerificationLevel | None = None,
    roles: Sequence[Role] = (),
    proxy_scope: str | None = None,
    description: str | None = None,
    headers: Sequence[str] = (),
    limit: str | None = None,
    form: type[BaseModel] | None = None,
    limited: bool = False,
) -> Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[HTTPResponse]]]:
    """Declare a route's contract. Keyword arguments passed to the handler: body, query, actor.

    `limit="bookings.create"` applies the abuse limits `bookings.create.ip` / `.user` from settings.
    `limited=True` documents the 429 of a handler that applies a limit itself (`rate_limiter(request)`).
    `form` documents a multipart/form-data body the handler reads itself (`bytes` fields are files).
    """
    needs_auth = auth or level is not None or bool(roles) or proxy_scope is not None

    def decorator(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[HTTPResponse]]:
        @functools.wraps(handler)
        async def wrapper(request: Request, **path: Any) -> HTTPResponse:
            try:
                kwargs: dict[str, Any] = dict(path)
                if needs_auth or (optional_auth and request.headers.get("authorization")):
                    actor = await authenticate(request)
                    if actor.locale and not request.args.get("lang"):
                        request.ctx.locale = actor.locale
                    if level is not None:
                        require_level(actor, level)
                    if roles and not any(actor.has_role(role) for role in roles):
                        raise PermissionDenied("auth.role_required", role=",".join(r.value for r in roles))
                    acting_for = request.headers.get(ACTING_FOR_HEADER)
                    if acting_for:
                        if proxy_scope is None:
                            raise PermissionDenied("proxy.not_supported")
                        actor = await access.act_for(actor=actor, subject=acting_for, scope=proxy_scope)
                        if level is not None:
                            # The represented person must hold the level too (a hospital needs *their* identity).
                            require_level(actor, level)
                    request.ctx.principal = actor
                    _bind_call_context(request, actor)
                    kwargs["actor"] = actor
                elif optional_auth:
                    kwargs["actor"] = None
                _parse_multipart_if_any(request)
                if limit is not None:
                    # The account that acts is counted, also when it acts for a relative.
                    acting = kwargs.get("actor")
                    await enforce_limit(
                        request, limit, user_id=acting.user_id if acting is not None else None
                    )
                if body is not None:
                    data = json_body(request)
                    # JSON's own types, as the document states them: `0` is not a boolean, "2" not an
                    # integer (pydantic's strict JSON mode still reads dates, UUIDs and enums from strings).
                    kwargs["body"] = _strict_body(body, data, request.body)
                if query is not None:
                    kwargs["query"] = parsed_query(request)
                result = await handler(request, **kwargs)
                response = result if isinstance(result, HTTPResponse) else json_response(result, status)
                actor_used = kwargs.get("actor")
                if actor_used is not None and actor_used.acting_for is not None:
                    await _record_proxy_action(request, actor_used, response.status)
                return response
            except DomainError as error:
                return _refusal(request, error)

        @functools.wraps(handler)
        async def plain_wrapper(request: Request, **path: Any) -> HTTPResponse:
            # No caller, body, query or limit to handle: the handler and the serialisation only.
            _parse_multipart_if_any(request)
            try:
                result = await handler(request, **path)
            except DomainError as error:
                return _refusal(request, error)
            return result if isinstance(result, HTTPResponse) else json_response(result, status)

        @functools.wraps(handler)
        async def query_wrapper(request: Request, **path: Any) -> HTTPResponse:
            # A query string and nothing else to handle (the anonymous cached reads): as `wrapper` does.
            _parse_multipart_if_any(request)
            try:
                result = await handler(request, query=parsed_query(request), **path)
            except DomainError as error:
                return _refusal(request, error)
            return result if isinstance(result, HTTPResponse) else json_response(result, status)

        empty_query = default_query(query) if query is not None else None

        def parsed_query(request: Request) -> Any:
            if empty_query is not None and not request.query_string:
                return empty_query  # what validating the empty query gives (default_query)
            return query.model_validate(_query_dict(request, query))  # type: ignore[union-attr]

        others = needs_auth or optional_auth or body or limit
        chosen = plain_wrapper if not (others or query) else query_wrapper if not others else wrapper

        header_params = [(name, None, False) for name in headers]
        if proxy_scope is not None:
            header_params.insert(0, (ACTING_FOR_HEADER, "act for a family member (proxy grant)", False))
        # citizen_api/openapi.py builds the document from this (once, on the first request for it).
        chosen.__contract__ = Contract(  # type: ignore[attr-defined]
            summary=summary,
            tag=tag,
            body=body,
            query=query,
            response=response,
            status=status,
            security="required" if needs_auth else "optional" if optional_auth else "none",
            description=description,
            headers=tuple(header_params),
            form=form,
            limited=limited or limit is not None,
        )
        return chosen

    return decorator
