"""Demo data for care: the hospitals' booking rules (the HIS sandbox holds their clinics, doctors
and schedules; the catalogue job mirrors those). Idempotent, keyed by the HIS organisation id."""

from __future__ import annotations

from typing import Any

from services.care.models import CareHospital
from services.care.rules import HospitalRules
from services.common.seeding import SeedContext

__all__ = ["DEMO_HOSPITALS", "seed_demo"]

# his id, names, kind, address, rules (demo)
DEMO_HOSPITALS: list[tuple[str, dict[str, str], str, str, HospitalRules]] = [
    (
        "jy-rmyy",
        {"zh_CN": "济源市人民医院", "en": "Jiyuan People's Hospital"},
        "hospital",
        "河南省济源市沁园路999号",
        HospitalRules(
            release_days=7,
            release_time="08:00",
            cancel_deadline_minutes=120,
            max_per_day=3,
            max_per_department=1,
        ),
    ),
    (
        "jy-zyy",
        {"zh_CN": "济源市中医院", "en": "Jiyuan Hospital of Traditional Chinese Medicine"},
        "hospital",
        "河南省济源市济水大街268号",
        HospitalRules(
            release_days=7,
            release_time="07:30",
            cancel_deadline_minutes=240,
            max_per_day=2,
            max_per_department=1,
        ),
    ),
    (
        "jy-qysq",
        {"zh_CN": "沁园街道社区卫生服务中心", "en": "Qinyuan Community Health Centre"},
        "community_health_centre",
        "河南省济源市沁园街道宣化街56号",
        HospitalRules(
            release_days=3,
            release_time="08:00",
            cancel_deadline_minutes=60,
            max_per_day=2,
            max_per_department=1,
        ),
    ),
]


async def seed_demo(ctx: SeedContext) -> int:
    """Upsert the demo hospitals with their rules."""
    written = 0
    for his_id, name, kind, address, rules in DEMO_HOSPITALS:
        values: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "address": address,
            "rules": rules.as_dict(),
            "demo": True,
        }
        row, created = await CareHospital.get_or_create(his_id=his_id, defaults=values)
        if not created:
            await CareHospital.filter(id=row.id).update(**values)
        written += 1
    ctx.progress("care: hospitals")
    return written
