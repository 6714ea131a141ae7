"""Names in care's notifications, in every language we have them (rendered in the reader's language).

The HIS gives clinic and doctor names in Chinese; English readers get the clinic's usual English name
and the doctor as "Dr <pinyin> (<title>)". Values are services.common.i18n.localized() parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.common.i18n import localized

__all__ = [
    "department_name",
    "doctor_name",
    "doctor_names",
    "hospital_name",
    "provider_name",
    "title_names",
    "unit_names",
]

_DEPARTMENTS_EN = {
    "内科": "Internal Medicine",
    "外科": "Surgery",
    "儿科": "Paediatrics",
    "妇产科": "Obstetrics and Gynaecology",
    "骨科": "Orthopaedics",
    "眼科": "Ophthalmology",
    "口腔科": "Dentistry",
    "皮肤科": "Dermatology",
    "中医科": "Traditional Chinese Medicine",
    "针灸推拿科": "Acupuncture and Tuina",
    "骨伤科": "TCM Orthopaedics and Traumatology",
    "全科": "General Practice",
}
_TITLES_EN = {
    "chief": "Chief Physician",
    "associate_chief": "Associate Chief Physician",
    "attending": "Attending Physician",
    "resident": "Resident Physician",
}


_UNITS_EN = {"次": "visit", "餐": "meal", "2小时": "2 hours", "小时": "hour", "天": "day", "月": "month"}


def _pinyin(name: str) -> str:
    """A Chinese name in capitalised pinyin: 王建国 -> Wang Jianguo."""
    # Imported on first use: pypinyin's phrase dictionary costs a worker ~55 MB (issue 12).
    from pypinyin import lazy_pinyin

    return " ".join(part.capitalize() for part in lazy_pinyin(name))


def unit_names(unit: str) -> dict[str, str]:
    """A price unit of an eldercare service ("次" per visit) in zh_CN and en."""
    return localized({"zh_CN": unit, "en": _UNITS_EN.get(unit, unit)})


def doctor_names(name: str) -> dict[str, str]:
    """A doctor's name as written (zh_CN) and in pinyin (en): "王建国" / "Wang Jianguo"."""
    return localized({"zh_CN": name, "en": _pinyin(name)})


def title_names(title: str, title_code: str) -> dict[str, str]:
    """A doctor's professional title (主任医师 / Chief Physician)."""
    return localized({"zh_CN": title, "en": _TITLES_EN.get(title_code, title)})


def hospital_name(names: Mapping[str, str] | None, fallback: str) -> dict[str, str]:
    """A hospital's names as stored on CareHospital (zh_CN, en)."""
    return localized(dict(names or {})) or localized({"zh_CN": fallback})


def department_name(name: str) -> dict[str, str]:
    return localized({"zh_CN": name, "en": _DEPARTMENTS_EN.get(name, name)})


def doctor_name(name: str, title: str, title_code: str) -> dict[str, str]:
    english = _pinyin(name)
    title_en = _TITLES_EN.get(title_code)
    return localized(
        {
            "zh_CN": f"{name}（{title}）" if title else name,
            "en": f"Dr {english} ({title_en})" if title_en else f"Dr {english}",
        }
    )


def provider_name(name: str | None) -> dict[str, str]:
    """Providers are named by the platform in Chinese only; every reader sees that name."""
    return localized({"zh_CN": name or ""})
