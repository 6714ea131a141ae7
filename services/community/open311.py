"""Open311 GeoReport v2 over the same reports table: services, service requests, tokens, api keys.

Every service is `realtime`: POST returns the service_request_id at once. Each report still has a
token, so GET tokens/{token} answers for any report. Status maps open|in_progress -> open and
resolved|closed|duplicate -> closed. The feed is public, so it shows what
services.community.publication allows: public categories only, no private report, the location
rounded to ~100 m, the description only once staff approved it (scrubbed of ID and phone
numbers), photos only once reviewed and through signed, expiring links; the public `address` is
the community's (a typed address may be someone's home).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import Q

from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.common import audit, clock
from services.common.crypto import PiiCipher
from services.common.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.common.i18n import translate
from services.common.ids import parse_id
from services.community.communities import MAX_PLACEMENT_M, address_in, distance_m
from services.community.content import SCENE_REPORT, SecCheck, check_text
from services.community.enums import ReportCategory, ReportSource, ReportStatus, SecVerdict
from services.community.errors import ContentRisky
from services.community.models import Community, Open311ApiKey, Report
from services.community.ports import ContentChecker
from services.community.publication import PublicPolicy, is_public, public_location, sign_media
from services.community.reports import file_report

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_REQUESTS",
    "ApiKeyInvalid",
    "AttributeDef",
    "Open311Error",
    "RequestNotFound",
    "ServiceNotFound",
    "TokenNotFound",
    "discovery",
    "get_request",
    "issue_api_key",
    "list_api_keys",
    "query_requests",
    "request_for_token",
    "request_view",
    "revoke_api_key",
    "service_definition",
    "service_list",
    "submit_request",
]

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-29T00:00:00+08:00"
DEFAULT_WINDOW = dt.timedelta(days=90)
MAX_REQUESTS = 1000
DESCRIPTION_MAX = 4000
# Working days a community aims to act within; reported as expected_datetime.
EXPECTED_WORKING_DAYS = 3
_KEY_PURPOSE = "open311.api_key"
_CODES = frozenset(c.value for c in ReportCategory)


class Open311Error(DomainError):
    """Refusals rendered in the GeoReport error format; `status` is the HTTP (and body) code."""

    status = 400
    code = "open311.bad_request"


class ApiKeyInvalid(Open311Error, PermissionDenied):
    status = 403
    code = "open311.api_key_invalid"


class ServiceNotFound(Open311Error, NotFound):
    status = 404
    code = "open311.service_not_found"


class RequestNotFound(Open311Error, NotFound):
    status = 404
    code = "open311.request_not_found"


class TokenNotFound(Open311Error, NotFound):
    status = 404
    code = "open311.token_not_found"


class BadOpen311Request(Open311Error, InvalidInput):
    status = 400
    code = "open311.bad_request"


# ---------------------------------------------------------------------------------------------- services


@dataclass(frozen=True, slots=True)
class AttributeDef:
    code: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    required: bool
    order: int
    values: tuple[str, ...] = ()
    variable: bool = True


# Attribute definitions per service (GET services/{code}); labels are translated message ids.
ATTRIBUTES: dict[ReportCategory, tuple[AttributeDef, ...]] = {
    ReportCategory.ROAD_DAMAGE: (
        AttributeDef("severity", "singlevaluelist", True, 1, ("minor", "major", "dangerous")),
        AttributeDef("lane_blocked", "singlevaluelist", False, 2, ("yes", "no")),
    ),
    ReportCategory.STREETLIGHT: (AttributeDef("pole_number", "string", False, 1),),
    ReportCategory.WATER_LEAK: (
        AttributeDef("leak_kind", "singlevaluelist", True, 1, ("pipe", "hydrant", "drain")),
    ),
}

GROUPS: dict[ReportCategory, str] = {
    ReportCategory.ROAD_DAMAGE: "street",
    ReportCategory.STREETLIGHT: "street",
    ReportCategory.ILLEGAL_PARKING: "street",
    ReportCategory.GARBAGE: "sanitation",
    ReportCategory.WATER_LEAK: "utilities",
    ReportCategory.GREENERY: "environment",
    ReportCategory.NOISE: "environment",
    ReportCategory.OTHER: "other",
}


def discovery(*, base_url: str, locale: str | None = None) -> dict[str, Any]:
    """The Service Discovery document (in the caller's language)."""
    return {
        "changeset": CHANGESET,
        "contact": translate("open311.contact", locale),
        "key_service": translate("open311.key_service", locale),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def _service_name(category: ReportCategory, locale: str) -> str:
    return translate(f"community.report_category.{category.value}", locale)


def service_list(*, locale: str) -> list[dict[str, Any]]:
    """GET services: one service per report category."""
    return [
        {
            "service_code": category.value,
            "service_name": _service_name(category, locale),
            "description": translate(f"open311.service_description.{category.value}", locale),
            "metadata": category in ATTRIBUTES,
            "type": "realtime",
            "keywords": translate(f"open311.service_keywords.{category.value}", locale),
            "group": GROUPS[category],
        }
        for category in ReportCategory
    ]


def _category(code: str | None) -> ReportCategory:
    if not code:
        raise BadOpen311Request("open311.service_code_missing")
    try:
        return ReportCategory(code)
    except ValueError:
        raise ServiceNotFound(service_code=code[:64]) from None


def service_definition(*, service_code: str, locale: str) -> dict[str, Any]:
    """GET services/{code}: the attributes a request of this service takes."""
    category = _category(service_code)
    return {
        "service_code": category.value,
        "attributes": [
            {
                "variable": attribute.variable,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": None,
                "order": attribute.order,
                "description": translate(f"open311.attribute.{category.value}.{attribute.code}", locale),
                "values": [
                    {"key": value, "name": translate(f"open311.value.{attribute.code}.{value}", locale)}
                    for value in attribute.values
                ],
            }
            for attribute in ATTRIBUTES.get(category, ())
        ],
    }


# ---------------------------------------------------------------------------------------------- api keys


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: Open311ApiKey
    plaintext: str  # shown once, never stored


async def issue_api_key(*, actor: Principal, partner: str, cipher: PiiCipher) -> IssuedKey:
    """An admin issues a key to a partner system; only its keyed hash is kept."""
    actor.require_role(Role.ADMIN)
    plaintext = "o311_" + secrets.token_urlsafe(24)
    key = await Open311ApiKey.create(
        partner=partner,
        key_hash=cipher.blind_index(plaintext, purpose=_KEY_PURPOSE),
        key_prefix=plaintext[:10],
        created_by_id=actor.user_id,
    )
    await audit.record(
        "open311.key_issued", actor_id=actor.user_id, target_type="open311_key", target_id=key.id
    )
    return IssuedKey(key, plaintext)


async def list_api_keys(*, actor: Principal) -> list[Open311ApiKey]:
    actor.require_role(Role.ADMIN)
    return await Open311ApiKey.all().order_by("-created_at")


async def revoke_api_key(*, actor: Principal, key_id: str) -> Open311ApiKey:
    actor.require_role(Role.ADMIN)
    parsed = parse_id(key_id)
    key = await Open311ApiKey.get_or_none(id=parsed) if parsed else None
    if key is None:
        raise NotFound("open311.key_not_found")
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await key.save(update_fields=["revoked_at"])
        await audit.record(
            "open311.key_revoked", actor_id=actor.user_id, target_type="open311_key", target_id=key.id
        )
    return key


async def _authorise(api_key: str | None, cipher: PiiCipher) -> Open311ApiKey:
    if not api_key:
        raise ApiKeyInvalid("open311.api_key_missing")
    key = await Open311ApiKey.get_or_none(
        key_hash=cipher.blind_index(api_key.strip(), purpose=_KEY_PURPOSE), revoked_at=None
    )
    if key is None:
        raise ApiKeyInvalid("open311.api_key_invalid")
    await Open311ApiKey.filter(id=key.id).update(last_used_at=clock.now())
    return key


# ---------------------------------------------------------------------------------------------- requests


@dataclass(slots=True)
class SubmittedRequest:
    report: Report
    notice: str
    account_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _float(form: dict[str, str], name: str) -> float | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadOpen311Request("open311.bad_number", field=name) from None
    if not (-180.0 <= value <= 180.0) or (name == "lat" and not -90.0 <= value <= 90.0):
        raise BadOpen311Request("open311.bad_number", field=name)
    return value


async def _place(
    lat: float | None, lng: float | None, address: str | None, address_id: str | None
) -> Community:
    if address_id:
        # Our "master address repository" is the community register: address_id is a community code.
        community = await Community.get_or_none(code=address_id) if len(address_id) <= 32 else None
        if community is None:
            raise BadOpen311Request("open311.address_id_unknown")
        return community
    communities = await Community.all()
    if lat is not None and lng is not None and communities:
        nearest = min(communities, key=lambda c: distance_m(lat, lng, c.lat, c.lng))
        if distance_m(lat, lng, nearest.lat, nearest.lng) <= MAX_PLACEMENT_M:
            return nearest
        raise BadOpen311Request("open311.outside_jurisdiction")
    if address:
        for community in communities:
            if community.name_zh in address:
                return community
    raise BadOpen311Request("open311.address_not_placed")


async def submit_request(
    *,
    form: dict[str, str],
    attributes: dict[str, list[str]],
    cipher: PiiCipher,
    locale: str,
    checker: ContentChecker | None,
    check_as_openid: str | None,
) -> SubmittedRequest:
    """POST requests: authorise the partner, validate as the spec says, check the text, store as a report.

    A partner's users have no WeChat account with us, so WeChat checks their text as the city's own
    operator account (`check_as_openid`); without one the text is held for staff review.
    """
    key = await _authorise(form.get("api_key"), cipher)
    category = _category(form.get("service_code"))
    lat, lng = _float(form, "lat"), _float(form, "long")
    address = (form.get("address_string") or "").strip() or None
    address_id = (form.get("address_id") or "").strip() or None
    if (lat is None) != (lng is None):
        raise BadOpen311Request("open311.lat_long_pair")
    if lat is None and not address and not address_id:
        raise BadOpen311Request("open311.location_missing")
    description = (form.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise BadOpen311Request("open311.description_too_long")
    values: dict[str, Any] = {}
    for attribute in ATTRIBUTES.get(category, ()):
        given = [v for v in attributes.get(attribute.code, []) if v != ""]
        if attribute.required and not given:
            raise BadOpen311Request("open311.attribute_required", attribute=attribute.code)
        if given and attribute.values and any(v not in attribute.values for v in given):
            raise BadOpen311Request("open311.attribute_value", attribute=attribute.code)
        if given:
            values[attribute.code] = given if attribute.datatype == "multivaluelist" else given[0]
    community = await _place(lat, lng, address, address_id)
    name = " ".join(
        p for p in ((form.get("last_name") or "").strip(), (form.get("first_name") or "").strip()) if p
    )

    verdict = SecCheck(SecVerdict.REVIEW, None)
    if description:
        try:
            verdict = await check_text(
                checker=checker if check_as_openid else None,
                openid=check_as_openid or "",
                content=description,
                scene=SCENE_REPORT,
                locale=locale,
            )
        except ContentRisky as error:
            raise BadOpen311Request("open311.content_risky", reason=error.params.get("reason", "")) from None
    media_url = (form.get("media_url") or "").strip()
    report = await file_report(
        community=community,
        source=ReportSource.OPEN311,
        api_key_id=key.id,
        category=category,
        description=description,
        lat=lat,
        lng=lng,
        address=address,
        contacts={
            "contact_name": name or None,
            "contact_phone": (form.get("phone") or "").strip() or None,
            "contact_email": (form.get("email") or "").strip() or None,
        },
        attributes={
            **values,
            **({"account_id": form["account_id"][:64]} if form.get("account_id") else {}),
            **({"device_id": form["device_id"][:64]} if form.get("device_id") else {}),
            **({"media_url": media_url[:1024]} if media_url.startswith(("http://", "https://")) else {}),
        },
        sec_suggest=verdict.suggest,
        cipher=cipher,
    )
    return SubmittedRequest(
        report=report,
        notice=translate("open311.service_notice", locale, days=EXPECTED_WORKING_DAYS),
        account_id=form.get("account_id") or None,
    )


def _w3(moment: dt.datetime | None) -> str | None:
    """W3C/ISO 8601 with the city's offset, e.g. 2026-11-29T08:15:30+08:00."""
    return clock.to_local(moment).replace(microsecond=0).isoformat() if moment else None


def _expected(report: Report) -> dt.datetime | None:
    if report.status.open311 == "closed":
        return None
    local = clock.to_local(report.created_at)
    day = clock.add_working_days(local.date(), EXPECTED_WORKING_DAYS)
    return dt.datetime.combine(day, dt.time(18, 0), tzinfo=clock.CITY_TZ)


def _media_url(report: Report, base_url: str, *, policy: PublicPolicy, cipher: PiiCipher) -> str | None:
    if not report.photos_public:
        return None
    if report.attributes and report.attributes.get("media_url"):
        return str(report.attributes["media_url"])
    if report.photos:
        signed = sign_media(report_id=report.id, index=0, cipher=cipher, ttl_s=policy.media_ttl_s)
        return f"{base_url}{signed}"
    return None


def request_view(
    report: Report,
    community: Community,
    *,
    locale: str,
    policy: PublicPolicy,
    cipher: PiiCipher,
    base_url: str = "",
) -> dict[str, Any]:
    """One service request with the spec's fields, in the spec's order, as the public may see it."""
    lat, lng = public_location(report.lat, report.lng)
    return {
        "service_request_id": str(report.id),
        "status": report.status.open311,
        "status_notes": report.status_notes,
        "service_name": _service_name(report.category, locale),
        "service_code": report.category.value,
        "description": report.public_description or None,
        "agency_responsible": community.name_zh if locale == "zh_CN" else community.name_en,
        "service_notice": None,
        "requested_datetime": _w3(report.created_at),
        "updated_datetime": _w3(report.updated_at),
        "expected_datetime": _w3(_expected(report)),
        "address": address_in(community, community.region.name_en, locale),
        "address_id": community.code,
        "zipcode": "459000",  # Jiyuan
        "lat": lat if lat is not None else community.lat,
        "long": lng if lng is not None else community.lng,
        "media_url": _media_url(report, base_url, policy=policy, cipher=cipher),
    }


def _parse_w3(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadOpen311Request("open311.bad_date", field=name) from None
    if moment.tzinfo is None:
        raise BadOpen311Request("open311.date_needs_offset", field=name)
    return moment


async def _views(
    reports: list[Report], locale: str, base_url: str, policy: PublicPolicy, cipher: PiiCipher
) -> list[dict[str, Any]]:
    ids = {r.community_id for r in reports}
    communities = {c.id: c for c in await Community.filter(id__in=list(ids)).select_related("region")}
    return [
        request_view(
            r, communities[r.community_id], locale=locale, base_url=base_url, policy=policy, cipher=cipher
        )
        for r in reports
    ]


def _public(policy: PublicPolicy) -> Q:
    return Q(private=False, category__in=sorted(policy.categories) or ["-"])


async def query_requests(
    *,
    service_request_id: str | None,
    service_code: str | None,
    start_date: str | None,
    end_date: str | None,
    status: str | None,
    locale: str,
    policy: PublicPolicy,
    cipher: PiiCipher,
    base_url: str = "",
) -> list[dict[str, Any]]:
    """GET requests with the spec's filters; ids override everything; 90 days / 1000 rows at most."""
    if service_request_id:
        ids = [parse_id(part.strip()) for part in service_request_id.split(",") if part.strip()]
        reports = await Report.filter(
            _public(policy), id__in=[i for i in ids if i is not None][:MAX_REQUESTS]
        ).order_by("-created_at")
        return await _views(reports, locale, base_url, policy, cipher)
    start, end = _parse_w3(start_date, "start_date"), _parse_w3(end_date, "end_date")
    if start and end and end < start:
        raise BadOpen311Request("open311.bad_range")
    if start and end and end - start > DEFAULT_WINDOW:
        raise BadOpen311Request("open311.range_too_long")
    try:
        if start is None and end is None:
            end = clock.now()
            start = end - DEFAULT_WINDOW
        elif start is None:
            start = end - DEFAULT_WINDOW  # type: ignore[operator]
        elif end is None:
            end = start + DEFAULT_WINDOW
        # In UTC, as stored: SQLite compares datetimes as text, so a +08:00 bound would be misread.
        start, end = _utc(start), _utc(end)  # type: ignore[arg-type]
    except OverflowError:
        # 9999-12-31 + 90 days or 0001-01-01 - 90 days: no report was ever filed then.
        raise BadOpen311Request("open311.bad_range") from None
    query = Report.filter(_public(policy), created_at__gte=start, created_at__lte=end)
    if service_code:
        codes = [c.strip() for c in service_code.split(",") if c.strip()]
        query = query.filter(category__in=[c for c in codes if c in _CODES] or ["-"])
    if status:
        wanted = {s.strip() for s in status.split(",") if s.strip()}
        if wanted - {"open", "closed"}:
            raise BadOpen311Request("open311.bad_status")
        statuses = [s for s in ReportStatus if s.open311 in wanted]
        query = query.filter(Q(status__in=statuses))
    reports = await query.order_by("-created_at", "-id").limit(MAX_REQUESTS)
    return await _views(reports, locale, base_url, policy, cipher)


async def get_request(
    *, service_request_id: str, locale: str, policy: PublicPolicy, cipher: PiiCipher, base_url: str = ""
) -> list[dict[str, Any]]:
    """GET requests/{id}: an array with the one request (a private or unpublished category is a 404)."""
    parsed = parse_id(service_request_id)
    report = await Report.get_or_none(id=parsed) if parsed else None
    if report is None or not is_public(report, policy):
        raise RequestNotFound()
    return await _views([report], locale, base_url, policy, cipher)


async def request_for_token(*, token: str) -> list[dict[str, Any]]:
    """GET tokens/{token}: the service_request_id behind a token."""
    report = await Report.get_or_none(token=token) if token and len(token) <= 40 else None
    if report is None:
        raise TokenNotFound()
    return [{"service_request_id": str(report.id), "token": report.token}]


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
