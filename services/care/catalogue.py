"""Hospitals, clinics, doctors and their slots, read from the HIS through a short-lived Redis cache.

Every read goes to the HIS only on a cache miss. Each answer is also kept as the "last seen" copy
for a week: when the HIS is down the reader gets that copy marked stale (never invented
availability), the outage is recorded in care_system_health so every process's booking guard
refuses new bookings, and the first good answer clears it. Remaining places come from the booking
engine (the source of truth for what we may hand out); the HIS's slots are mirrored into engine
slots, keyed by the HIS slot id in the slot label, the first time someone looks at a day.
Invalidation: a delivered or cancelled appointment and a stopped clinic drop the doctor's day.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from tortoise.exceptions import IntegrityError

from integrations.errors import IntegrationProtocolError, IntegrationUnavailable
from integrations.his.types import HisDepartment, HisDoctor, HisHospital, HisSlot
from services.accounts.enums import Role
from services.bookings import outcomes
from services.bookings import service as bookings
from services.bookings.enums import OwnerDomain, SlotStatus
from services.bookings.errors import SlotExists
from services.care import names
from services.care.errors import (
    BadCareDate,
    DepartmentNotFound,
    DoctorNotFound,
    HospitalNotFound,
    HospitalSystemDown,
)
from services.care.models import CareDepartment, CareDoctor, CareHospital, SystemHealth
from services.care.names import department_name, doctor_names, title_names
from services.care.ports import HospitalSystem
from services.care.rules import HospitalRules
from services.care.views import CareList, DepartmentView, DoctorSlotView, DoctorView, HospitalView
from services.common import clock
from services.common.cache import Keys
from services.common.i18n import localized

__all__ = [
    "TTL_S",
    "doctor_resource",
    "doctor_slots",
    "forget_doctor_day",
    "his_is_down",
    "hospital_rules",
    "list_departments",
    "list_doctors",
    "list_hospitals",
    "mark_his",
    "parse_day",
    "sync_catalogue",
]

log = logging.getLogger(__name__)

HIS = "his"
TTL_S = {"hospitals": 300, "departments": 300, "doctors": 120, "doctor": 120, "slots": 15}
_LAST_TTL_S = 7 * 24 * 3600
_UNAVAILABLE = (IntegrationUnavailable, IntegrationProtocolError)


def _tz() -> ZoneInfo:
    return clock.CITY_TZ


# ------------------------------------------------------------------------------------- HIS health


async def mark_his(*, ok: bool, error: BaseException | None = None) -> None:
    """Record that the HIS answered (clears an outage) or failed (starts one)."""
    now = clock.now()
    row = await SystemHealth.get_or_none(system=HIS)
    if row is None:
        await SystemHealth.get_or_create(system=HIS, defaults={"last_ok_at": now if ok else None})
        row = await SystemHealth.get(system=HIS)
    if ok:
        if (
            row.down_since is not None
            or row.last_ok_at is None
            or (now - row.last_ok_at).total_seconds() > 60
        ):
            await SystemHealth.filter(system=HIS).update(down_since=None, last_ok_at=now, last_error=None)
    elif row.down_since is None:
        await SystemHealth.filter(system=HIS, down_since=None).update(
            down_since=now, last_error=type(error).__name__ if error else None
        )


async def his_is_down() -> bool:
    """True while the last contact with the HIS failed (read by the booking guard in every process)."""
    row = await SystemHealth.get_or_none(system=HIS)
    return row is not None and row.down_since is not None


# ------------------------------------------------------------------------------------------ cache


def _encode(items: list[Any]) -> bytes:
    return json.dumps(
        {"at": clock.now().isoformat(), "items": [dataclasses.asdict(i) for i in items]},
        ensure_ascii=False,
        default=str,
    ).encode()


async def _redis_get(redis: aioredis.Redis, key: str) -> bytes | None:
    try:
        return await redis.get(key)
    except RedisError:
        return None


async def _read(
    *,
    redis: aioredis.Redis,
    keys: Keys,
    name: str,
    part: str,
    fetch: Callable[[], Awaitable[list[Any]]],
    decode: Callable[[dict[str, Any]], Any],
) -> CareList[Any]:
    fresh_key, last_key = keys("care", "his", name, part), keys("care", "his-last", name, part)
    cached = await _redis_get(redis, fresh_key)
    if cached is not None:
        data = json.loads(cached)
        return CareList(items=[decode(i) for i in data["items"]], stale=False, fetched_at=_at(data))
    try:
        items = await fetch()
    except _UNAVAILABLE as error:
        await mark_his(ok=False, error=error)
        last = await _redis_get(redis, last_key)
        if last is None:
            raise HospitalSystemDown() from error
        data = json.loads(last)
        return CareList(items=[decode(i) for i in data["items"]], stale=True, fetched_at=_at(data))
    await mark_his(ok=True)
    body = _encode(items)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(fresh_key, body, ex=TTL_S[name])
            pipe.set(last_key, body, ex=_LAST_TTL_S)
            await pipe.execute()
    except RedisError:
        log.warning("care cache write failed", extra={"cache": name})
    return CareList(items=items, stale=False, fetched_at=clock.now())


def _at(data: dict[str, Any]) -> dt.datetime | None:
    return dt.datetime.fromisoformat(data["at"]) if data.get("at") else None


def _slot(data: dict[str, Any]) -> HisSlot:
    return HisSlot(
        **(
            data
            | {
                "start": dt.datetime.fromisoformat(data["start"]),
                "end": dt.datetime.fromisoformat(data["end"]),
            }
        )
    )


async def forget_doctor_day(*, redis: aioredis.Redis, keys: Keys, doctor_id: str, day: dt.date) -> None:
    """Drop the cached HIS slots of one doctor and day (a number was taken or given back, a clinic stopped)."""
    try:
        await redis.delete(keys("care", "his", "slots", f"{doctor_id}:{day.isoformat()}"))
    except RedisError:
        log.warning("care cache invalidation failed")


# ------------------------------------------------------------------------------------------ reads


async def hospital_rules(hospital_id: str) -> HospitalRules:
    """The rules a hospital set (defaults for one we have no settings for)."""
    row = await CareHospital.get_or_none(his_id=hospital_id)
    return HospitalRules.from_value(row.rules if row else None)


def _hospital_view(h: HisHospital, rules: HospitalRules, names: dict[str, str] | None = None) -> HospitalView:
    # The HIS names a hospital in Chinese; the English is ours (CareHospital.name) or the HIS's Latin alias.
    english = (names or {}).get("en") or next((a for a in h.alias if a.isascii()), None)
    return HospitalView(
        id=h.id,
        name=h.name,
        kind=h.kind,
        address=h.address,
        phone=h.phone,
        rules=rules.as_dict(),
        names=localized({"zh_CN": h.name, "en": english or h.name}),
    )


async def _his_hospitals(*, his: HospitalSystem, redis: aioredis.Redis, keys: Keys) -> Any:
    return await _read(
        redis=redis,
        keys=keys,
        name="hospitals",
        part="all",
        fetch=his.hospitals,
        decode=lambda d: HisHospital(**(d | {"alias": tuple(d.get("alias") or ())})),
    )


async def list_hospitals(*, his: HospitalSystem, redis: aioredis.Redis, keys: Keys) -> CareList[HospitalView]:
    """Every hospital of the HIS with its booking rules."""
    found = await _his_hospitals(his=his, redis=redis, keys=keys)
    known = {r.his_id: r for r in await CareHospital.all()}
    items = [
        _hospital_view(
            h,
            HospitalRules.from_value(known[h.id].rules) if h.id in known else HospitalRules(),
            known[h.id].name if h.id in known else None,
        )
        for h in found.items
    ]
    return CareList(items=items, stale=found.stale, fetched_at=found.fetched_at)


async def list_departments(
    *, his: HospitalSystem, redis: aioredis.Redis, keys: Keys, hospital_id: str
) -> CareList[DepartmentView]:
    """The clinics of a hospital; HospitalNotFound for an id the HIS does not know."""
    hospitals = await list_hospitals(his=his, redis=redis, keys=keys)
    if hospital_id not in {h.id for h in hospitals.items}:
        raise HospitalNotFound()
    found = await _read(
        redis=redis,
        keys=keys,
        name="departments",
        part=hospital_id,
        fetch=lambda: his.departments(hospital_id),
        decode=lambda d: HisDepartment(**d),
    )
    items = [
        DepartmentView(
            id=d.id,
            hospital_id=d.hospital_id,
            name=d.name,
            description=d.comment,
            names=department_name(d.name),
        )
        for d in found.items
    ]
    return CareList(items=items, stale=found.stale or hospitals.stale, fetched_at=found.fetched_at)


def _doctor_view(d: HisDoctor) -> DoctorView:
    return DoctorView(
        id=d.id,
        hospital_id=d.hospital_id,
        department_id=d.department_id,
        name=d.name,
        title=d.title,
        title_code=d.title_code,
        specialty=d.specialty,
        fee_fen=d.fee_fen,
        names=doctor_names(d.name),
        titles=title_names(d.title, d.title_code),
    )


async def list_doctors(
    *, his: HospitalSystem, redis: aioredis.Redis, keys: Keys, department_id: str
) -> CareList[DoctorView]:
    """The doctors of a clinic; DepartmentNotFound when the HIS has no such clinic."""
    found = await _read(
        redis=redis,
        keys=keys,
        name="doctors",
        part=department_id,
        fetch=lambda: his.doctors(department_id),
        decode=lambda d: HisDoctor(**d),
    )
    if not found.items and not await CareDepartment.exists(his_id=department_id):
        raise DepartmentNotFound()
    return CareList(
        items=[_doctor_view(d) for d in found.items], stale=found.stale, fetched_at=found.fetched_at
    )


async def _doctor(
    *, his: HospitalSystem, redis: aioredis.Redis, keys: Keys, doctor_id: str
) -> tuple[HisDoctor, bool]:
    async def fetch() -> list[HisDoctor]:
        one = await his.doctor(doctor_id)
        return [one] if one else []

    found = await _read(
        redis=redis,
        keys=keys,
        name="doctor",
        part=doctor_id[:64],
        fetch=fetch,
        decode=lambda d: HisDoctor(**d),
    )
    if not found.items:
        raise DoctorNotFound()
    return found.items[0], found.stale


async def _mirrored_hospital(
    *, his: HospitalSystem, redis: aioredis.Redis, keys: Keys, hospital_id: str
) -> CareHospital | None:
    """Our row of the hospital; written from the (cached) HIS list when the periodic mirror has not run
    yet, so that the first resource of its doctors is named after the hospital, not its HIS id."""
    row = await CareHospital.get_or_none(his_id=hospital_id)
    if row is not None:
        return row
    try:
        found = await _his_hospitals(his=his, redis=redis, keys=keys)
    except HospitalSystemDown:
        return None
    hospital = next((h for h in found.items if h.id == hospital_id), None)
    if hospital is None:
        return None
    try:
        row, _ = await CareHospital.get_or_create(
            his_id=hospital.id,
            defaults={
                "name": {"zh_CN": hospital.name, "en": _english(hospital)},
                "kind": hospital.kind,
                "address": hospital.address,
            },
        )
    except IntegrityError:  # the mirror (or a concurrent read) wrote it first
        row = await CareHospital.get(his_id=hospital.id)
    return row


async def doctor_resource(doctor: HisDoctor, *, hospital: CareHospital | None = None) -> Any:
    """The engine resource of a doctor's slots, created (with the hospital's rules) the first time."""
    row = await CareDoctor.get_or_none(his_id=doctor.id)
    if row is not None and row.resource_id is not None:
        return await bookings.get_resource(resource_id=row.resource_id)
    hospital = hospital or await CareHospital.get_or_none(his_id=doctor.hospital_id)
    rules = HospitalRules.from_value(hospital.rules if hospital else None)
    hospital_name = (hospital.name or {}) if hospital else {}
    doctor_label = names.doctor_name(doctor.name, doctor.title, doctor.title_code)
    resource = await bookings.ensure_resource(
        owner_domain=OwnerDomain.CARE,
        owner_ref=f"his:{doctor.id}",
        name={
            "zh_CN": f"{hospital_name.get('zh_CN', doctor.hospital_id)} {doctor_label['zh_CN']}",
            "en": f"{hospital_name.get('en', doctor.hospital_id)} — {doctor_label.get('en', doctor.name)}",
        },
        staff_role=Role.DEPT_OPERATOR,
        staff_scope=f"hospital:{doctor.hospital_id}",
        rules=rules.booking_rules(),
    )
    await _upsert_doctor(doctor, resource_id=resource.id)
    return resource


async def _upsert_doctor(doctor: HisDoctor, *, resource_id: Any = None) -> None:
    values = {
        "hospital_his_id": doctor.hospital_id,
        "department_his_id": doctor.department_id,
        "name": doctor.name,
        "title": doctor.title,
        "title_code": doctor.title_code,
        "specialty": doctor.specialty,
        "fee_fen": doctor.fee_fen,
    }
    if resource_id is not None:
        values["resource_id"] = resource_id
    row, created = await CareDoctor.get_or_create(his_id=doctor.id, defaults=values)
    if not created:
        await CareDoctor.filter(id=row.id).update(**values)


async def doctor_slots(
    *, his: HospitalSystem, redis: aioredis.Redis, keys: Keys, doctor_id: str, day: dt.date
) -> CareList[DoctorSlotView]:
    """A doctor's slots on a local day as bookable engine slots, with the HIS's view of each."""
    doctor, doctor_stale = await _doctor(his=his, redis=redis, keys=keys, doctor_id=doctor_id)
    found = await _read(
        redis=redis,
        keys=keys,
        name="slots",
        part=f"{doctor.id}:{day.isoformat()}",
        fetch=lambda: his.slots(doctor.id, day, tz=_tz()),
        decode=_slot,
    )
    hospital = await _mirrored_hospital(his=his, redis=redis, keys=keys, hospital_id=doctor.hospital_id)
    resource = await doctor_resource(doctor, hospital=hospital)
    rules = await hospital_rules(doctor.hospital_id)
    mirrored = {s.label: s for s in await bookings.list_slots(resource_id=resource.id, date=day)}
    now = clock.now()
    now_local = clock.to_local(now)
    release_at = dt.datetime.combine(
        day - dt.timedelta(days=rules.release_days), rules.release_at(), tzinfo=_tz()
    )
    views: list[DoctorSlotView] = []
    for his_slot in found.items:
        engine_slot = mirrored.get(his_slot.id)
        if engine_slot is None:
            try:
                engine_slot = await bookings.create_slot(
                    resource_id=resource.id,
                    start=his_slot.start,
                    end=his_slot.end,
                    capacity=his_slot.capacity,
                    label=his_slot.id,
                )
            except SlotExists:
                engine_slot = next(
                    s
                    for s in await bookings.list_slots(resource_id=resource.id, date=day)
                    if s.start == his_slot.start
                )
        stopped = his_slot.status == "busy-unavailable"
        if stopped and engine_slot.status is SlotStatus.OPEN:
            await outcomes.close_slot(slot_id=engine_slot.id)
        if stopped:
            status = "stopped"
        elif engine_slot.status is not SlotStatus.OPEN or engine_slot.start <= now:
            status = "closed"
        elif not rules.released(day, now_local=now_local):
            status = "not_released"
        else:
            status = "open"
        views.append(
            DoctorSlotView(
                id=engine_slot.id,
                resource_id=resource.id,
                start=engine_slot.start,
                end=engine_slot.end,
                capacity=engine_slot.capacity,
                remaining=0 if stopped else engine_slot.remaining,
                status=status,
                session=his_slot.session,
                fee_fen=doctor.fee_fen,
                releases_at=release_at if status == "not_released" else None,
            )
        )
    return CareList(items=views, stale=found.stale or doctor_stale, fetched_at=found.fetched_at)


# ----------------------------------------------------------------------------------------- mirror


async def sync_catalogue(*, his: HospitalSystem) -> int:
    """Mirror hospitals, clinics and doctors into our tables (search, dashboard, staff scopes)."""
    try:
        hospitals = await his.hospitals()
    except _UNAVAILABLE as error:
        await mark_his(ok=False, error=error)
        return 0
    written = 0
    for hospital in hospitals:
        row, created = await CareHospital.get_or_create(
            his_id=hospital.id,
            defaults={
                "name": {"zh_CN": hospital.name, "en": _english(hospital)},
                "kind": hospital.kind,
                "address": hospital.address,
            },
        )
        if not created:
            await CareHospital.filter(id=row.id).update(
                name={"zh_CN": hospital.name, "en": _english(hospital)},
                kind=hospital.kind,
                address=hospital.address,
            )
        written += 1
        try:
            departments = await his.departments(hospital.id)
        except _UNAVAILABLE:
            continue
        for department in departments:
            dep, made = await CareDepartment.get_or_create(
                his_id=department.id, defaults={"hospital_his_id": hospital.id, "name": department.name}
            )
            if not made and dep.name != department.name:
                await CareDepartment.filter(id=dep.id).update(name=department.name)
            try:
                doctors = await his.doctors(department.id)
            except _UNAVAILABLE:
                continue
            for doctor in doctors:
                await _upsert_doctor(doctor)
                written += 1
    await mark_his(ok=True)
    return written


def _english(hospital: HisHospital) -> str:
    return next((a for a in hospital.alias if a.isascii()), hospital.name)


def parse_day(value: str | None) -> dt.date:
    """A `?date=` value (YYYY-MM-DD), today when absent; BadCareDate otherwise."""
    if not value:
        return clock.local_date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise BadCareDate() from error
