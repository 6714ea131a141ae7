"""Sandbox of the real-name identity verification system.

POST /v1/verifications {"name", "id_number"}, HMAC-signed like the real system (X-App-Key,
X-Timestamp, X-Nonce, X-Signature; a replayed nonce is refused). It checks the ID number as the real
system does — GB 11643-1999: 18 characters, a known province code, a real birth date that is not in
the future, and the ISO 7064 MOD 11-2 check character — and answers:

    {"result": "match"}              a valid number (any name, unless configured otherwise)
    {"result": "invalid_id_number"}  format, birth date or checksum wrong
    {"result": "mismatch"}           the pair was configured to be rejected
    {"result": "not_found"}          the number was configured as unknown

Configure rejections with options.extra["reject"] = [(name, id_number), ...] and
options.extra["unknown"] = [id_number, ...], or at run time:
POST /__reject {"name", "id_number"} | {"unknown": id_number}; DELETE /__reject clears both.
Household relations (户籍, for education): POST /v1/household/relations {"guardian_name",
"guardian_id_number", "child_name", "child_id_number"}, signed the same way, answers
{"result": "confirmed" | "not_related" | "not_found", "relation", "transaction_id"}. Registered pairs
(options.extra["households"] = [(guardian_id, child_id), ...], or POST /__households
{"guardian_id_number", "child_id_number"}) are confirmed; in the permissive (embedded demo) profile
any guardian at least 16 years older than the child is confirmed too. A child number configured
unknown (POST /__households {"unknown": child_id}) is not_found; DELETE /__households clears.
The sandbox never logs names or ID numbers.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json

from integrations.sandbox.faults import SandboxOptions, install_faults
from integrations.signing import verify_signature

__all__ = ["check_character", "create_blueprint", "id_number_problem", "make_id_number"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
}  # fmt: skip
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_character(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def make_id_number(
    *, region: str = "419001", birth: dt.date = dt.date(1990, 1, 1), serial: str = "123"
) -> str:
    """A valid ID number (济源 is 419001) for tests and demos."""
    first17 = f"{region}{birth:%Y%m%d}{serial}"
    return first17 + check_character(first17)


def id_number_problem(value: str, *, today: dt.date | None = None) -> str | None:
    """Why `value` is not a valid mainland ID number (format, region, birth_date, checksum), or None."""
    value = value.strip().upper()
    if not _SHAPE.match(value):
        return "format"
    if value[:2] not in _PROVINCES:
        return "region"
    try:
        birth = dt.datetime.strptime(value[6:14], "%Y%m%d").date()
    except ValueError:
        return "birth_date"
    if birth > (today or dt.date.today()) or birth.year < 1880:
        return "birth_date"
    if check_character(value[:17]) != value[17]:
        return "checksum"
    return None


def create_blueprint(options: SandboxOptions) -> Blueprint:
    bp = Blueprint(f"sandbox_identity_{id(options)}")
    install_faults(bp, options.faults)
    rejected: set[tuple[str, str]] = {
        (n.strip(), i.strip().upper()) for n, i in options.extra.get("reject", [])
    }
    unknown: set[str] = {i.strip().upper() for i in options.extra.get("unknown", [])}
    seen_nonces: set[str] = set()
    verifications = {"count": 0}
    households: set[tuple[str, str]] = {
        (g.strip().upper(), c.strip().upper()) for g, c in options.extra.get("households", [])
    }
    unknown_children: set[str] = set()
    household_checks: list[dict[str, str]] = []  # masked: what was asked, for tests

    def refused(code: str, message: str, status: int) -> HTTPResponse:
        return json({"code": code, "message": message}, status=status)

    @bp.post("/v1/verifications")
    async def verify(request: Request) -> HTTPResponse:
        path = request.path
        if request.headers.get("x-app-key") != options.app_key or not verify_signature(
            headers=request.headers, secret=options.app_secret, method="POST", path=path, body=request.body
        ):
            return refused("invalid_signature", "signature missing or wrong", 401)
        nonce = request.headers.get("x-nonce", "")
        if nonce in seen_nonces:
            return refused("replayed_nonce", "nonce already used", 401)
        seen_nonces.add(nonce)
        try:
            body: Any = request.json
        except Exception:  # noqa: BLE001 - any unparseable body is the caller's mistake
            body = None
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("name"), str)
            or not isinstance(body.get("id_number"), str)
        ):
            return refused("invalid_request", "name and id_number are required strings", 400)
        name, id_number = body["name"].strip(), body["id_number"].strip().upper()
        verifications["count"] += 1
        transaction_id = uuid.uuid4().hex
        if not name or id_number_problem(id_number):
            result = "invalid_id_number"
        elif id_number in unknown:
            result = "not_found"
        elif (name, id_number) in rejected:
            result = "mismatch"
        else:
            result = "match"
        return json({"result": result, "transaction_id": transaction_id})

    def signed_fresh(request: Request) -> HTTPResponse | None:
        if request.headers.get("x-app-key") != options.app_key or not verify_signature(
            headers=request.headers,
            secret=options.app_secret,
            method="POST",
            path=request.path,
            body=request.body,
        ):
            return refused("invalid_signature", "signature missing or wrong", 401)
        nonce = request.headers.get("x-nonce", "")
        if nonce in seen_nonces:
            return refused("replayed_nonce", "nonce already used", 401)
        seen_nonces.add(nonce)
        return None

    @bp.post("/v1/household/relations")
    async def household_relation(request: Request) -> HTTPResponse:
        problem = signed_fresh(request)
        if problem is not None:
            return problem
        try:
            body: Any = request.json
        except Exception:  # noqa: BLE001 - any unparseable body is the caller's mistake
            body = None
        keys = ("guardian_name", "guardian_id_number", "child_name", "child_id_number")
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in keys):
            return refused("invalid_request", "guardian and child names and id numbers are required", 400)
        guardian = body["guardian_id_number"].strip().upper()
        child = body["child_id_number"].strip().upper()
        household_checks.append(
            {"guardian": guardian[:4] + "**" + guardian[-2:], "child": child[:4] + "**" + child[-2:]}
        )
        transaction_id = uuid.uuid4().hex
        if id_number_problem(child) or child in unknown_children:
            return json({"result": "not_found", "relation": None, "transaction_id": transaction_id})
        confirmed = (guardian, child) in households
        if not confirmed and options.permissive and not id_number_problem(guardian):
            confirmed = int(child[6:10]) - int(guardian[6:10]) >= 16
        return json(
            {
                "result": "confirmed" if confirmed else "not_related",
                "relation": "parent" if confirmed else None,
                "transaction_id": transaction_id,
            }
        )

    @bp.post("/__households")
    async def add_household(request: Request) -> HTTPResponse:
        body = request.json or {}
        if body.get("unknown"):
            unknown_children.add(str(body["unknown"]).strip().upper())
        if body.get("guardian_id_number") and body.get("child_id_number"):
            households.add(
                (
                    str(body["guardian_id_number"]).strip().upper(),
                    str(body["child_id_number"]).strip().upper(),
                )
            )
        return json({"households": len(households), "unknown": len(unknown_children)})

    @bp.delete("/__households")
    async def clear_households(request: Request) -> HTTPResponse:
        households.clear()
        unknown_children.clear()
        household_checks.clear()
        return json({"households": 0, "unknown": 0})

    @bp.get("/__households")
    async def household_state(request: Request) -> HTTPResponse:
        return json({"households": len(households), "checks": household_checks})

    @bp.post("/__reject")
    async def add_rejection(request: Request) -> HTTPResponse:
        body = request.json or {}
        if body.get("unknown"):
            unknown.add(str(body["unknown"]).strip().upper())
        if body.get("name") and body.get("id_number"):
            rejected.add((str(body["name"]).strip(), str(body["id_number"]).strip().upper()))
        return json({"rejected": len(rejected), "unknown": len(unknown)})

    @bp.delete("/__reject")
    async def clear_rejections(request: Request) -> HTTPResponse:
        rejected.clear()
        unknown.clear()
        return json({"rejected": 0, "unknown": 0})

    @bp.get("/__state")
    async def state(request: Request) -> HTTPResponse:
        return json(
            {"verifications": verifications["count"], "rejected": len(rejected), "unknown": len(unknown)}
        )

    return bp
