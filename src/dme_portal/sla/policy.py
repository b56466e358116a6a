"""Pure SLA arithmetic: due times and clock states. No I/O, no clock reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class SlaState(StrEnum):
    ON_TIME = "on_time"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"
    MISSED = "missed"
    # Withdrawn by the vendor before a decision: the clock neither met nor missed.
    CANCELLED = "cancelled"


def due_at(
    received_at: datetime, turnaround_hours: int, paused: timedelta = timedelta()
) -> datetime:
    """The decision deadline: receipt plus turnaround plus any paused time (DESIGN §6)."""
    return received_at + timedelta(hours=turnaround_hours) + paused


def state(
    *,
    now: datetime,
    due: datetime,
    turnaround_hours: int,
    at_risk_fraction: float,
    decided_at: datetime | None = None,
) -> SlaState:
    """The clock's state at ``now``: at risk when less than the threshold's share is left."""
    if decided_at is not None:
        return SlaState.MET if decided_at <= due else SlaState.MISSED
    if now >= due:
        return SlaState.BREACHED
    if due - now <= timedelta(hours=turnaround_hours) * at_risk_fraction:
        return SlaState.AT_RISK
    return SlaState.ON_TIME


def at_risk_at(due: datetime, turnaround_hours: int, at_risk_fraction: float) -> datetime:
    """When the request turns at risk: the threshold's share of the turnaround before due."""
    return due - timedelta(hours=turnaround_hours) * at_risk_fraction


def state_at(
    *, now: datetime, due: datetime, at_risk: datetime, decided_at: datetime | None = None
) -> SlaState:
    """The clock's state from stored instants (what queues filter on in SQL)."""
    if decided_at is not None:
        return SlaState.MET if decided_at <= due else SlaState.MISSED
    if now >= due:
        return SlaState.BREACHED
    if now >= at_risk:
        return SlaState.AT_RISK
    return SlaState.ON_TIME
