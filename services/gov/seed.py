"""Demo data: Jiyuan's departments, 40 common service items (zh_CN + en), and two service halls.

Items follow the real 济源 service guide in substance (names, materials, time limits, fees); the
hall address is approximate and every row is labelled demo. Idempotent: upserts by code.
"""

from __future__ import annotations

from typing import Any

from services.common.seeding import SeedContext
from services.gov import catalogue
from services.gov.enums import ItemCategory as C
from services.gov.enums import ItemTheme as T
from services.gov.enums import MaterialTrust as M
from services.gov.models import Department, Hall, HallWindow, ServiceItem, ServiceItemText
from services.search import service as search

__all__ = ["DEPARTMENTS", "HALLS", "ITEMS", "MATERIALS", "item_pinyin", "seed_demo"]

# code -> (中文, English)
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "gongan": ("济源市公安局", "Jiyuan Public Security Bureau"),
    "renshe": ("济源市人力资源和社会保障局", "Jiyuan Human Resources and Social Security Bureau"),
    "yibao": ("济源市医疗保障局", "Jiyuan Healthcare Security Administration"),
    "gjj": ("济源市住房公积金管理中心", "Jiyuan Housing Provident Fund Management Centre"),
    "ziranziyuan": (
        "济源市自然资源和规划局（不动产登记中心）",
        "Jiyuan Natural Resources and Planning Bureau (Real Estate Registration Centre)",
    ),
    "shichang": ("济源市市场监督管理局", "Jiyuan Market Supervision Administration"),
    "minzheng": ("济源市民政局", "Jiyuan Civil Affairs Bureau"),
    "weijian": ("济源市卫生健康委员会", "Jiyuan Health Commission"),
    "canlian": ("济源市残疾人联合会", "Jiyuan Disabled Persons' Federation"),
    "shuiwu": ("国家税务总局济源市税务局", "Jiyuan Taxation Bureau (STA)"),
    "kejing": ("克井镇人民政府", "Kejing Town Government"),
}

# code -> (中文, English)
MATERIALS: dict[str, tuple[str, str]] = {
    "id_card": ("居民身份证", "Resident ID card"),
    "hukou_book": ("居民户口簿", "Household register (hukou booklet)"),
    "birth_cert": ("出生医学证明", "Medical birth certificate"),
    "marriage_cert": ("结婚证", "Marriage certificate"),
    "parents_id": ("父母双方居民身份证", "Both parents' ID cards"),
    "death_cert": ("居民死亡医学证明（推断）书", "Medical certificate of death"),
    "photo": ("近期免冠证件照片", "Recent passport-style photo"),
    "joint_photo": ("双方近期半身免冠合影照片", "Recent joint photo of both parties"),
    "application_form": ("申请表", "Application form"),
    "proof_document": ("相关证明材料", "Supporting documents"),
    "property_cert": ("不动产权证书", "Real estate title certificate"),
    "sale_contract": ("房屋买卖合同", "Property sale contract"),
    "mortgage_contract": ("抵押合同及主债权合同", "Mortgage and loan contracts"),
    "tax_receipt": ("完税凭证", "Tax payment certificate"),
    "business_license": ("营业执照", "Business licence"),
    "premises_proof": ("经营场所使用证明", "Proof of use of the business premises"),
    "articles": ("公司章程", "Articles of association"),
    "housing_proof": ("居住证明（租赁合同或房产证明）", "Proof of residence (lease or title)"),
    "labor_contract": ("劳动合同", "Employment contract"),
    "termination_proof": ("解除或终止劳动关系证明", "Proof of termination of employment"),
    "medical_records": ("病历、诊断证明及费用票据", "Medical records, diagnosis and invoices"),
    "disability_assessment": ("残疾评定表", "Disability assessment form"),
    "disability_card": ("残疾人证", "Disability certificate"),
    "bank_card": ("本人银行卡", "Applicant's bank card"),
    "food_safety_rules": ("食品安全管理制度", "Food safety management rules"),
    "floor_plan": ("经营场所平面布局图", "Floor plan of the premises"),
    "health_certs": ("从业人员健康证明", "Staff health certificates"),
    "personnel_file": ("本人人事档案", "Personnel file"),
    "insurance_record": ("参保缴费凭证", "Social insurance contribution record"),
    "transfer_permit": ("准予迁入证明", "Permit to move the household registration in"),
    "divorce_agreement": ("离婚协议书", "Divorce agreement"),
    "service_contract": ("合同或协议", "Contract or agreement"),
    "delivery_record": ("分娩记录", "Hospital delivery record"),
    "referral_form": ("异地就医备案表", "Registration form for treatment elsewhere"),
}


def _m(code: str, trust: M, *, required: bool = True, copies: int = 1) -> dict[str, Any]:
    return {"code": code, "trust": trust.value, "required": required, "copies": copies}


# fmt: off
# code, department, category, theme, 中文名, English name, materials, legal days, promised days,
# fee (cents), online, max visits, 中文简介, English summary
ITEMS: list[tuple[str, str, C, T, str, str, list[dict[str, Any]], int, int, int, bool, int, str, str]] = [
    ("hukou-newborn", "gongan", C.HOUSEHOLD, T.BIRTH, "新生儿出生登记", "Household registration of a newborn",
     [_m("birth_cert", M.E_LICENSE), _m("parents_id", M.E_LICENSE), _m("hukou_book", M.E_LICENSE),
      _m("marriage_cert", M.E_LICENSE, required=False)], 10, 0, 0, True, 0,
     "为新生儿办理出生户口登记，可通过“出生一件事”联办。", "Register a newborn's household registration; part of the 'birth' one-stop service."),
    ("hukou-move-in", "gongan", C.HOUSEHOLD, T.MOVING, "户口迁入（购房、投靠落户）", "Moving household registration into Jiyuan",
     [_m("id_card", M.E_LICENSE), _m("hukou_book", M.E_LICENSE), _m("property_cert", M.E_LICENSE, required=False),
      _m("proof_document", M.COPY, required=False)], 20, 5, 0, True, 1,
     "符合落户条件的人员申请将户口迁入济源。", "Move your household registration to Jiyuan when you meet the settlement conditions."),
    ("hukou-move-out", "gongan", C.HOUSEHOLD, T.MOVING, "户口迁出", "Moving household registration out of Jiyuan",
     [_m("id_card", M.E_LICENSE), _m("hukou_book", M.E_LICENSE), _m("transfer_permit", M.E_LICENSE)], 20, 1, 0, True, 0,
     "持迁入地准迁证明办理户口迁出，省内可“跨省通办”。", "Move your registration out with the destination's permit; available across provinces."),
    ("hukou-death-cancel", "gongan", C.HOUSEHOLD, T.MOVING, "死亡人员户口注销", "Cancelling the registration of a deceased person",
     [_m("death_cert", M.E_LICENSE), _m("hukou_book", M.E_LICENSE), _m("id_card", M.ORIGINAL)], 20, 0, 0, True, 0,
     "家属为死亡人员办理户口注销并交回身份证。", "Relatives cancel the registration of a deceased person and return the ID card."),
    ("hukou-correction", "gongan", C.HOUSEHOLD, T.IDENTITY, "户籍信息变更更正", "Changing or correcting household registration details",
     [_m("id_card", M.E_LICENSE), _m("hukou_book", M.E_LICENSE), _m("proof_document", M.ORIGINAL)], 20, 10, 0, True, 1,
     "姓名、出生日期、民族等户籍项目的变更或更正。", "Change or correct registered details such as name, date of birth or ethnicity."),
    ("hukou-certificate", "gongan", C.HOUSEHOLD, T.IDENTITY, "户籍证明开具", "Certificate of household registration",
     [_m("id_card", M.E_LICENSE)], 1, 0, 0, True, 0,
     "开具户籍证明，可在线申请并获取电子证明。", "Get a certificate of your registration online as an electronic document."),
    ("idcard-first", "gongan", C.IDENTITY, T.IDENTITY, "居民身份证首次申领", "First application for a resident ID card",
     [_m("hukou_book", M.E_LICENSE), _m("photo", M.ORIGINAL)], 60, 20, 2000, False, 1,
     "年满十六周岁或自愿申领的未成年人首次申领身份证，需现场采集指纹。", "First ID card from age 16 (or younger on request); fingerprints are taken at the window."),
    ("idcard-renewal", "gongan", C.IDENTITY, T.IDENTITY, "居民身份证换领", "Renewing a resident ID card",
     [_m("id_card", M.ORIGINAL), _m("photo", M.ORIGINAL)], 60, 20, 2000, False, 1,
     "身份证有效期满或证件损坏时换领。", "Renew an ID card that has expired or is damaged."),
    ("idcard-replacement", "gongan", C.IDENTITY, T.IDENTITY, "居民身份证补领", "Replacing a lost ID card",
     [_m("hukou_book", M.E_LICENSE), _m("photo", M.ORIGINAL)], 60, 20, 4000, False, 1,
     "身份证丢失后补领，工本费40元。", "Replace a lost ID card; the fee is CNY 40."),
    ("residence-permit", "gongan", C.IDENTITY, T.MOVING, "居住证申领", "Applying for a residence permit",
     [_m("id_card", M.E_LICENSE), _m("housing_proof", M.COPY), _m("labor_contract", M.COPY, required=False),
      _m("photo", M.ORIGINAL)], 15, 10, 0, True, 1,
     "在济源居住半年以上、有合法稳定就业或住所的人员申领居住证。", "For people living in Jiyuan for six months with a stable job or home."),
    ("si-contribution-certificate", "renshe", C.SOCIAL_SECURITY, T.EMPLOYMENT, "社会保险参保缴费证明打印", "Certificate of social insurance contributions",
     [_m("id_card", M.E_LICENSE)], 1, 0, 0, True, 0,
     "打印个人社保参保缴费证明，用于购房、落户、入学等。", "Print your contribution record, e.g. for buying a home, settling or school enrolment."),
    ("si-resident-pension-enrol", "renshe", C.SOCIAL_SECURITY, T.RETIREMENT, "城乡居民基本养老保险参保登记", "Enrolling in basic pension insurance for urban and rural residents",
     [_m("id_card", M.E_LICENSE), _m("hukou_book", M.E_LICENSE)], 5, 1, 0, True, 0,
     "年满16周岁、未参加职工养老保险的城乡居民参保登记。", "Residents aged 16+ without employee pension insurance can enrol."),
    ("si-card", "renshe", C.SOCIAL_SECURITY, T.EMPLOYMENT, "社会保障卡申领", "Applying for a social security card",
     [_m("id_card", M.E_LICENSE), _m("photo", M.ORIGINAL)], 20, 10, 0, True, 1,
     "申领第三代社会保障卡，可同时开通电子社保卡。", "Apply for the third-generation card and activate the electronic card."),
    ("si-pension-transfer", "renshe", C.SOCIAL_SECURITY, T.EMPLOYMENT, "养老保险关系转移接续", "Transferring pension insurance between places",
     [_m("id_card", M.E_LICENSE), _m("insurance_record", M.E_LICENSE)], 45, 15, 0, True, 0,
     "跨省、跨统筹区流动就业人员转移养老保险关系。", "Move your pension insurance record when you change work place across regions."),
    ("retirement-approval", "renshe", C.SOCIAL_SECURITY, T.RETIREMENT, "职工正常退休申请", "Retirement application for employees",
     [_m("id_card", M.E_LICENSE), _m("personnel_file", M.ORIGINAL), _m("application_form", M.FORM)], 30, 15, 0, True, 1,
     "达到法定退休年龄的参保职工申请退休并核定养老金。", "Employees at statutory retirement age apply to retire and have their pension assessed."),
    ("unemployment-benefit", "renshe", C.SOCIAL_SECURITY, T.EMPLOYMENT, "失业保险金申领", "Claiming unemployment benefit",
     [_m("id_card", M.E_LICENSE), _m("termination_proof", M.COPY), _m("bank_card", M.COPY)], 10, 5, 0, True, 0,
     "非因本人意愿中断就业且缴费满一年的人员申领失业保险金。", "For insured people who lost their job involuntarily after a year of contributions."),
    ("mi-resident-enrol", "yibao", C.MEDICAL_INSURANCE, T.MEDICAL, "城乡居民基本医疗保险参保登记", "Enrolling in residents' basic medical insurance",
     [_m("id_card", M.E_LICENSE), _m("hukou_book", M.E_LICENSE)], 5, 0, 0, True, 0,
     "城乡居民（含新生儿、学生）参加基本医疗保险。", "Residents, newborns and students join basic medical insurance."),
    ("mi-out-of-town", "yibao", C.MEDICAL_INSURANCE, T.MEDICAL, "异地就医备案", "Registering for medical treatment outside Jiyuan",
     [_m("id_card", M.E_LICENSE), _m("referral_form", M.FORM)], 1, 0, 0, True, 0,
     "异地长期居住或转诊就医人员办理备案后可直接结算。", "Register before treatment elsewhere so bills are settled directly."),
    ("mi-reimbursement", "yibao", C.MEDICAL_INSURANCE, T.MEDICAL, "医疗费用手工（零星）报销", "Manual reimbursement of medical expenses",
     [_m("id_card", M.E_LICENSE), _m("medical_records", M.ORIGINAL), _m("bank_card", M.COPY)], 30, 20, 0, True, 1,
     "未能直接结算的医疗费用申请手工报销。", "Claim medical costs that could not be settled directly."),
    ("mi-chronic-disease", "yibao", C.MEDICAL_INSURANCE, T.MEDICAL, "门诊慢特病待遇认定", "Recognition of outpatient chronic and special disease benefits",
     [_m("id_card", M.E_LICENSE), _m("medical_records", M.ORIGINAL)], 30, 15, 0, True, 0,
     "患有高血压、糖尿病等慢特病的参保人申请门诊待遇认定。", "Insured people with e.g. hypertension or diabetes apply for outpatient benefits."),
    ("hf-withdraw-rent", "gjj", C.HOUSING_FUND, T.HOUSING, "住房公积金提取（租房）", "Housing fund withdrawal for rent",
     [_m("id_card", M.E_LICENSE), _m("bank_card", M.COPY)], 3, 1, 0, True, 0,
     "无自有住房租房居住的职工按月或按年提取公积金。", "Employees renting without owning a home withdraw monthly or yearly."),
    ("hf-withdraw-purchase", "gjj", C.HOUSING_FUND, T.HOUSING, "住房公积金提取（购房）", "Housing fund withdrawal for buying a home",
     [_m("id_card", M.E_LICENSE), _m("sale_contract", M.ORIGINAL), _m("bank_card", M.COPY)], 3, 1, 0, True, 0,
     "购买自住住房的职工提取住房公积金。", "Employees buying a home to live in withdraw their fund."),
    ("hf-loan", "gjj", C.HOUSING_FUND, T.HOUSING, "住房公积金个人住房贷款", "Housing fund home loan",
     [_m("id_card", M.E_LICENSE), _m("marriage_cert", M.E_LICENSE, required=False), _m("sale_contract", M.ORIGINAL)],
     15, 10, 0, False, 1,
     "缴存职工购买自住住房申请公积金贷款。", "Contributors apply for a provident-fund loan to buy a home."),
    ("hf-account-open", "gjj", C.HOUSING_FUND, T.EMPLOYMENT, "住房公积金个人账户设立", "Opening a personal housing fund account",
     [_m("id_card", M.E_LICENSE), _m("labor_contract", M.COPY)], 3, 0, 0, True, 0,
     "新入职职工设立住房公积金个人账户。", "Open an account when you start a new job."),
    ("re-transfer", "ziranziyuan", C.REAL_ESTATE, T.HOUSING, "不动产转移登记（二手房买卖）", "Transfer registration for a second-hand home",
     [_m("id_card", M.E_LICENSE), _m("property_cert", M.E_LICENSE), _m("sale_contract", M.ORIGINAL),
      _m("tax_receipt", M.E_LICENSE)], 30, 5, 8000, True, 1,
     "二手房买卖“带押过户”、税费同缴，一窗受理。", "Sale and transfer with tax paid at one window; transfers with an existing mortgage allowed."),
    ("re-new-home", "ziranziyuan", C.REAL_ESTATE, T.HOUSING, "新建商品房转移登记", "Registration of a newly built home",
     [_m("id_card", M.E_LICENSE), _m("sale_contract", M.ORIGINAL), _m("tax_receipt", M.E_LICENSE)], 30, 5, 8000, True, 1,
     "购买新建商品房办理不动产权证书，推行“交房即交证”。", "Get the title of a new home; titles are handed over with the keys."),
    ("re-mortgage", "ziranziyuan", C.REAL_ESTATE, T.HOUSING, "不动产抵押登记", "Mortgage registration",
     [_m("id_card", M.E_LICENSE), _m("property_cert", M.E_LICENSE), _m("mortgage_contract", M.ORIGINAL)], 30, 3, 8000, True, 0,
     "以不动产设立抵押权的登记，可由银行代办。", "Register a mortgage on real estate; banks may file on your behalf."),
    ("re-records-search", "ziranziyuan", C.REAL_ESTATE, T.HOUSING, "不动产登记资料查询", "Searching the real estate register",
     [_m("id_card", M.E_LICENSE)], 1, 0, 0, True, 0,
     "权利人查询本人名下不动产登记信息。", "Owners search what is registered in their name."),
    ("biz-company-setup", "shichang", C.BUSINESS, T.BUSINESS, "企业设立登记（营业执照）", "Company registration (business licence)",
     [_m("id_card", M.E_LICENSE), _m("articles", M.ORIGINAL), _m("premises_proof", M.COPY),
      _m("application_form", M.FORM)], 15, 1, 0, True, 0,
     "企业开办“一网通办”，营业执照、公章、税务一日办结。", "Open a company online: licence, seal and tax registration in one day."),
    ("biz-individual", "shichang", C.BUSINESS, T.BUSINESS, "个体工商户设立登记", "Registering an individual business",
     [_m("id_card", M.E_LICENSE), _m("premises_proof", M.COPY), _m("application_form", M.FORM)], 15, 0, 0, True, 0,
     "个体工商户登记即来即办，可领取电子营业执照。", "Registered on the spot, with an electronic business licence."),
    ("biz-food-license", "shichang", C.BUSINESS, T.BUSINESS, "食品经营许可", "Food business licence",
     [_m("business_license", M.E_LICENSE), _m("food_safety_rules", M.COPY), _m("floor_plan", M.COPY),
      _m("health_certs", M.E_LICENSE)], 20, 10, 0, True, 1,
     "从事食品销售和餐饮服务的经营者申请食品经营许可证。", "Shops and restaurants selling food apply for the licence."),
    ("biz-change", "shichang", C.BUSINESS, T.BUSINESS, "营业执照变更登记", "Changing business registration details",
     [_m("business_license", M.E_LICENSE), _m("application_form", M.FORM), _m("proof_document", M.COPY, required=False)],
     15, 1, 0, True, 0,
     "名称、住所、经营范围、法定代表人等事项变更。", "Change name, address, business scope or legal representative."),
    ("marriage-registration", "minzheng", C.CIVIL_AFFAIRS, T.MARRIAGE, "内地居民结婚登记", "Marriage registration",
     [_m("id_card", M.ORIGINAL), _m("hukou_book", M.E_LICENSE), _m("joint_photo", M.ORIGINAL, copies=3)], 0, 0, 0, False, 1,
     "双方亲自到场办理，可在线预约，全国通办。", "Both parties appear in person; book online, available nationwide."),
    ("divorce-registration", "minzheng", C.CIVIL_AFFAIRS, T.MARRIAGE, "内地居民离婚登记", "Divorce registration",
     [_m("id_card", M.ORIGINAL), _m("marriage_cert", M.ORIGINAL), _m("divorce_agreement", M.ORIGINAL)], 30, 30, 0, False, 2,
     "协议离婚需经30日冷静期，双方亲自到场两次。", "Divorce by agreement with a 30-day cooling-off period; both appear twice."),
    ("elderly-allowance", "minzheng", C.CIVIL_AFFAIRS, T.RETIREMENT, "高龄津贴申领", "Old-age allowance for people aged 80 and over",
     [_m("id_card", M.E_LICENSE), _m("hukou_book", M.E_LICENSE), _m("bank_card", M.COPY)], 20, 15, 0, True, 0,
     "年满80周岁的济源户籍老人申领高龄津贴。", "Residents registered in Jiyuan aged 80+ receive a monthly allowance."),
    ("birth-medical-certificate", "weijian", C.HEALTH, T.BIRTH, "出生医学证明首次签发", "First issue of the medical birth certificate",
     [_m("parents_id", M.E_LICENSE), _m("delivery_record", M.ORIGINAL)], 5, 1, 0, False, 1,
     "在助产机构出生的新生儿首次签发出生医学证明。", "Issued for babies born in a maternity facility."),
    ("birth-service-registration", "weijian", C.HEALTH, T.BIRTH, "生育登记", "Birth registration for family services",
     [_m("id_card", M.E_LICENSE), _m("marriage_cert", M.E_LICENSE, required=False)], 1, 0, 0, True, 0,
     "夫妻生育子女实行生育登记服务，网上即办。", "Couples register a birth online and it is done at once."),
    ("disability-card", "canlian", C.DISABILITY, T.DISABILITY, "残疾人证申领", "Applying for a disability certificate",
     [_m("id_card", M.E_LICENSE), _m("hukou_book", M.E_LICENSE), _m("photo", M.ORIGINAL),
      _m("disability_assessment", M.ORIGINAL)], 30, 15, 0, True, 1,
     "经指定医院评定后申领第三代智能化残疾人证。", "After an assessment at a designated hospital, apply for the smart card."),
    ("disability-subsidy", "canlian", C.DISABILITY, T.DISABILITY, "困难残疾人生活补贴和重度残疾人护理补贴", "Living and care subsidies for disabled people",
     [_m("disability_card", M.E_LICENSE), _m("id_card", M.E_LICENSE), _m("bank_card", M.COPY)], 30, 20, 0, True, 0,
     "符合条件的困难残疾人、重度残疾人申请“两项补贴”。", "Eligible low-income and severely disabled people apply for the two subsidies."),
    ("tax-individual-invoice", "shuiwu", C.TAX, T.BUSINESS, "个人代开增值税发票", "VAT invoices issued for individuals",
     [_m("id_card", M.E_LICENSE), _m("service_contract", M.COPY)], 1, 0, 0, True, 0,
     "自然人出租房屋、提供劳务等代开增值税发票。", "Individuals renting out property or providing services get invoices issued."),
]
# fmt: on

# Hall code -> (中文名, English, 地址, address, phone, lat, lng, windows)
# window: (code, number, 中文名, English, department, [item codes], capacity per 30 minutes)
HALLS: list[
    tuple[str, str, str, str, str, str, float, float, list[tuple[str, str, str, str, str, list[str], int]]]
] = [
    (
        "jy-citizen-centre",
        "济源市民之家（济源市行政服务中心）",
        "Jiyuan Citizen Centre (Administrative Service Centre)",
        "河南省济源市沁园路与济源大道交叉口（演示地址）",
        "Qinyuan Road at Jiyuan Avenue, Jiyuan, Henan (demo address)",
        "0391-12345",
        35.0905,
        112.6010,
        [
            (
                "jy-a01",
                "A01",
                "户籍业务窗口",
                "Household registration",
                "gongan",
                [
                    "hukou-newborn",
                    "hukou-move-in",
                    "hukou-move-out",
                    "hukou-death-cancel",
                    "hukou-correction",
                    "hukou-certificate",
                    "residence-permit",
                ],
                3,
            ),
            (
                "jy-a02",
                "A02",
                "身份证办理窗口",
                "ID cards",
                "gongan",
                ["idcard-first", "idcard-renewal", "idcard-replacement"],
                3,
            ),
            (
                "jy-b01",
                "B01",
                "社会保险窗口",
                "Social insurance",
                "renshe",
                [
                    "si-contribution-certificate",
                    "si-resident-pension-enrol",
                    "si-card",
                    "si-pension-transfer",
                    "retirement-approval",
                    "unemployment-benefit",
                ],
                3,
            ),
            (
                "jy-b02",
                "B02",
                "医疗保障窗口",
                "Medical insurance",
                "yibao",
                ["mi-resident-enrol", "mi-out-of-town", "mi-reimbursement", "mi-chronic-disease"],
                3,
            ),
            (
                "jy-b03",
                "B03",
                "住房公积金窗口",
                "Housing provident fund",
                "gjj",
                ["hf-withdraw-rent", "hf-withdraw-purchase", "hf-loan", "hf-account-open"],
                2,
            ),
            (
                "jy-c01",
                "C01",
                "不动产登记窗口",
                "Real estate registration",
                "ziranziyuan",
                ["re-transfer", "re-new-home", "re-mortgage", "re-records-search"],
                2,
            ),
            (
                "jy-c02",
                "C02",
                "税务综合窗口",
                "Taxation",
                "shuiwu",
                ["tax-individual-invoice", "re-transfer"],
                2,
            ),
            (
                "jy-d01",
                "D01",
                "企业开办窗口",
                "Starting a business",
                "shichang",
                ["biz-company-setup", "biz-individual", "biz-change"],
                2,
            ),
            (
                "jy-d02",
                "D02",
                "食品经营许可窗口",
                "Food business licences",
                "shichang",
                ["biz-food-license"],
                2,
            ),
            (
                "jy-e01",
                "E01",
                "民政服务窗口",
                "Civil affairs",
                "minzheng",
                ["marriage-registration", "divorce-registration", "elderly-allowance"],
                2,
            ),
            (
                "jy-e02",
                "E02",
                "卫生健康窗口",
                "Health",
                "weijian",
                ["birth-medical-certificate", "birth-service-registration"],
                2,
            ),
            (
                "jy-e03",
                "E03",
                "残联服务窗口",
                "Disabled persons' services",
                "canlian",
                ["disability-card", "disability-subsidy"],
                2,
            ),
        ],
    ),
    (
        "kejing-service-centre",
        "克井镇便民服务中心",
        "Kejing Town Service Centre",
        "河南省济源市克井镇（演示地址）",
        "Kejing Town, Jiyuan, Henan (demo address)",
        "0391-67890",
        35.1720,
        112.5580,
        [
            (
                "kj-01",
                "01",
                "综合受理窗口",
                "One-stop window",
                "kejing",
                [
                    "hukou-certificate",
                    "si-contribution-certificate",
                    "si-resident-pension-enrol",
                    "mi-resident-enrol",
                    "mi-out-of-town",
                    "elderly-allowance",
                    "disability-subsidy",
                ],
                2,
            ),
        ],
    ),
]


def item_pinyin(name_zh: str) -> str:
    """'户口迁入' -> 'hukouqianru hkqr': full pinyin and initials, for the guide's own search."""
    full, initials = search.pinyin_forms(name_zh)
    return f"{full} {initials}"[:255]


# Plain-language short summaries for elder mode (适老化) of the most-used items: plain words, at most
# 40 characters in Chinese. Items without one show their normal summary.
PLAIN_SUMMARIES: dict[str, tuple[str, str]] = {
    "idcard-renewal": ("身份证快到期了，来换一张新的。", "Your ID card is running out: get a new one."),
    "idcard-replacement": ("身份证丢了或坏了，来补一张。", "Lost or broken ID card: get a new one."),
    "hukou-certificate": (
        "开一张证明，说明你的户口在哪里。",
        "Get a paper that shows where you are registered.",
    ),
    "si-contribution-certificate": ("打印社保交费记录，办事时用。", "Print your pension payment record."),
    "si-card": ("办一张社保卡，看病、领钱都能用。", "Get a social security card for doctors and payments."),
    "retirement-approval": (
        "到了退休年龄，申请退休领养老金。",
        "Reached retirement age? Apply to get your pension.",
    ),
    "mi-out-of-town": (
        "去外地看病前先登记，看病能报销。",
        "Going to a doctor in another city? Register first.",
    ),
    "mi-reimbursement": (
        "自己先付了医药费，来这里报销。",
        "Paid a medical bill yourself? Get the money back.",
    ),
    "mi-chronic-disease": ("有慢性病的，申请门诊多报销。", "Have a long-term illness? Get more paid back."),
    "elderly-allowance": ("满80岁的老人，每月可领补贴。", "Aged 80 or over? Get a monthly allowance."),
}


async def _index(code: str, zh: str, en: str, sum_zh: str, sum_en: str, keywords: list[str]) -> None:
    await search.index_document(
        kind="service_item",
        ref=code,
        title={"zh_CN": zh, "en": en},
        summary={"zh_CN": sum_zh, "en": sum_en},
        keywords=keywords,
        url=f"/api/v1/gov/items/{code}",
    )


def _fee_note(fee_cents: int, locale: str) -> str:
    if not fee_cents:
        return "不收费" if locale == "zh_CN" else "Free of charge"
    amount = f"{fee_cents / 100:g}"
    return f"收费 {amount} 元" if locale == "zh_CN" else f"Fee: CNY {amount}"


async def seed_demo(ctx: SeedContext) -> int:
    """Upsert departments, items with both languages, halls and windows; returns rows written."""
    written = 0
    departments: dict[str, Department] = {}
    for code, (zh, en) in DEPARTMENTS.items():
        departments[code], _ = await Department.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en}
        )
        written += 1
    ctx.progress("gov: items")
    for (
        code,
        dept,
        category,
        theme,
        zh,
        en,
        materials,
        legal,
        promised,
        fee,
        online,
        visits,
        sum_zh,
        sum_en,
    ) in ITEMS:
        item, _ = await ServiceItem.update_or_create(
            code=code,
            defaults={
                "department": departments[dept],
                "category": category,
                "theme": theme,
                "materials": materials,
                "legal_limit_days": legal,
                "promised_limit_days": promised,
                "fee_cents": fee,
                "online": online,
                "max_visits": visits,
                "pinyin": item_pinyin(zh),
                "demo": True,
            },
        )
        for locale, name, summary in (("zh_CN", zh, sum_zh), ("en", en, sum_en)):
            index = 0 if locale == "zh_CN" else 1
            await ServiceItemText.update_or_create(
                item=item,
                locale=locale,
                defaults={
                    "name": name,
                    "summary": summary,
                    "summary_plain": PLAIN_SUMMARIES.get(code, ("", ""))[index],
                    "fee_note": _fee_note(fee, locale),
                    "material_names": {m["code"]: MATERIALS[m["code"]][index] for m in materials},
                },
            )
        await _index(code, zh, en, sum_zh, sum_en, [DEPARTMENTS[dept][0], DEPARTMENTS[dept][1], code])
        written += 4
    ctx.progress("gov: halls")
    for code, zh, en, addr_zh, addr_en, phone, lat, lng, windows in HALLS:
        hall, _ = await Hall.update_or_create(
            code=code,
            defaults={
                "name_zh": zh,
                "name_en": en,
                "address_zh": addr_zh,
                "address_en": addr_en,
                "phone": phone,
                "lat": lat,
                "lng": lng,
                "demo": True,
            },
        )
        await search.index_document(
            kind="hall",
            ref=code,
            title={"zh_CN": zh, "en": en},
            summary={"zh_CN": addr_zh, "en": addr_en},
            keywords=["政务服务大厅", "行政服务中心", "办事大厅"],
            url=f"/api/v1/gov/halls/{hall.id}",
        )
        written += 2
        for w_code, number, w_zh, w_en, dept, items, capacity in windows:
            await HallWindow.update_or_create(
                code=w_code,
                defaults={
                    "hall": hall,
                    "number": number,
                    "name_zh": w_zh,
                    "name_en": w_en,
                    "department_code": dept,
                    "item_codes": items,
                    "capacity": capacity,
                },
            )
            written += 1
    ctx.progress("gov: window booking resources")
    # A week of slots now, so the demo can book at once; the engine's roll_slots job keeps it going.
    written += await catalogue.ensure_window_resources(generate_days=8)
    return written
