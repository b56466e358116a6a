"""The rule engine's date arithmetic cannot overflow, whatever dates it is given (issue 21.7).

The doors refuse dates outside 1900..2199, but ``rules`` is a pure function: a period or a
renewal window computed at the calendar's ends stops at ``date.max`` / ``date.min``.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dme_portal.rules.dates import shift
from dme_portal.rules.renewals import window_opens
from dme_portal.rules.ruleset import Renewals

TABLE = [
    (date(9999, 12, 30), 89, date.max),
    (date(9999, 12, 31), 1, date.max),
    (date(9999, 12, 30), 1, date.max),
    (date(9999, 12, 29), 1, date(9999, 12, 30)),
    (date(1, 1, 1), -1, date.min),
    (date(1, 1, 2), -30, date.min),
    (date(2026, 11, 2), 89, date(2027, 1, 30)),
    (date(2026, 11, 2), -30, date(2026, 10, 3)),
    (date(2026, 11, 2), 0, date(2026, 11, 2)),
]


@pytest.mark.parametrize(("day", "days", "expected"), TABLE)
def test_shift_clamps_at_the_calendars_ends(day: date, days: int, expected: date) -> None:
    assert shift(day, days) == expected


@given(st.dates(), st.integers(min_value=-(10**7), max_value=10**7))
def test_shift_never_raises_and_stays_in_the_calendar(day: date, days: int) -> None:
    moved = shift(day, days)
    assert date.min <= moved <= date.max
    if days >= 0:
        assert moved >= day
    else:
        assert moved <= day


def test_a_renewal_window_at_the_start_of_the_calendar() -> None:
    assert window_opens(date(1, 1, 5), Renewals()) == date.min


ENDS = [
    (date(9999, 12, 30), date(9999, 12, 31)),
    (date(9999, 12, 31), date(9999, 12, 31)),
    (date(1, 1, 1), date(1, 1, 1)),
    (date(1, 1, 1), date(9999, 12, 31)),
]


@pytest.mark.parametrize(("start", "end"), ENDS)
def test_evaluate_does_not_overflow_at_the_calendars_ends(start: date, end: date) -> None:
    from rules.test_evaluate import line, run

    for quantity in (1, 2, 3):
        (result,) = run(line(start_date=start, end_date=end, quantity=quantity))
        if result.authorized_end is not None:
            assert start <= result.authorized_end <= date.max
