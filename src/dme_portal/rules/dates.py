"""Date arithmetic that cannot overflow: pure, for the rule engine and the services over it.

``date(9999, 12, 31) + timedelta(days=1)`` raises OverflowError. The doors refuse dates
outside the years they accept (``submissions.schemas.EARLIEST_DATE`` / ``LATEST_DATE``), but
the engine is a pure function that must not fail on whatever it is given: a shift past the
calendar's end stops at its end (``date.max`` / ``date.min``).
"""

from __future__ import annotations

from datetime import date, timedelta


def shift(day: date, days: int) -> date:
    """``day`` moved by ``days`` days, clamped to ``date.min`` .. ``date.max``."""
    ordinal = day.toordinal() + days
    if ordinal > date.max.toordinal():
        return date.max
    if ordinal < date.min.toordinal():
        return date.min
    return day + timedelta(days=days)
