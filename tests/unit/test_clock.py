from __future__ import annotations

import datetime as dt

from services.common import clock


def test_is_working_day__make_up_saturday_and_spring_festival() -> None:
    assert clock.is_working_day(dt.date(2026, 2, 14))  # Saturday, a make-up working day (调休)
    assert not clock.is_working_day(dt.date(2026, 2, 17))  # Spring Festival
    assert not clock.is_working_day(dt.date(2026, 2, 21))  # an ordinary Saturday
    assert clock.is_working_day(dt.date(2026, 3, 2))  # an ordinary Monday


def test_add_working_days__skips_holidays_and_counts_make_up_days() -> None:
    # Friday 2026-02-13 + 1 working day is the make-up Saturday 2026-02-14.
    assert clock.add_working_days(dt.date(2026, 2, 13), 1) == dt.date(2026, 2, 14)
    # National Day week: 2026-09-30 (Wed) + 1 working day lands after the holiday.
    result = clock.add_working_days(dt.date(2026, 9, 30), 1)
    assert result > dt.date(2026, 10, 7) or result == dt.date(2026, 10, 10)
    assert clock.add_working_days(dt.date(2026, 3, 2), 0) == dt.date(2026, 3, 2)


def test_local_date__uses_asia_shanghai() -> None:
    late_utc = dt.datetime(2026, 3, 1, 17, 30, tzinfo=dt.UTC)  # 01:30 on 2 March in Jiyuan
    assert clock.local_date(late_utc) == dt.date(2026, 3, 2)
    assert clock.to_local(late_utc).utcoffset() == dt.timedelta(hours=8)
