"""BookingRules.from_value: stored rules parsed once and shared, unknown keys always refused."""

from __future__ import annotations

import pytest

from services.bookings.rules import BookingRules
from services.common.errors import InvalidInput


def test_from_value__same_stored_rules_give_the_same_value() -> None:
    stored = {"per_person_per_day": None, "advance_days": 30}
    first = BookingRules.from_value(stored)
    assert (first.per_person_per_day, first.advance_days, first.party_size_max) == (None, 30, 1)
    assert BookingRules.from_value(dict(stored)) is first  # parsed once, shared (frozen)
    other = BookingRules.from_value({"per_person_per_day": 2, "advance_days": 30})
    assert other.per_person_per_day == 2 and first.per_person_per_day is None


def test_from_value__unknown_keys_refused_every_time() -> None:
    for _ in range(2):  # not remembered as valid
        with pytest.raises(InvalidInput) as refused:
            BookingRules.from_value({"advance_days": 3, "bogus": 1})
        assert refused.value.details == {"unknown": ["bogus"]}


def test_from_value__an_unhashable_value_is_still_parsed() -> None:
    with pytest.raises(InvalidInput):
        BookingRules.from_value({"bogus": [1]})
    assert BookingRules.from_value(None) == BookingRules()
