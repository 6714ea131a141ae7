"""Jiyuan demo data: schools (real names where marked, invented otherwise), districts, a round.

Every row is demo data. `name_real` marks schools whose names are real Jiyuan schools; their
addresses, coordinates, phone numbers, districts and admission plans are still invented. The
districts come from data/districts.geojson, the same file format the bureau publishes.
"""

from __future__ import annotations

import datetime as dt

from services.common import clock
from services.common.seeding import SeedContext
from services.education import catalogue, rounds
from services.education.enums import Phase, SchoolLevel, SchoolOwnership
from services.education.models import School

__all__ = ["DEMO_SCHOOLS", "SUB_DISTRICTS_EN", "seed_demo", "seed_schools"]

P, J = SchoolLevel.PRIMARY, SchoolLevel.JUNIOR
PUB, PRI = SchoolOwnership.PUBLIC, SchoolOwnership.PRIVATE

# The schools' sub-districts and towns (as stored, in Chinese) in English: pinyin, as Jiyuan writes them.
SUB_DISTRICTS_EN: dict[str, str] = {
    "天坛": "Tiantan",
    "济水": "Jishui",
    "北海": "Beihai",
    "沁园": "Qinyuan",
    "玉泉": "Yuquan",
    "克井": "Kejing",
    "轵城": "Zhicheng",
}

# code, zh, en, ownership, level, sub-district, address zh, address en, lat, lng, real name?, places
DEMO_SCHOOLS: tuple[tuple, ...] = (
    ("JY-P01", "济源市实验小学", "Jiyuan Experimental Primary School", PUB, P, "天坛",
     "济源市天坛路88号", "88 Tiantan Road, Jiyuan", 35.1000, 112.5720, True, 180),
    ("JY-P02", "济源市愚公路小学", "Jiyuan Yugong Road Primary School", PUB, P, "济水",
     "济源市愚公路120号", "120 Yugong Road, Jiyuan", 35.1010, 112.6000, True, 160),
    ("JY-P03", "济源市济渎路小学", "Jiyuan Jidu Road Primary School", PUB, P, "北海",
     "济源市济渎路210号", "210 Jidu Road, Jiyuan", 35.1000, 112.6260, True, 150),
    ("JY-P04", "济源市沁园路小学", "Jiyuan Qinyuan Road Primary School", PUB, P, "沁园",
     "济源市沁园路66号", "66 Qinyuan Road, Jiyuan", 35.0800, 112.5730, False, 140),
    ("JY-P05", "济源市玉泉街道中心小学", "Yuquan Central Primary School", PUB, P, "玉泉",
     "济源市黄河大道260号", "260 Huanghe Avenue, Jiyuan", 35.0790, 112.6000, False, 120),
    ("JY-P06", "济源市北海街道第二小学", "Beihai No. 2 Primary School", PUB, P, "北海",
     "济源市黄河大道520号", "520 Huanghe Avenue, Jiyuan", 35.0800, 112.6270, False, 120),
    ("JY-P07", "济源市克井镇中心小学", "Kejing Town Central Primary School", PUB, P, "克井",
     "济源市克井镇克井村", "Kejing Village, Kejing Town, Jiyuan", 35.1750, 112.5600, False, 90),
    ("JY-P08", "济源市英才学校（小学部）", "Jiyuan Yingcai School (primary)", PRI, P, "济水",
     "济源市文昌路18号", "18 Wenchang Road, Jiyuan", 35.0950, 112.5950, False, 80),
    ("JY-P09", "济源市天坛街道中心小学", "Tiantan Central Primary School", PUB, P, "天坛",
     "济源市文昌路60号", "60 Wenchang Road, Jiyuan", 35.0985, 112.5700, False, 60),
    ("JY-J01", "济源市第一中学", "Jiyuan No. 1 Middle School", PUB, J, "天坛",
     "济源市天坛路300号", "300 Tiantan Road, Jiyuan", 35.0920, 112.5750, True, 400),
    ("JY-J02", "济源市实验中学", "Jiyuan Experimental Middle School", PUB, J, "济水",
     "济源市愚公路260号", "260 Yugong Road, Jiyuan", 35.0900, 112.6010, True, 450),
    ("JY-J03", "济源市沁园中学", "Jiyuan Qinyuan Middle School", PUB, J, "北海",
     "济源市济渎路360号", "360 Jidu Road, Jiyuan", 35.0900, 112.6250, False, 380),
    ("JY-J04", "济源市轵城镇第一初级中学", "Zhicheng Town No. 1 Junior Middle School", PUB, J, "轵城",
     "济源市轵城镇轵城村", "Zhicheng Village, Zhicheng Town, Jiyuan", 35.0400, 112.6600, False, 200),
    ("JY-J05", "济源市育才中学", "Jiyuan Yucai Middle School (private)", PRI, J, "玉泉",
     "济源市黄河大道150号", "150 Huanghe Avenue, Jiyuan", 35.0780, 112.5950, False, 100),
)  # fmt: skip


async def seed_schools() -> int:
    """Upsert the demo schools by code; returns how many."""
    for code, zh, en, own, level, sub, addr_zh, addr_en, lat, lng, real, _places in DEMO_SCHOOLS:
        await School.update_or_create(
            defaults={
                "name_zh": zh,
                "name_en": en,
                "ownership": own,
                "level": level,
                "sub_district": sub,
                "address_zh": addr_zh,
                "address_en": addr_en,
                "lat": lat,
                "lng": lng,
                "phone": "0391-66" + code[-2:] + "000",
                "demo": True,
                "name_real": real,
            },
            code=code,
        )
    return len(DEMO_SCHOOLS)


def _demo_phases(year: int) -> dict[Phase, tuple[dt.datetime, dt.datetime]]:
    """The usual summer calendar of a Jiyuan round, in city time."""

    def at(month: int, day: int, hour: int = 9) -> dt.datetime:
        return dt.datetime(year, month, day, hour, tzinfo=clock.CITY_TZ)

    return {
        Phase.REGISTRATION: (at(7, 1), at(7, 10, 18)),
        Phase.REVIEW: (at(7, 10, 18), at(7, 20, 18)),
        Phase.SUPPLEMENT: (at(7, 20, 18), at(7, 25, 18)),
        Phase.PUBLICITY: (at(7, 25, 18), at(8, 1, 9)),
        Phase.ADMISSION: (at(8, 1, 9), at(8, 10, 18)),
        Phase.REPORTING: (at(8, 25, 8), at(8, 31, 18)),
    }


async def seed_demo(ctx: SeedContext) -> int:
    """Schools, the demo districts file and the next summer's two rounds (idempotent)."""
    written = await seed_schools()
    ctx.progress("education: schools")
    written += await catalogue.import_districts_file(catalogue.DEMO_DISTRICTS_FILE)
    ctx.progress("education: districts")
    year = clock.local_date().year + 1
    for level, label_zh, label_en in (
        (P, "小学一年级招生", "Primary grade 1 enrollment"),
        (J, "初一招生", "Junior middle grade 7 enrollment"),
    ):
        # school code -> (places, waiting-list places)
        plans = {s[0]: (s[-1], max(5, s[-1] // 10)) for s in DEMO_SCHOOLS if s[4] == level}
        await rounds.upsert_round(
            code=f"{year}-{level.value}",
            year=year,
            level=level,
            name_zh=f"{year}年{label_zh}",
            name_en=f"{year} {label_en}",
            phases=_demo_phases(year),
            plans=plans,
            cipher=ctx.cipher,
        )
        written += 1
    ctx.progress("education: rounds")
    return written
