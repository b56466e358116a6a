"""SLA arithmetic: table-driven and property-based, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dme_portal.sla import policy
from dme_portal.sla.policy import SlaState

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("elapsed_hours", "expected"),
    [
        (0, SlaState.ON_TIME),
        (59.9, SlaState.ON_TIME),
        (60, SlaState.AT_RISK),  # exactly 12 h (one sixth of 72) left
        (71.99, SlaState.AT_RISK),
        (72, SlaState.BREACHED),
        (500, SlaState.BREACHED),
    ],
)
def test_open_request_states(elapsed_hours: float, expected: SlaState) -> None:
    due = policy.due_at(T0, 72)
    now = T0 + timedelta(hours=elapsed_hours)
    assert policy.state(now=now, due=due, turnaround_hours=72, at_risk_fraction=1 / 6) is expected


@pytest.mark.parametrize(
    ("decided_after_hours", "expected"),
    [(1, SlaState.MET), (72, SlaState.MET), (72.01, SlaState.MISSED)],
)
def test_decided_request_states(decided_after_hours: float, expected: SlaState) -> None:
    due = policy.due_at(T0, 72)
    decided = T0 + timedelta(hours=decided_after_hours)
    state = policy.state(
        now=T0 + timedelta(days=30),
        due=due,
        turnaround_hours=72,
        at_risk_fraction=1 / 6,
        decided_at=decided,
    )
    assert state is expected


def test_paused_time_moves_the_deadline() -> None:
    assert policy.due_at(T0, 72, timedelta(hours=5)) == T0 + timedelta(hours=77)


@given(
    hours=st.integers(min_value=1, max_value=24 * 30),
    paused=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    elapsed=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=90)),
)
def test_states_are_ordered_in_time(hours: int, paused: timedelta, elapsed: timedelta) -> None:
    """Once breached, a request never goes back to on time; deadlines never move earlier."""
    due = policy.due_at(T0, hours, paused)
    assert due >= policy.due_at(T0, hours)
    now = T0 + elapsed
    state = policy.state(now=now, due=due, turnaround_hours=hours, at_risk_fraction=1 / 6)
    later = policy.state(
        now=now + timedelta(hours=1), due=due, turnaround_hours=hours, at_risk_fraction=1 / 6
    )
    order = [SlaState.ON_TIME, SlaState.AT_RISK, SlaState.BREACHED]
    assert order.index(later) >= order.index(state)
    assert (state is SlaState.BREACHED) == (now >= due)
