"""Booking states: every arrow of the diagram is allowed, every other move refused; ID numbers; opening rules."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest

from services.bookings import enums
from services.bookings.codes import check_in_code_for, parse_code, verify_code
from services.bookings.enums import BookingStatus
from services.bookings.errors import BadCheckInCode, IllegalTransition
from services.bookings.resources import _opening_applies
from services.bookings.rules import BookingRules, Opening
from services.common.crypto import PiiCipher
from services.common.errors import InvalidInput
from services.common.idcard import birth_date, is_valid_id_number

S = BookingStatus
ALLOWED = {
    (S.HELD, S.CONFIRMED),
    (S.HELD, S.CANCELLED),
    (S.HELD, S.EXPIRED),
    (S.REQUESTED, S.CONFIRMED),
    (S.REQUESTED, S.DENIED),
    (S.REQUESTED, S.CANCELLED),
    (S.CONFIRMED, S.CHECKED_IN),
    (S.CONFIRMED, S.CANCELLED),
    (S.CONFIRMED, S.NO_SHOW),
}
NAMED = {
    S.CONFIRMED: enums.confirm,
    S.CANCELLED: enums.cancel,
    S.CHECKED_IN: enums.check_in,
    S.NO_SHOW: enums.mark_no_show,
    S.EXPIRED: enums.expire,
    S.DENIED: enums.deny,
}


@pytest.mark.parametrize(("current", "target"), sorted(ALLOWED))
def test_transition__allowed_arrows(current: BookingStatus, target: BookingStatus) -> None:
    assert enums.transition(current, target) is target
    assert NAMED[target](current) is target


@pytest.mark.parametrize(
    ("current", "target"),
    [(a, b) for a, b in itertools.product(S, S) if (a, b) not in ALLOWED],
)
def test_transition__every_other_move_refused(current: BookingStatus, target: BookingStatus) -> None:
    with pytest.raises(IllegalTransition) as caught:
        enums.transition(current, target)
    assert caught.value.code == "booking.illegal_transition"
    assert caught.value.details == {"from": current.value, "to": target.value}
    if target in NAMED:
        with pytest.raises(IllegalTransition):
            NAMED[target](current)


def test_statuses__terminal_ones_go_nowhere() -> None:
    for terminal in (S.CHECKED_IN, S.CANCELLED, S.NO_SHOW, S.EXPIRED, S.DENIED):
        assert not any(enums.can_transition(terminal, target) for target in S)


def _id(prefix17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return prefix17 + "10X98765432"[sum(int(d) * w for d, w in zip(prefix17, weights, strict=True)) % 11]


def test_id_number__checksum_and_birth_date() -> None:
    good = _id("41088119900101123")
    assert is_valid_id_number(good)
    assert is_valid_id_number(good.lower().replace("x", "x"))
    assert is_valid_id_number("11010519491231002X") and is_valid_id_number("11010519491231002x")
    assert birth_date(good) == dt.date(1990, 1, 1)
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert not is_valid_id_number(wrong_check)
    assert not is_valid_id_number(_id("41088119900230123"))  # 30 February
    assert not is_valid_id_number(_id("41088130000101123"), today=dt.date(2026, 1, 1))  # born in the future
    assert not is_valid_id_number("4108811990010112")  # too short
    assert not is_valid_id_number("A1088119900101123X")


def _cipher(index_key: bytes = b"k" * 32) -> PiiCipher:
    return PiiCipher(keys={"k1": b"0" * 32}, active_key_id="k1", blind_index_key=index_key)


def test_check_in_code__signed_and_verified_offline() -> None:
    booking_id = uuid.uuid4()
    code = check_in_code_for(booking_id=booking_id, cipher=_cipher())
    assert code.startswith("JYB1") and code.isalnum() and code == code.upper()
    assert verify_code(code, _cipher()) == booking_id
    assert parse_code(code.lower()) == booking_id
    with pytest.raises(BadCheckInCode):
        verify_code(code, _cipher(b"z" * 32))  # another key: a forged code
    other = check_in_code_for(booking_id=uuid.uuid4(), cipher=_cipher())
    with pytest.raises(BadCheckInCode):
        verify_code(code[:10] + other[10:], _cipher())
    for junk in ("", "JYB1", "JYB1!!!!", "XXXX" + code[4:], code + "AA"):
        with pytest.raises(BadCheckInCode):
            verify_code(junk, _cipher())


def test_opening__working_days_follow_the_official_calendar() -> None:
    hall = Opening.from_value({"start": "09:00", "end": "12:00", "slot_minutes": 30, "capacity": 4})
    assert _opening_applies(hall, dt.date(2026, 2, 14))  # Saturday, make-up working day (调休)
    assert not _opening_applies(hall, dt.date(2026, 2, 17))  # Tuesday, Spring Festival
    assert _opening_applies(hall, dt.date(2026, 3, 2))  # an ordinary Monday
    assert not _opening_applies(hall, dt.date(2026, 3, 7))  # an ordinary Saturday
    scenic = Opening.from_value(
        {
            "start": "08:00",
            "end": "17:00",
            "slot_minutes": 60,
            "capacity": 100,
            "days": [0, 1, 2, 3, 4, 5, 6],
            "skip_holidays": False,
        }
    )
    assert _opening_applies(scenic, dt.date(2026, 2, 17))  # open through the holiday
    weekend = Opening.from_value(
        {"start": "09:00", "end": "11:00", "slot_minutes": 60, "capacity": 2, "days": [5]}
    )
    assert _opening_applies(weekend, dt.date(2026, 3, 7))
    assert not _opening_applies(weekend, dt.date(2026, 10, 3))  # National Day holiday, a Saturday


def test_rules__unknown_keys_and_bad_openings_refused() -> None:
    assert BookingRules.from_value({"party_size_max": 4}).party_size_max == 4
    with pytest.raises(InvalidInput):
        BookingRules.from_value({"party_size": 4})
    with pytest.raises(InvalidInput):
        Opening.from_value({"start": "12:00", "end": "09:00", "slot_minutes": 30, "capacity": 1})
    with pytest.raises(InvalidInput):
        Opening.from_value({"start": "nine", "end": "12:00", "slot_minutes": 30, "capacity": 1})
