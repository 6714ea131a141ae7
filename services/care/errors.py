"""What care refuses, in the citizen's terms.

DomainError (services.common.errors)
 ├── InvalidInput
 │    ├── AddressRequired         an emergency call with no address known yet
 │    ├── BadCareDate             the date is not YYYY-MM-DD
 │    ├── BadTimeWindow           a home-care window that ends before it starts, or in the past
 │    ├── UnknownService          no such home-care service in that community
 │    └── InvalidCareConsent      a consent to a version that is not the current one
 ├── PermissionDenied
 │    ├── CareConsentRequired     the separate medical-data consent has not been given (this version)
 │    ├── RealNameRequired        the patient or the person served is not real-name verified
 │    └── NotHospitalStaff        staff of another hospital, or no staff at all
 ├── NotFound
 │    ├── HospitalNotFound / DepartmentNotFound / DoctorNotFound
 │    └── CareOrderNotFound       no such order, or not visible to the caller
 ├── Conflict
 │    ├── NotReleasedYet          the day's numbers are released at a fixed hour (放号时间)
 │    ├── DepartmentCapReached    at most M active appointments per day and clinic
 │    ├── ClinicStopped           the doctor stopped that clinic (停诊)
 │    ├── OrderCancelTooLate      a home-care order can be cancelled only before the service starts
 │    ├── IllegalCareTransition   a move the state diagram does not draw
 │    ├── RatingNotAllowed        only a completed order can be rated, once
 └── Unavailable
      ├── HospitalSystemDown      the HIS cannot be reached: schedules are stale, no new bookings
      └── EldercareUnavailable    the eldercare platform is down and its catalogue was never seen
"""

from __future__ import annotations

from services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unavailable

__all__ = [
    "AddressRequired",
    "BadCareDate",
    "BadTimeWindow",
    "CareConsentRequired",
    "CareOrderNotFound",
    "ClinicStopped",
    "DepartmentCapReached",
    "DepartmentNotFound",
    "DoctorNotFound",
    "EldercareUnavailable",
    "HospitalNotFound",
    "HospitalSystemDown",
    "IllegalCareTransition",
    "InvalidCareConsent",
    "NotHospitalStaff",
    "OrderCancelTooLate",
    "NotReleasedYet",
    "RatingNotAllowed",
    "RealNameRequired",
    "UnknownService",
]


class BadCareDate(InvalidInput):
    code = "care.bad_date"


class BadTimeWindow(InvalidInput):
    code = "care.bad_time_window"


class UnknownService(InvalidInput):
    code = "care.unknown_service"


class RatingNotAllowed(Conflict):
    """The order is not completed yet, or was rated already: a state conflict (409), not bad input."""

    code = "care.rating_not_allowed"


class CareConsentRequired(PermissionDenied):
    code = "care.consent_required"


class RealNameRequired(PermissionDenied):
    code = "care.real_name_required"


class NotHospitalStaff(PermissionDenied):
    code = "care.not_hospital_staff"


class HospitalNotFound(NotFound):
    code = "care.hospital_not_found"


class DepartmentNotFound(NotFound):
    code = "care.department_not_found"


class DoctorNotFound(NotFound):
    code = "care.doctor_not_found"


class CareOrderNotFound(NotFound):
    code = "care.order_not_found"


class NotReleasedYet(Conflict):
    code = "care.not_released_yet"


class DepartmentCapReached(Conflict):
    code = "care.department_cap_reached"


class ClinicStopped(Conflict):
    code = "care.clinic_stopped"


class OrderCancelTooLate(Conflict):
    code = "care.order_cancel_too_late"


class IllegalCareTransition(Conflict):
    code = "care.illegal_transition"


class HospitalSystemDown(Unavailable):
    code = "care.his_unavailable"


class InvalidCareConsent(InvalidInput):
    """The consent names a version that is not the current one."""

    code = "care.consent_version"


class EldercareUnavailable(Unavailable):
    """The eldercare platform cannot be reached and we have no copy of its catalogue."""

    code = "care.eldercare_unavailable"


class AddressRequired(InvalidInput):
    """An emergency call needs an address and community the first time (later ones reuse the last)."""

    code = "care.address_required"
