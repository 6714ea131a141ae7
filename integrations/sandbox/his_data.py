"""The HIS sandbox's demo hospitals, clinics, doctors, titles with their fees, and weekly rota."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

__all__ = ["DEMO_HOSPITALS", "SESSIONS", "SLOT_MINUTES", "TITLES", "works"]

# title code -> (display, fee in yuan, numbers per 30-minute slot)
TITLES: dict[str, tuple[str, str, int]] = {
    "chief": ("主任医师", "30.00", 2),
    "associate_chief": ("副主任医师", "20.00", 3),
    "attending": ("主治医师", "12.00", 4),
    "resident": ("医师", "8.00", 5),
}
SESSIONS = {"am": (dt.time(8, 0), dt.time(12, 0)), "pm": (dt.time(14, 30), dt.time(17, 30))}
SLOT_MINUTES = 30

# Demo data (labelled demo in the Organization text): hospital -> clinics -> doctors (name, gender, title, specialty).
DEMO_HOSPITALS: list[dict[str, Any]] = [
    {
        "id": "jy-rmyy",
        "name": "济源市人民医院",
        "alias": ["市人民医院", "Jiyuan People's Hospital"],
        "kind": "hospital",
        "address": "河南省济源市沁园路999号",
        "phone": "0391-6622000",
        "clinics": {
            "nk": (
                "内科",
                [("王建国", "male", "chief", "心血管内科"), ("李淑芳", "female", "attending", "消化内科")],
            ),
            "wk": (
                "外科",
                [("张国强", "male", "associate_chief", "普外科"), ("赵磊", "male", "attending", "泌尿外科")],
            ),
            "ek": (
                "儿科",
                [("刘晓燕", "female", "chief", "小儿呼吸"), ("陈静", "female", "resident", "儿童保健")],
            ),
            "fck": (
                "妇产科",
                [("杨丽华", "female", "associate_chief", "产科"), ("周敏", "female", "attending", "妇科")],
            ),
            "gk": (
                "骨科",
                [("孙志刚", "male", "chief", "脊柱外科"), ("马超", "male", "attending", "关节外科")],
            ),
            "yk": (
                "眼科",
                [("吴晓明", "male", "associate_chief", "白内障"), ("郑雪", "female", "resident", "屈光")],
            ),
            "kqk": (
                "口腔科",
                [("黄海涛", "male", "attending", "口腔修复"), ("林倩", "female", "resident", "牙体牙髓")],
            ),
            "pfk": (
                "皮肤科",
                [
                    ("何玉兰", "female", "associate_chief", "皮肤性病"),
                    ("高峰", "male", "resident", "皮肤美容"),
                ],
            ),
        },
    },
    {
        "id": "jy-zyy",
        "name": "济源市中医院",
        "alias": ["市中医院", "Jiyuan Hospital of Traditional Chinese Medicine"],
        "kind": "hospital",
        "address": "河南省济源市济水大街268号",
        "phone": "0391-6633120",
        "clinics": {
            "zyk": (
                "中医科",
                [("冯德厚", "male", "chief", "中医内科"), ("韩秀云", "female", "attending", "中医妇科")],
            ),
            "zjtn": (
                "针灸推拿科",
                [("曹振华", "male", "associate_chief", "针灸"), ("彭丽", "female", "attending", "推拿")],
            ),
            "gsk": (
                "骨伤科",
                [("邓长青", "male", "chief", "中医骨伤"), ("许建", "male", "resident", "骨伤康复")],
            ),
            "nk": (
                "内科",
                [("苏文", "male", "associate_chief", "老年病"), ("蒋红梅", "female", "attending", "内分泌")],
            ),
            "ek": (
                "儿科",
                [("罗芳", "female", "attending", "中医儿科"), ("谢婷", "female", "resident", "小儿推拿")],
            ),
        },
    },
    {
        "id": "jy-qysq",
        "name": "沁园街道社区卫生服务中心",
        "alias": ["沁园社区医院", "Qinyuan Community Health Centre"],
        "kind": "community_health_centre",
        "address": "河南省济源市沁园街道宣化街56号",
        "phone": "0391-6655301",
        "clinics": {
            "qk": (
                "全科",
                [("田卫东", "male", "attending", "全科医学"), ("董慧", "female", "resident", "慢病管理")],
            ),
            "zyk": ("中医科", [("袁志诚", "male", "attending", "中医调理")]),
        },
    },
]


def works(role_id: str, day: dt.date, session: str) -> bool:
    """A stable weekly rota: each doctor sees patients in about half of the sessions."""
    digest = hashlib.sha256(f"{role_id}:{day.weekday()}:{session}".encode()).digest()
    return digest[0] % 2 == 0 or day.weekday() == 0
