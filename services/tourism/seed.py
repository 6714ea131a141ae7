"""Demo scenic areas of Jiyuan (labelled demo). Coordinates are real and approximate (±1 km);
prices, capacities and hours are plausible demo figures, not official ones."""

from __future__ import annotations

from typing import Any

from services.common.seeding import SeedContext
from services.tourism import entry, service

__all__ = ["AREAS", "seed_demo"]

_PHOTO = "https://static.jiyuan.example/tourism/{code}-{n}.jpg"

_MOUNTAIN_HOURS = [
    {
        "season": "peak",
        "label": {"zh_CN": "旺季（3月—11月）", "en": "Peak season (Mar–Nov)"},
        "months": [3, 4, 5, 6, 7, 8, 9, 10, 11],
        "open": "07:30",
        "close": "18:00",
        "last_entry": "16:30",
    },
    {
        "season": "off",
        "label": {"zh_CN": "淡季（12月—次年2月）", "en": "Off season (Dec–Feb)"},
        "months": [12, 1, 2],
        "open": "08:00",
        "close": "17:00",
        "last_entry": "15:30",
    },
]

_SITE_HOURS = [
    {
        "season": "summer",
        "label": {"zh_CN": "夏令时（5月—10月）", "en": "Summer hours (May–Oct)"},
        "months": [5, 6, 7, 8, 9, 10],
        "open": "08:30",
        "close": "18:00",
        "last_entry": "17:00",
    },
    {
        "season": "winter",
        "label": {"zh_CN": "冬令时（11月—次年4月）", "en": "Winter hours (Nov–Apr)"},
        "months": [11, 12, 1, 2, 3, 4],
        "open": "08:30",
        "close": "17:00",
        "last_entry": "16:00",
    },
]


def _tickets(adult_fen: int) -> list[dict[str, Any]]:
    if adult_fen == 0:
        return [
            {
                "code": "free",
                "name": {"zh_CN": "免费预约入园", "en": "Free entry (booking required)"},
                "price_fen": 0,
            }
        ]
    return [
        {"code": "adult", "name": {"zh_CN": "成人票", "en": "Adult"}, "price_fen": adult_fen},
        {
            "code": "concession",
            "name": {"zh_CN": "优惠票（学生、60—69岁老人）", "en": "Concession (students, aged 60–69)"},
            "price_fen": adult_fen // 2,
        },
        {
            "code": "free",
            "name": {
                "zh_CN": "免票（1.2米以下儿童、70岁以上老人）",
                "en": "Free (children under 1.2 m, aged 70+)",
            },
            "price_fen": 0,
        },
    ]


AREAS: list[dict[str, Any]] = [
    {
        "code": "wangwushan",
        "lat": 35.1390,
        "lng": 112.2560,
        "daily_capacity": 30000,
        "instant_capacity": 10000,
        "adult_fen": 10000,
        "hours": _MOUNTAIN_HOURS,
        "tags": ["5A", "mountain", "taoism", "hiking"],
        "zh_CN": {
            "name": "王屋山",
            "summary": "国家5A级景区，道教“天下第一洞天”，愚公移山故事的发生地。",
            "description": "王屋山位于济源市西北部，主峰天坛山海拔1715米，相传为轩辕黄帝设坛祭天之所。"
            "景区有阳台宫、紫微宫、天坛顶等景点，索道可达峰顶附近。",
            "address": "河南省济源市王屋镇王屋山风景区",
            "accessibility": "游客中心和阳台宫区域可通行轮椅；登顶路段台阶陡峭，索道可代步。",
        },
        "en": {
            "name": "Wangwu Mountain",
            "summary": "A national 5A scenic area, first of the Taoist grotto-heavens and home of the Foolish Old Man legend.",
            "description": "Wangwu Mountain rises in the north-west of Jiyuan; its main peak, Tiantan (1,715 m), is "
            "where the Yellow Emperor is said to have worshipped Heaven. Sights include Yangtai Palace, Ziwei "
            "Palace and the summit altar; a cable car climbs most of the way up.",
            "address": "Wangwushan Scenic Area, Wangwu Town, Jiyuan, Henan",
            "accessibility": "Wheelchair access around the visitor centre and Yangtai Palace; the summit path "
            "has steep steps, the cable car helps.",
        },
    },
    {
        "code": "xiaolangdi",
        "lat": 34.9240,
        "lng": 112.3640,
        "daily_capacity": 20000,
        "instant_capacity": 8000,
        "adult_fen": 6000,
        "hours": _MOUNTAIN_HOURS,
        "tags": ["4A", "yellow-river", "dam", "engineering"],
        "zh_CN": {
            "name": "小浪底",
            "summary": "黄河小浪底水利枢纽，每年汛前调水调沙时可观壮观泄洪。",
            "description": "小浪底水利枢纽位于黄河中游最后一段峡谷出口处，是治理开发黄河的关键工程。"
            "景区包括大坝、展览馆和黄河文化园，调水调沙期间“黄河之水天上来”的景象吸引大量游客。",
            "address": "河南省济源市坡头镇小浪底水利枢纽",
            "accessibility": "坝顶与展览馆均为平路，可通行轮椅；观景台设有无障碍坡道。",
        },
        "en": {
            "name": "Xiaolangdi Dam",
            "summary": "The Yellow River's great dam; its flood-season sediment flushing is a spectacle.",
            "description": "Xiaolangdi stands where the Yellow River leaves its last middle-reach gorge. The dam crest, "
            "the exhibition hall and the Yellow River culture park are open to visitors; the water-and-sediment "
            "regulation each summer draws large crowds.",
            "address": "Xiaolangdi Water Control Project, Potou Town, Jiyuan, Henan",
            "accessibility": "Dam crest and exhibition hall are level and wheelchair accessible; ramps at the viewing deck.",
        },
    },
    {
        "code": "wulongkou",
        "lat": 35.1760,
        "lng": 112.6960,
        "daily_capacity": 15000,
        "instant_capacity": 5000,
        "adult_fen": 6000,
        "hours": _MOUNTAIN_HOURS,
        "tags": ["4A", "macaques", "nature", "canal"],
        "zh_CN": {
            "name": "五龙口",
            "summary": "太行山猕猴国家级自然保护区，秦代古渠广济渠渠首所在。",
            "description": "五龙口景区位于济源东北的太行山南麓，沁河由此出山。景区以野生猕猴群闻名，"
            "并保存有始建于秦代的古老水利工程广济渠渠首。",
            "address": "河南省济源市五龙口镇五龙口风景区",
            "accessibility": "猴山入口至观猴平台有平缓步道；请勿投喂猕猴。",
        },
        "en": {
            "name": "Wulongkou",
            "summary": "Home of the Taihang macaque reserve and of an irrigation canal head dating back to the Qin.",
            "description": "Wulongkou lies at the southern foot of the Taihang Mountains where the Qin River leaves the "
            "hills. It is known for its wild macaque troops and for the head works of the ancient Guangji Canal.",
            "address": "Wulongkou Scenic Area, Wulongkou Town, Jiyuan, Henan",
            "accessibility": "A gentle path leads from the entrance to the macaque platform. Please do not feed the monkeys.",
        },
    },
    {
        "code": "huanghe-sanxia",
        "lat": 35.0180,
        "lng": 112.3030,
        "daily_capacity": 12000,
        "instant_capacity": 4000,
        "adult_fen": 8000,
        "hours": _MOUNTAIN_HOURS,
        "tags": ["4A", "yellow-river", "boat", "gorge"],
        "zh_CN": {
            "name": "黄河三峡",
            "summary": "小浪底库区的峡谷风光，乘船游览孤山峡、龙凤峡、八里峡。",
            "description": "黄河三峡位于济源市大峪镇，小浪底水库蓄水后形成高峡平湖。"
            "游客可乘船穿行三段峡谷，欣赏丹霞地貌与黄河湖光。",
            "address": "河南省济源市大峪镇黄河三峡风景区",
            "accessibility": "码头设有无障碍通道；船舱空间有限，轮椅需提前告知工作人员。",
        },
        "en": {
            "name": "Yellow River Three Gorges",
            "summary": "Boat trips through three gorges of the Xiaolangdi reservoir: Gushan, Longfeng and Bali.",
            "description": "In Dayu Town, the rising Xiaolangdi reservoir turned the Yellow River's canyons into a lake "
            "between red-rock cliffs. Boats take visitors through all three gorges.",
            "address": "Yellow River Three Gorges Scenic Area, Dayu Town, Jiyuan, Henan",
            "accessibility": "Step-free access to the pier; tell staff in advance if you travel with a wheelchair.",
        },
    },
    {
        "code": "jiuligou",
        "lat": 35.1950,
        "lng": 112.4800,
        "daily_capacity": 10000,
        "instant_capacity": 3500,
        "adult_fen": 5000,
        "hours": _MOUNTAIN_HOURS,
        "tags": ["4A", "valley", "waterfalls", "hiking"],
        "zh_CN": {
            "name": "九里沟",
            "summary": "太行山中的溪谷，瀑布、深潭与红叶相连。",
            "description": "九里沟景区位于济源市西北约15公里的思礼镇，属王屋山国家级风景名胜区，沿溪谷步道可见瀑布、碧潭与古村落，秋季红叶尤佳。",
            "address": "河南省济源市思礼镇九里沟风景区",
            "accessibility": "溪谷步道多台阶，不适合轮椅；入口广场可通行。",
        },
        "en": {
            "name": "Jiuligou Valley",
            "summary": "A Taihang valley of waterfalls, deep pools and autumn leaves.",
            "description": "Jiuligou lies in the Taihang hills north of the city. A stream-side trail passes waterfalls, "
            "green pools and an old village; autumn colours are the highlight.",
            "address": "Jiuligou Scenic Area, Sili Town, Jiyuan, Henan",
            "accessibility": "The valley trail has many steps and is not wheelchair friendly; the entrance plaza is.",
        },
    },
    {
        "code": "jidu-temple",
        "lat": 35.1030,
        "lng": 112.5660,
        "daily_capacity": 6000,
        "instant_capacity": 1500,
        "adult_fen": 4000,
        "hours": _SITE_HOURS,
        "tags": ["4A", "temple", "heritage", "architecture"],
        "zh_CN": {
            "name": "济渎庙",
            "summary": "祭祀济水神的古庙，全国重点文物保护单位，始建于隋开皇二年。",
            "description": "济渎庙是古代祭祀“四渎”之一济水的庙宇，现存宋、元、明、清建筑，"
            "寝宫为河南现存最早的木构建筑之一，被誉为“中原古代建筑博物馆”。",
            "address": "河南省济源市济水街道庙街村济渎路",
            "accessibility": "主轴线为平路并设坡道；部分殿宇门槛较高。",
        },
        "en": {
            "name": "Jidu Temple",
            "summary": "A temple to the Ji River god founded in 582; a key national heritage site.",
            "description": "Jidu Temple honoured the Ji, one of the four great rivers of ancient China. Its halls span the "
            "Song to the Qing dynasties; the rear palace is among the oldest timber buildings in Henan.",
            "address": "Jidu Road, Miaojie Village, Jishui Sub-district, Jiyuan, Henan",
            "accessibility": "The main axis is level with ramps; some halls have high thresholds.",
        },
    },
    {
        "code": "yugong-village",
        "lat": 35.1210,
        "lng": 112.2830,
        "daily_capacity": 8000,
        "instant_capacity": 2500,
        "adult_fen": 0,
        "hours": _SITE_HOURS,
        "tags": ["culture", "village", "education"],
        "zh_CN": {
            "name": "愚公村",
            "summary": "愚公移山故事的传说地，愚公移山精神展览馆所在。",
            "description": "愚公村位于王屋山下，建有愚公移山精神展览馆，讲述“愚公移山”寓言与当地人修路治山的故事。",
            "address": "河南省济源市王屋镇愚公村",
            "accessibility": "展览馆设无障碍通道和电梯。",
        },
        "en": {
            "name": "Yugong Village",
            "summary": "Where the fable of the Foolish Old Man who moved the mountains is set.",
            "description": "At the foot of Wangwu Mountain, the village's exhibition hall tells the fable of Yugong and "
            "the real story of villagers cutting roads through the hills.",
            "address": "Yugong Village, Wangwu Town, Jiyuan, Henan",
            "accessibility": "The exhibition hall has step-free access and a lift.",
        },
    },
    {
        "code": "xiaogoubei",
        "lat": 35.2330,
        "lng": 112.0970,
        "daily_capacity": 8000,
        "instant_capacity": 3000,
        "adult_fen": 6000,
        "hours": _MOUNTAIN_HOURS,
        "tags": ["4A", "geology", "valley", "mythology"],
        "zh_CN": {
            "name": "小沟背",
            "summary": "女娲补天传说地，王屋山—黛眉山世界地质公园的一部分。",
            "description": "小沟背位于济源最西端的邵原镇，峡谷中可见远古地层与彩色砾石，相传为女娲炼石补天之处。",
            "address": "河南省济源市邵原镇小沟背风景区",
            "accessibility": "峡谷步道崎岖，不适合轮椅。",
        },
        "en": {
            "name": "Xiaogoubei",
            "summary": "Where Nüwa is said to have mended the sky; part of the Wangwushan–Daimeishan UNESCO Geopark.",
            "description": "In Shaoyuan Town at Jiyuan's western edge, the canyon shows ancient strata and coloured "
            "pebbles, the legendary stones Nüwa melted to repair the sky.",
            "address": "Xiaogoubei Scenic Area, Shaoyuan Town, Jiyuan, Henan",
            "accessibility": "Rough canyon trail, not suitable for wheelchairs.",
        },
    },
    {
        "code": "fengxian-temple",
        "lat": 35.0940,
        "lng": 112.5860,
        "daily_capacity": 3000,
        "instant_capacity": 600,
        "adult_fen": 0,
        "hours": _SITE_HOURS,
        "tags": ["temple", "heritage", "architecture", "taoism"],
        "zh_CN": {
            "name": "奉仙观",
            "summary": "城区内的道教古观，三清殿为金代木构建筑。",
            "description": "奉仙观始建于唐代，现存三清大殿为金大定年间所建，是研究宋金木构建筑的珍贵实例，"
            "为全国重点文物保护单位。",
            "address": "河南省济源市沁园街道奉仙观",
            "accessibility": "入口有坡道；殿内空间较窄。",
        },
        "en": {
            "name": "Fengxian Taoist Temple",
            "summary": "A Taoist temple in town whose Sanqing Hall is a Jin-dynasty timber building.",
            "description": "Founded in the Tang, the temple's surviving Sanqing Hall dates from the Jin dynasty (12th "
            "century), a rare example of its period and a key national heritage site.",
            "address": "Fengxian Temple, Qinyuan Sub-district, Jiyuan, Henan",
            "accessibility": "Ramp at the entrance; the hall interior is narrow.",
        },
    },
    {
        "code": "zhi-ancient-city",
        "lat": 35.0500,
        "lng": 112.6020,
        "daily_capacity": 3000,
        "instant_capacity": 1000,
        "adult_fen": 0,
        "hours": _SITE_HOURS,
        "tags": ["heritage", "archaeology", "ruins"],
        "zh_CN": {
            "name": "轵国故城",
            "summary": "战国时期轵邑城址，现存夯土城墙遗迹。",
            "description": "轵国故城遗址位于济源市轵城镇，为战国至汉代的城址，残存夯土城墙，是研究古代城市的重要遗存。",
            "address": "河南省济源市轵城镇",
            "accessibility": "遗址区为土路，雨后泥泞。",
        },
        "en": {
            "name": "Ancient City of Zhi",
            "summary": "Ruins of the Warring States city of Zhi, with rammed-earth walls.",
            "description": "In Zhicheng Town, the remains of a city inhabited from the Warring States to the Han, with "
            "stretches of rammed-earth wall.",
            "address": "Zhicheng Town, Jiyuan, Henan",
            "accessibility": "Unpaved paths across the site; muddy after rain.",
        },
    },
    {
        "code": "yangtai-palace",
        "lat": 35.1440,
        "lng": 112.2720,
        "daily_capacity": 4000,
        "instant_capacity": 800,
        "adult_fen": 0,
        "hours": _SITE_HOURS,
        "tags": ["temple", "taoism", "heritage"],
        "zh_CN": {
            "name": "阳台宫",
            "summary": "王屋山下的唐代道观，司马承祯修道处。",
            "description": "阳台宫始建于唐开元年间，为道士司马承祯奉敕所建，现存大罗三境殿与玉皇阁为明代建筑。",
            "address": "河南省济源市王屋镇王屋山下",
            "accessibility": "前院平坦，玉皇阁需登楼梯。",
        },
        "en": {
            "name": "Yangtai Palace",
            "summary": "A Tang-dynasty Taoist temple at the foot of Wangwu Mountain.",
            "description": "Founded in the Kaiyuan era for the Taoist master Sima Chengzhen; its Daluo Sanjing Hall and "
            "Jade Emperor Pavilion are Ming buildings.",
            "address": "Foot of Wangwu Mountain, Wangwu Town, Jiyuan, Henan",
            "accessibility": "Level front courtyard; stairs to the Jade Emperor Pavilion.",
        },
    },
]


async def seed_demo(ctx: SeedContext) -> int:
    """Upsert the demo scenic areas (by code), index them for search and set up their timed entry."""
    written = 0
    for order, data in enumerate(AREAS):
        ctx.progress(f"tourism: {data['code']}")
        texts = {
            locale: {k: v for k, v in data[locale].items() if v}
            for locale in ("zh_CN", "en")
            if locale in data
        }
        area, _ = await service.upsert_scenic_area(
            code=data["code"],
            texts=texts,
            lat=data["lat"],
            lng=data["lng"],
            opening_hours=data["hours"],
            ticket_types=_tickets(data["adult_fen"]),
            tags=data["tags"],
            photos=[_PHOTO.format(code=data["code"], n=n) for n in (1, 2)],
            daily_capacity=data["daily_capacity"],
            instant_capacity=data["instant_capacity"],
            sort_order=order,
            demo=True,
        )
        written += 1
        written += await entry.set_up(area=area)
    return written
