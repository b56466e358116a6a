"""The SLA clock on a request: pause while pended (where the policy says so), resume, close."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.sla import policy
from dme_portal.submissions.models import AuthorizationRequest, Escalation


def state_of(request: AuthorizationRequest, now: datetime) -> policy.SlaState:
    """The live state: a paused clock stands still at the moment it was paused."""
    return policy.state_at(
        now=request.paused_since or now,
        due=request.due_at,
        at_risk=request.at_risk_at,
        decided_at=request.decided_at,
    )


def pause(request: AuthorizationRequest, now: datetime) -> bool:
    """Stop the clock when the network's policy pauses it while pended; True if paused."""
    if not request.pauses_while_pended or request.paused_since is not None:
        return False
    request.paused_since = now
    return True


def resume(request: AuthorizationRequest, now: datetime) -> timedelta:
    """Restart the clock; the deadline moves by the time it stood still."""
    if request.paused_since is None:
        return timedelta()
    paused = max(now - request.paused_since, timedelta())
    request.due_at += paused
    request.at_risk_at += paused
    request.paused_seconds += int(paused.total_seconds())
    request.paused_since = None
    return paused


async def close(session: AsyncSession, request: AuthorizationRequest, now: datetime) -> None:
    """On a decision: record met or missed, and take the request off the escalation list."""
    resume(request, now)
    request.sla_state = (
        policy.SlaState.MET.value if now <= request.due_at else policy.SlaState.MISSED.value
    )
    await resolve_escalations(session, request, now)


async def resolve_escalations(
    session: AsyncSession, request: AuthorizationRequest, now: datetime
) -> None:
    """The request left the queue (decided or cancelled): its escalations are resolved."""
    await session.execute(
        update(Escalation)
        .where(Escalation.request_id == request.id, Escalation.resolved_at.is_(None))
        .values(resolved_at=now)
    )
