"""What care needs from outside systems; integrations/his and integrations/eldercare satisfy these."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from integrations.eldercare.types import (
    CareServiceOffer,
    DispatchReceipt,
    DispatchRequest,
    PlatformNotification,
)
from integrations.his.types import (
    AppointmentRequest,
    HisAppointment,
    HisDepartment,
    HisDoctor,
    HisHospital,
    HisNotification,
    HisSlot,
)

__all__ = ["EldercarePlatform", "HospitalSystem"]


class HospitalSystem(Protocol):
    """The hospitals' information system (HL7 FHIR R4)."""

    async def hospitals(self) -> list[HisHospital]: ...
    async def departments(self, hospital_id: str) -> list[HisDepartment]: ...
    async def doctors(self, department_id: str) -> list[HisDoctor]: ...
    async def doctor(self, doctor_id: str) -> HisDoctor | None: ...
    async def slots(self, doctor_id: str, day: dt.date, *, tz: dt.tzinfo) -> list[HisSlot]: ...
    async def book_appointment(self, request: AppointmentRequest) -> HisAppointment: ...
    async def appointment(self, appointment_id: str) -> HisAppointment | None: ...
    async def cancel_appointment(self, appointment_id: str, *, reason: str) -> HisAppointment: ...
    def parse_notification(self, data: Any) -> HisNotification: ...


class EldercarePlatform(Protocol):
    """The city's eldercare service platform: catalogue by community, dispatch, status callbacks."""

    async def services(self, community_code: str) -> list[CareServiceOffer]: ...
    async def dispatch(self, request: DispatchRequest) -> DispatchReceipt: ...
    async def cancel(self, platform_ref: str, *, reason: str) -> None: ...
    async def order_status(self, platform_ref: str) -> str: ...
    def parse_notification(self, data: Any) -> PlatformNotification: ...
