"""Mainland resident ID numbers (GB 11643-1999): checksum and birth date, before any outside call."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["birth_date", "is_valid_id_number", "normalize_id_number"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")


def normalize_id_number(value: str) -> str:
    """Upper-cased, without surrounding or inner spaces (people type '4108 8119 ...')."""
    return re.sub(r"\s+", "", value or "").upper()


def birth_date(value: str) -> dt.date | None:
    """The birth date encoded in a well-formed 18-character ID number, or None."""
    number = normalize_id_number(value)
    if len(number) != 18:
        return None
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def is_valid_id_number(value: str, *, today: dt.date | None = None) -> bool:
    """True for an 18-character ID number with a correct check character and a real, past birth date."""
    number = normalize_id_number(value)
    if not _SHAPE.match(number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], _WEIGHTS, strict=True))
    if _CHECK_CHARS[total % 11] != number[17]:
        return False
    born = birth_date(number)
    today = today or dt.date.today()
    return born is not None and dt.date(1900, 1, 1) <= born <= today
