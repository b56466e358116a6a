"""A member's age: pure, so that the birthday boundary is tested without a database."""

from __future__ import annotations

from datetime import date


def age_on(birth_date: date, on: date) -> int:
    """Whole years completed on ``on``; a 29 February birthday counts from 1 March."""
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return max(on.year - birth_date.year - int(before_birthday), 0)
