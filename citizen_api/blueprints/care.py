"""Medical and elderly care 医养: hospitals from the HIS, doctor slots (booked through /bookings),
medical-data consent, home-care orders for oneself or a parent, emergency calls, subsidies, and the
HIS's and eldercare platform's signed callbacks."""

from __future__ import annotations

from sanic import Blueprint, Request

from citizen_api.callbacks import forget_callback_nonce, verify_callback
from citizen_api.endpoint import endpoint
from citizen_api.idempotency import IDEMPOTENCY_HEADER, idempotent
from citizen_api.schemas.care import (
    AppointmentOut,
    AssessmentIn,
    AssessmentOut,
    CareCallbackAck,
    ConsentIn,
    ConsentOut,
    DepartmentList,
    DepartmentOut,
    DoctorList,
    DoctorOut,
    DoctorSlotList,
    DoctorSlotOut,
    EmergencyIn,
    HospitalList,
    HospitalOut,
    OrderIn,
    OrderList,
    OrderOut,
    RatingIn,
    ServiceList,
    ServiceOut,
    ServicesQuery,
    SlotsQuery,
    SubsidyOut,
)
from citizen_api.schemas.common import ListQuery
from services.accounts.enums import Role, VerificationLevel
from services.accounts.principal import Principal
from services.care import appointments, catalogue, eldercare, emergency, order_cancel, subsidies
from services.care.people import CARE_SCOPE

__all__ = ["create_blueprint", "create_callback_blueprint"]

TAG = "care"
_SIGNED = ("X-App-Key", "X-Timestamp", "X-Nonce", "X-Signature")


# ------------------------------------------------------------------------------------- hospitals


async def list_hospitals(request: Request) -> HospitalList:
    rt = request.app.ctx.runtime
    found = await catalogue.list_hospitals(his=rt.adapters.his, redis=rt.redis, keys=rt.keys)
    return HospitalList(
        items=[HospitalOut.from_domain(h, request.ctx.locale) for h in found.items],
        stale=found.stale,
        fetched_at=found.fetched_at,
    )


async def list_departments(request: Request, hospital_id: str) -> DepartmentList:
    rt = request.app.ctx.runtime
    found = await catalogue.list_departments(
        his=rt.adapters.his, redis=rt.redis, keys=rt.keys, hospital_id=hospital_id[:64]
    )
    return DepartmentList(
        items=[DepartmentOut.from_domain(d, request.ctx.locale) for d in found.items],
        stale=found.stale,
        fetched_at=found.fetched_at,
    )


async def list_doctors(request: Request, department_id: str) -> DoctorList:
    rt = request.app.ctx.runtime
    found = await catalogue.list_doctors(
        his=rt.adapters.his, redis=rt.redis, keys=rt.keys, department_id=department_id[:64]
    )
    return DoctorList(
        items=[DoctorOut.from_domain(d, request.ctx.locale) for d in found.items],
        stale=found.stale,
        fetched_at=found.fetched_at,
    )


async def doctor_slots(request: Request, doctor_id: str, *, query: SlotsQuery) -> DoctorSlotList:
    rt = request.app.ctx.runtime
    found = await catalogue.doctor_slots(
        his=rt.adapters.his,
        redis=rt.redis,
        keys=rt.keys,
        doctor_id=doctor_id[:64],
        day=catalogue.parse_day(query.date),
    )
    return DoctorSlotList(
        items=[DoctorSlotOut.from_domain(s) for s in found.items],
        stale=found.stale,
        fetched_at=found.fetched_at,
    )


# ------------------------------------------------------------------------------ consent, bookings


async def get_consent(request: Request, *, actor: Principal) -> ConsentOut:
    return ConsentOut.from_domain(await appointments.consent_status(actor=actor))


async def give_consent(request: Request, *, body: ConsentIn, actor: Principal) -> ConsentOut:
    return ConsentOut.from_domain(await appointments.give_consent(actor=actor, version=body.version))


async def get_appointment(request: Request, booking_id: str, *, actor: Principal) -> AppointmentOut:
    return AppointmentOut.from_domain(await appointments.get_appointment(actor=actor, booking_id=booking_id))


# ------------------------------------------------------------------------------------ home care


async def list_services(request: Request, *, query: ServicesQuery) -> ServiceList:
    rt = request.app.ctx.runtime
    found = await eldercare.list_services(
        platform=rt.adapters.eldercare, redis=rt.redis, keys=rt.keys, community_code=query.community
    )
    return ServiceList(
        items=[ServiceOut.from_domain(s, request.ctx.locale) for s in found.items],
        stale=found.stale,
        fetched_at=found.fetched_at,
    )


async def create_order(request: Request, *, body: OrderIn, actor: Principal):
    rt = request.app.ctx.runtime
    return await idempotent(
        request,
        actor=actor,
        route="care.orders.create",
        payload=body,
        status=201,
        run=lambda: eldercare.create_order(
            actor=actor,
            kind=body.kind,
            community_code=body.community_code,
            address=body.address,
            window_start=body.window_start,
            window_end=body.window_end,
            notes=body.notes,
            provider_code=body.provider_code,
            platform=rt.adapters.eldercare,
            redis=rt.redis,
            keys=rt.keys,
            cipher=rt.cipher,
        ),
        render=OrderOut.from_domain,
    )


async def list_orders(request: Request, *, query: ListQuery, actor: Principal) -> OrderList:
    page = await eldercare.list_orders(actor=actor, limit=query.limit, cursor=query.cursor)
    return OrderList(items=[OrderOut.from_domain(o) for o in page.items], next_cursor=page.next_cursor)


async def get_order(request: Request, order_id: str, *, actor: Principal) -> OrderOut:
    return OrderOut.from_domain(await eldercare.get_order(actor=actor, order_id=order_id))


async def rate_order(request: Request, order_id: str, *, body: RatingIn, actor: Principal) -> OrderOut:
    order = await eldercare.rate_order(
        actor=actor,
        order_id=order_id,
        stars=body.stars,
        comment=body.comment,
        cipher=request.app.ctx.runtime.cipher,
    )
    return OrderOut.from_domain(order)


async def cancel_order(request: Request, order_id: str, *, actor: Principal) -> OrderOut:
    return OrderOut.from_domain(await order_cancel.cancel_order(actor=actor, order_id=order_id))


async def raise_emergency(request: Request, *, body: EmergencyIn, actor: Principal) -> OrderOut:
    rt = request.app.ctx.runtime
    order = await emergency.raise_emergency(
        actor=actor,
        community_code=body.community_code,
        address=body.address,
        note=body.note,
        platform=rt.adapters.eldercare,
        cipher=rt.cipher,
    )
    return OrderOut.from_domain(order)


async def get_subsidy(request: Request, *, actor: Principal) -> SubsidyOut:
    return SubsidyOut.from_domain(await subsidies.balance(actor=actor, cipher=request.app.ctx.runtime.cipher))


async def assess(request: Request, user_id: str, *, body: AssessmentIn, actor: Principal) -> AssessmentOut:
    disabled = await subsidies.assess(actor=actor, subject_id=user_id, disabled=body.disabled)
    return AssessmentOut(user_id=user_id, disabled=disabled)


# ------------------------------------------------------------------------------------- callbacks


async def his_callback(request: Request) -> CareCallbackAck:
    rt = request.app.ctx.runtime
    event, nonce = await verify_callback(request, "his")
    try:
        result = await appointments.handle_his_callback(
            data=event, his=rt.adapters.his, redis=rt.redis, keys=rt.keys
        )
    except Exception:
        # Not applied: the sender may retry the very same request.
        await forget_callback_nonce(request, "his", nonce)
        raise
    return CareCallbackAck(outcome=result["outcome"], changed=result["changed"])


async def eldercare_callback(request: Request) -> CareCallbackAck:
    rt = request.app.ctx.runtime
    event, nonce = await verify_callback(request, "eldercare")
    try:
        result = await eldercare.handle_platform_callback(data=event, platform=rt.adapters.eldercare)
    except Exception:
        await forget_callback_nonce(request, "eldercare", nonce)
        raise
    return CareCallbackAck(outcome=result["outcome"], order_id=result["order_id"], status=result["status"])


def create_blueprint() -> Blueprint:
    bp = Blueprint("care")
    # The engine runs care's guard and after_booking from the composition's booking policies
    # (services/care/domain.py), passed to it as a value.

    bp.add_route(
        endpoint(
            summary="Hospitals (from the HIS, cached; stale while it is down)", tag=TAG, response=HospitalList
        )(list_hospitals),
        "/care/hospitals",
        methods=["GET"],
    )
    bp.add_route(
        endpoint(summary="A hospital's clinics (科室)", tag=TAG, response=DepartmentList)(list_departments),
        "/care/hospitals/<hospital_id:str>/departments",
        methods=["GET"],
    )
    bp.add_route(
        endpoint(summary="A clinic's doctors with titles and fees", tag=TAG, response=DoctorList)(
            list_doctors
        ),
        "/care/departments/<department_id:str>/doctors",
        methods=["GET"],
    )
    bp.add_route(
        endpoint(
            summary="A doctor's slots on a day (book them through POST /bookings)",
            tag=TAG,
            query=SlotsQuery,
            response=DoctorSlotList,
            description="status: open, closed, stopped (停诊) or not_released (放号 at the hospital's hour, see releases_at).",
        )(doctor_slots),
        "/care/doctors/<doctor_id:str>/slots",
        methods=["GET"],
    )
    bp.add_route(
        endpoint(
            summary="The medical-data consent of the patient",
            tag=TAG,
            response=ConsentOut,
            auth=True,
            proxy_scope=CARE_SCOPE,
        )(get_consent),
        "/care/consent",
        methods=["GET"],
        name="get_consent",
    )
    bp.add_route(
        endpoint(
            summary="Give the separate consent to medical-data processing (before the first booking)",
            tag=TAG,
            body=ConsentIn,
            response=ConsentOut,
            status=201,
            auth=True,
            proxy_scope=CARE_SCOPE,
        )(give_consent),
        "/care/consent",
        methods=["POST"],
        name="give_consent",
    )
    bp.add_route(
        endpoint(
            summary="The hospital appointment behind a booking: clinic, doctor, queue number",
            tag=TAG,
            response=AppointmentOut,
            auth=True,
            proxy_scope=CARE_SCOPE,
            description="Visible only to the patient, the booker, their care proxies and that hospital's staff.",
        )(get_appointment),
        "/care/appointments/<booking_id:str>",
        methods=["GET"],
    )
    bp.add_route(
        endpoint(
            summary="Home-care services in a community: 助餐, 助洁, 助浴, 助医, 助行, 紧急呼叫",
            tag=TAG,
            query=ServicesQuery,
            response=ServiceList,
        )(list_services),
        "/care/eldercare/services",
        methods=["GET"],
    )
    bp.add_route(
        endpoint(
            summary="Order home care for oneself or a parent",
            tag=TAG,
            body=OrderIn,
            response=OrderOut,
            status=201,
            level=VerificationLevel.REAL_NAME,
            proxy_scope=CARE_SCOPE,
            headers=[IDEMPOTENCY_HEADER],
        )(create_order),
        "/care/eldercare/orders",
        methods=["POST"],
        name="create_order",
    )
    bp.add_route(
        endpoint(
            summary="My home-care orders and those of whom I act for",
            tag=TAG,
            query=ListQuery,
            response=OrderList,
            auth=True,
        )(list_orders),
        "/care/eldercare/orders",
        methods=["GET"],
        name="list_orders",
    )
    bp.add_route(
        endpoint(
            summary="A home-care order with its progress",
            tag=TAG,
            response=OrderOut,
            auth=True,
            proxy_scope=CARE_SCOPE,
        )(get_order),
        "/care/eldercare/orders/<order_id:str>",
        methods=["GET"],
    )
    bp.add_route(
        endpoint(
            summary="Rate a completed service (once)",
            tag=TAG,
            body=RatingIn,
            response=OrderOut,
            auth=True,
            proxy_scope=CARE_SCOPE,
        )(rate_order),
        "/care/eldercare/orders/<order_id:str>/rating",
        methods=["POST"],
    )
    bp.add_route(
        endpoint(
            summary="Cancel a home-care order before the service starts (the provider is told)",
            tag=TAG,
            response=OrderOut,
            auth=True,
            proxy_scope=CARE_SCOPE,
            description="The person served or a proxy with the care scope; 409 care.order_cancel_too_late "
            "once the service is in progress. A subsidy drawn is returned.",
        )(cancel_order),
        "/care/eldercare/orders/<order_id:str>/cancel",
        methods=["POST"],
    )
    bp.add_route(
        endpoint(
            summary="Emergency call: dispatched at once, the family told",
            tag=TAG,
            body=EmergencyIn,
            response=OrderOut,
            status=201,
            auth=True,
            proxy_scope=CARE_SCOPE,
        )(raise_emergency),
        "/care/eldercare/emergency",
        methods=["POST"],
    )
    bp.add_route(
        endpoint(
            summary="This month's home-care subsidy and balance",
            tag=TAG,
            response=SubsidyOut,
            auth=True,
            proxy_scope=CARE_SCOPE,
        )(get_subsidy),
        "/care/subsidy",
        methods=["GET"],
    )
    bp.add_route(
        endpoint(
            summary="Staff: record a disability assessment (失能评估)",
            tag=TAG,
            body=AssessmentIn,
            response=AssessmentOut,
            roles=[Role.COMMUNITY_STAFF],
        )(assess),
        "/care/staff/assessments/<user_id:str>",
        methods=["PUT"],
    )
    return bp


def create_callback_blueprint() -> Blueprint:
    """The departments' signed status pushes, at /api/v1/integrations/<system>/callback beside gov's."""
    bp = Blueprint("care_callbacks")
    bp.add_route(
        endpoint(
            summary="Status push from the HIS (HMAC-signed, FHIR)",
            tag="integrations",
            response=CareCallbackAck,
            headers=_SIGNED,
        )(his_callback),
        "/api/v1/integrations/his/callback",
        methods=["POST"],
    )
    bp.add_route(
        endpoint(
            summary="Status push from the eldercare platform (HMAC-signed)",
            tag="integrations",
            response=CareCallbackAck,
            headers=_SIGNED,
        )(eldercare_callback),
        "/api/v1/integrations/eldercare/callback",
        methods=["POST"],
    )
    return bp
