"""FHIR R4 resources for the HIS, built and validated with fhir.resources (its R4B models).

fhir.resources 8.x ships R4B (4.3.0) and STU3 models, not the 4.0.1 release: R4B is HL7's
technical-correction release of R4 and changes none of the resources used here (Organization,
HealthcareService, Practitioner, PractitionerRole, Schedule, Slot, Appointment, Patient, Bundle,
OperationOutcome), so what we build is valid R4 on the wire and R4 servers accept it.
Both sides (this adapter and the sandbox) validate every resource with these models.

fhir.resources is imported on first use (`models()`), not with this module: its models cost a worker
~9 MB and start-up time, and only care calls need them (issue 12).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

__all__ = [
    "BOOKING_SYSTEM",
    "EXT_CAPACITY",
    "EXT_BOOKED",
    "EXT_FEE",
    "EXT_QUEUE_NUMBER",
    "EXT_SESSION",
    "FHIR_VERSION",
    "ID_NUMBER_SYSTEM",
    "TITLE_SYSTEM",
    "dump",
    "models",
    "extension_value",
    "local_instant",
    "operation_outcome",
    "parse_resource",
    "search_bundle",
]

FHIR_VERSION = "4.0.1"
# Our booking id on an Appointment: makes a repeated POST find the first one (If-None-Exist).
BOOKING_SYSTEM = "https://citizen.jiyuan.gov.cn/fhir/booking"
# Resident ID number (居民身份证号), how the HIS matches a Patient.
ID_NUMBER_SYSTEM = "urn:oid:2.16.156.10011.1.3"
TITLE_SYSTEM = "https://his.jiyuan.gov.cn/fhir/CodeSystem/practitioner-title"
_EXT = "https://his.jiyuan.gov.cn/fhir/StructureDefinition/"
EXT_CAPACITY = _EXT + "slot-capacity"  # numbers a slot offers to the platform
EXT_BOOKED = _EXT + "slot-booked"  # numbers taken
EXT_SESSION = _EXT + "slot-session"  # am | pm
EXT_FEE = _EXT + "registration-fee"  # 挂号费 as a Money (CNY)
EXT_QUEUE_NUMBER = _EXT + "queue-number"  # 就诊序号 on an Appointment


@functools.cache
def models() -> dict[str, Any]:
    """resourceType -> fhir.resources (R4B) model; fhir.resources is imported on the first call."""
    from fhir.resources.R4B.appointment import Appointment
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.healthcareservice import HealthcareService
    from fhir.resources.R4B.operationoutcome import OperationOutcome
    from fhir.resources.R4B.organization import Organization
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.practitioner import Practitioner
    from fhir.resources.R4B.practitionerrole import PractitionerRole
    from fhir.resources.R4B.schedule import Schedule
    from fhir.resources.R4B.slot import Slot

    kinds = (Appointment, Bundle, HealthcareService, OperationOutcome, Organization, Patient)
    kinds += (Practitioner, PractitionerRole, Schedule, Slot)
    return {kind.__name__: kind for kind in kinds}


def parse_resource(data: Any, expected: str | None = None) -> Any:
    """The validated fhir.resources model of `data`; ValueError when it is not valid FHIR."""
    if not isinstance(data, dict):
        raise ValueError("a FHIR resource must be a JSON object")
    kind = data.get("resourceType")
    if expected is not None and kind != expected:
        raise ValueError(f"expected {expected}, got {kind!r}")
    model = models().get(str(kind))
    if model is None:
        raise ValueError(f"unsupported resourceType {kind!r}")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValueError(f"invalid {kind}: {error.error_count()} problem(s)") from error


def dump(resource: Any) -> dict[str, Any]:
    """A resource as FHIR JSON (no nulls)."""
    return resource.model_dump(mode="json", exclude_none=True)


def search_bundle(
    resources: Iterable[Any], *, included: Iterable[Any] = (), base: str = ""
) -> dict[str, Any]:
    """A searchset Bundle of `resources` (mode match) and `included` (mode include), validated."""
    matches = list(resources)
    entries = [
        {
            "fullUrl": f"{base}/{r.get_resource_type()}/{r.id}",
            "resource": dump(r),
            "search": {"mode": "match"},
        }
        for r in matches
    ] + [
        {
            "fullUrl": f"{base}/{r.get_resource_type()}/{r.id}",
            "resource": dump(r),
            "search": {"mode": "include"},
        }
        for r in included
    ]
    bundle = models()["Bundle"].model_validate(
        {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "entry": entries}
    )
    return dump(bundle)


def operation_outcome(code: str, diagnostics: str, *, severity: str = "error") -> dict[str, Any]:
    """An OperationOutcome with one issue (`code` from the FHIR issue-type value set)."""
    outcome = models()["OperationOutcome"].model_validate(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
        }
    )
    return dump(outcome)


def extension_value(resource: Any, url: str) -> Any:
    """The value[x] of the extension `url` on a model or a dict, or None."""
    extensions = (
        resource.get("extension") if isinstance(resource, dict) else getattr(resource, "extension", None)
    )
    for ext in extensions or []:
        ext_url = ext.get("url") if isinstance(ext, dict) else ext.url
        if ext_url != url:
            continue
        for key in ("valueInteger", "valueString", "valueCode", "valueMoney", "valueBoolean"):
            value = ext.get(key) if isinstance(ext, dict) else getattr(ext, key, None)
            if value is not None:
                return value
    return None


def local_instant(moment: dt.datetime) -> str:
    """An instant as FHIR wants it: with an offset."""
    if moment.tzinfo is None:
        raise ValueError("FHIR instants need a time zone")
    return moment.isoformat()
