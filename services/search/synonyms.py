"""What residents type for what the city calls it: colloquial words, abbreviations and category words.

Each group is a set of words that mean the same thing to a resident looking for a service; a query
that contains one also matches documents that use another. The list is data, reviewed with the
service-hall staff; add to it rather than to code.
"""

from __future__ import annotations

__all__ = ["SYNONYM_GROUPS"]

SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("医保", "医疗保险", "医疗保障", "基本医疗"),
    ("社保", "社会保险", "社会保障", "养老保险", "参保"),
    ("公积金", "住房公积金"),
    ("户口", "户籍", "落户", "迁户"),
    ("身份证", "居民身份证"),
    ("营业执照", "工商登记", "市场主体登记", "个体工商户"),
    ("房产证", "不动产", "不动产登记", "房屋产权"),
    ("结婚", "婚姻登记", "结婚登记"),
    ("生孩子", "生育", "出生", "新生儿"),
    ("看病", "就医", "挂号", "门诊", "医院"),
    ("养老", "老年", "高龄", "居家养老", "助老"),
    ("上学", "入学", "招生", "学校", "报名"),
    ("小区", "社区", "居委会", "村"),
    ("景点", "景区", "旅游", "门票"),
    ("残疾", "残疾人", "失能"),
    ("低保", "最低生活保障", "社会救助"),
    ("驾照", "驾驶证", "机动车驾驶证"),
    ("护照", "出入境", "港澳通行证"),
)
