"""Demo data: Jiyuan's 5 sub-districts and 11 towns with some of their communities and villages.

Coordinates are approximate centres; names of communities/villages are labelled demo data.
"""

from __future__ import annotations

import datetime as dt
import uuid

from services.common import clock
from services.common.seeding import SeedContext
from services.community.enums import (
    CommunityKind,
    NoticeCategory,
    NoticeStatus,
    NoticeVisibility,
    RegionKind,
)
from services.community.models import Community, Notice, Region
from services.community.notices import index_notice

__all__ = ["DEMO_NOTICES", "REGIONS", "seed_demo"]

# Demo notices get stable ids (uuid5 of their key), so seeding again updates instead of duplicating.
_DEMO_NS = uuid.UUID("6f1c2d3e-0000-5000-8000-00000000c0de")
_DEMO_AUTHOR = uuid.UUID("00000000-0000-7000-8000-000000000001")

# key, community code, category, visibility, urgent, pinned, days since publication, title, body
DEMO_NOTICES: list[tuple[str, str, NoticeCategory, NoticeVisibility, bool, bool, int, str, str]] = [
    (
        "xuanhua-water",
        "qinyuan-xuanhua",
        NoticeCategory.UTILITY_OUTAGE,
        NoticeVisibility.PUBLIC,
        True,
        True,
        0,
        "【停水通知】宣化街部分楼栋管网检修",
        "因供水管网检修，本周六8:00至14:00宣化街1-12号楼暂停供水，请居民提前储水。（演示数据）",
    ),
    (
        "xuanhua-chongyang",
        "qinyuan-xuanhua",
        NoticeCategory.ACTIVITY,
        NoticeVisibility.PUBLIC,
        False,
        False,
        1,
        "重阳节敬老包饺子活动报名",
        "社区活动室举办重阳节敬老活动，欢迎60岁以上老人及志愿者报名参加。（演示数据）",
    ),
    (
        "xuanhua-insurance",
        "qinyuan-xuanhua",
        NoticeCategory.POLICY,
        NoticeVisibility.MEMBERS,
        False,
        False,
        2,
        "2027年度城乡居民医保集中缴费提醒",
        "城乡居民医保集中缴费期为即日起至12月31日，可通过“济源医保”或社区服务站缴纳。（演示数据，仅本社区居民可见）",
    ),
    (
        "xuanhua-grid",
        "qinyuan-xuanhua",
        NoticeCategory.RECRUITMENT,
        NoticeVisibility.PUBLIC,
        False,
        False,
        3,
        "社区招聘网格员2名",
        "要求熟悉本社区情况，有责任心，报名请到社区党群服务中心。（演示数据）",
    ),
    (
        "qinyuan-flu",
        "qinyuan-qinyuan",
        NoticeCategory.HEALTH,
        NoticeVisibility.PUBLIC,
        False,
        True,
        1,
        "流感疫苗免费接种（65岁以上）",
        "社区卫生服务站每周二、四上午为65岁以上老人免费接种流感疫苗，请携带身份证。（演示数据）",
    ),
    (
        "wangwu-road",
        "wangwu-wangwu",
        NoticeCategory.OTHER,
        NoticeVisibility.PUBLIC,
        False,
        False,
        0,
        "王屋山景区旅游旺季交通提示",
        "周末景区车流量大，村内道路请勿占道停车，请配合交警疏导。（演示数据）",
    ),
]

# code, 中文, English, kind, lat, lng, [(community code suffix, 中文, English, kind, lat, lng)]
REGIONS: list[
    tuple[str, str, str, RegionKind, float, float, list[tuple[str, str, str, CommunityKind, float, float]]]
] = [
    (
        "qinyuan",
        "沁园街道",
        "Qinyuan Sub-district",
        RegionKind.SUBDISTRICT,
        35.0930,
        112.5900,
        [
            ("xuanhua", "宣化街社区", "Xuanhua Street Community", CommunityKind.COMMUNITY, 35.0952, 112.5868),
            ("qinyuan", "沁园社区", "Qinyuan Community", CommunityKind.COMMUNITY, 35.0911, 112.5931),
            ("miaodian", "苗店村", "Miaodian Village", CommunityKind.VILLAGE, 35.1012, 112.6004),
        ],
    ),
    (
        "jishui",
        "济水街道",
        "Jishui Sub-district",
        RegionKind.SUBDISTRICT,
        35.0870,
        112.6020,
        [
            ("jishui", "济水社区", "Jishui Community", CommunityKind.COMMUNITY, 35.0868, 112.6035),
            ("tangdi", "汤帝社区", "Tangdi Community", CommunityKind.COMMUNITY, 35.0832, 112.6088),
            ("xiguan", "西关社区", "Xiguan Community", CommunityKind.COMMUNITY, 35.0889, 112.5962),
        ],
    ),
    (
        "beihai",
        "北海街道",
        "Beihai Sub-district",
        RegionKind.SUBDISTRICT,
        35.1030,
        112.5830,
        [
            ("beihai", "北海社区", "Beihai Community", CommunityKind.COMMUNITY, 35.1041, 112.5811),
            ("yuchuan", "玉川社区", "Yuchuan Community", CommunityKind.COMMUNITY, 35.1087, 112.5877),
        ],
    ),
    (
        "tiantan",
        "天坛街道",
        "Tiantan Sub-district",
        RegionKind.SUBDISTRICT,
        35.0780,
        112.5700,
        [
            ("tiantan", "天坛社区", "Tiantan Community", CommunityKind.COMMUNITY, 35.0773, 112.5712),
            ("huayuan", "花园社区", "Huayuan Community", CommunityKind.COMMUNITY, 35.0741, 112.5660),
        ],
    ),
    (
        "yuquan",
        "玉泉街道",
        "Yuquan Sub-district",
        RegionKind.SUBDISTRICT,
        35.0600,
        112.6400,
        [
            ("yuquan", "玉泉社区", "Yuquan Community", CommunityKind.COMMUNITY, 35.0611, 112.6388),
            ("shuangqiao", "双桥村", "Shuangqiao Village", CommunityKind.VILLAGE, 35.0552, 112.6471),
        ],
    ),
    (
        "kejing",
        "克井镇",
        "Kejing Town",
        RegionKind.TOWN,
        35.1600,
        112.5500,
        [
            ("zaomiao", "枣庙村", "Zaomiao Village", CommunityKind.VILLAGE, 35.1633, 112.5447),
        ],
    ),
    (
        "wulongkou",
        "五龙口镇",
        "Wulongkou Town",
        RegionKind.TOWN,
        35.1500,
        112.7000,
        [
            ("wulongkou", "五龙口村", "Wulongkou Village", CommunityKind.VILLAGE, 35.1522, 112.7035),
        ],
    ),
    (
        "zhicheng",
        "轵城镇",
        "Zhicheng Town",
        RegionKind.TOWN,
        35.0400,
        112.6000,
        [
            ("zhicheng", "轵城村", "Zhicheng Village", CommunityKind.VILLAGE, 35.0391, 112.6012),
        ],
    ),
    (
        "chengliu",
        "承留镇",
        "Chengliu Town",
        RegionKind.TOWN,
        35.0500,
        112.4900,
        [
            ("nanxun", "南勋村", "Nanxun Village", CommunityKind.VILLAGE, 35.0478, 112.4866),
        ],
    ),
    (
        "lilin",
        "梨林镇",
        "Lilin Town",
        RegionKind.TOWN,
        35.0800,
        112.7500,
        [
            ("lilin", "梨林村", "Lilin Village", CommunityKind.VILLAGE, 35.0812, 112.7488),
        ],
    ),
    (
        "potou",
        "坡头镇",
        "Potou Town",
        RegionKind.TOWN,
        35.0000,
        112.5200,
        [
            ("potou", "坡头村", "Potou Village", CommunityKind.VILLAGE, 35.0011, 112.5188),
        ],
    ),
    (
        "dayu",
        "大峪镇",
        "Dayu Town",
        RegionKind.TOWN,
        34.9900,
        112.3500,
        [
            ("dayu", "大峪村", "Dayu Village", CommunityKind.VILLAGE, 34.9922, 112.3531),
        ],
    ),
    (
        "wangwu",
        "王屋镇",
        "Wangwu Town",
        RegionKind.TOWN,
        35.1200,
        112.2800,
        [
            ("wangwu", "王屋村", "Wangwu Village", CommunityKind.VILLAGE, 35.1188, 112.2822),
        ],
    ),
    (
        "shaoyuan",
        "邵原镇",
        "Shaoyuan Town",
        RegionKind.TOWN,
        35.1700,
        112.1200,
        [
            ("shaoyuan", "邵原村", "Shaoyuan Village", CommunityKind.VILLAGE, 35.1711, 112.1233),
        ],
    ),
    (
        "sili",
        "思礼镇",
        "Sili Town",
        RegionKind.TOWN,
        35.1300,
        112.4300,
        [
            ("sili", "思礼村", "Sili Village", CommunityKind.VILLAGE, 35.1296, 112.4312),
        ],
    ),
    (
        "xiaye",
        "下冶镇",
        "Xiaye Town",
        RegionKind.TOWN,
        35.0000,
        112.2500,
        [
            ("xiaye", "下冶村", "Xiaye Village", CommunityKind.VILLAGE, 35.0023, 112.2488),
        ],
    ),
]


async def seed_demo(ctx: SeedContext) -> int:
    """Upsert regions and their communities by code."""
    written = 0
    for code, zh, en, kind, lat, lng, communities in REGIONS:
        region, _ = await Region.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "kind": kind, "lat": lat, "lng": lng}
        )
        written += 1
        for suffix, c_zh, c_en, c_kind, c_lat, c_lng in communities:
            await Community.update_or_create(
                code=f"{code}-{suffix}",
                defaults={
                    "region": region,
                    "name_zh": c_zh,
                    "name_en": c_en,
                    "kind": c_kind,
                    "lat": c_lat,
                    "lng": c_lng,
                    "address": f"河南省济源市{zh}{c_zh}",
                    "demo": True,
                },
            )
            written += 1
        ctx.progress(f"community:{code}")
    now = clock.now()
    for key, community_code, category, visibility, urgent, pinned, days, title, body in DEMO_NOTICES:
        community = await Community.get(code=community_code)
        notice, _ = await Notice.update_or_create(
            id=uuid.uuid5(_DEMO_NS, key),
            defaults={
                "community_id": community.id,
                "author_id": _DEMO_AUTHOR,
                "title": title,
                "body": body,
                "category": category,
                "visibility": visibility,
                "urgent": urgent,
                "pinned": pinned,
                "status": NoticeStatus.PUBLISHED,
                "publish_at": now - dt.timedelta(days=days),
                "expire_at": now + dt.timedelta(days=30),
                "attachments": [],
                "sec_suggest": "pass",
                # Demo data: nobody is pushed a notification for it.
                "notified_at": now,
            },
        )
        await index_notice(notice, community)
        written += 1
    ctx.progress("community:notices")
    return written
