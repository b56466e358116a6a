"""The SLA worker: moves clocks to at risk and breached, records each event once, escalates.

Safe with several copies on one PostgreSQL database: each batch locks its rows with
``FOR UPDATE SKIP LOCKED``, and a row's recorded ``sla_state`` only moves forward, so a row is
never processed twice for the same state. On SQLite, transactions are serialised.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla.clock import Clock
from dme_portal.submissions import changes, repository
from dme_portal.submissions.models import (
    ActorType,
    AuthorizationRequest,
    Escalation,
    RequestEvent,
    RequestStatus,
)

log = logging.getLogger("dme_portal.sla")
OPEN = (RequestStatus.IN_REVIEW, RequestStatus.PENDED)
ACTOR = "sla-worker"


@dataclass
class SweepResult:
    at_risk: int = 0
    breached: int = 0

    def __iadd__(self, other: SweepResult) -> SweepResult:
        self.at_risk += other.at_risk
        self.breached += other.breached
        return self


def _due_for_breach(now: datetime, limit: int) -> Select[AuthorizationRequest]:
    r = AuthorizationRequest
    return (
        select(r)
        .where(
            r.sla_state.in_(("on_time", "at_risk")),
            r.status.in_(OPEN),
            r.due_at <= now,
            r.paused_since.is_(None),
        )
        .order_by(r.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .options(selectinload(r.network))
    )


def _due_for_at_risk(now: datetime, limit: int) -> Select[AuthorizationRequest]:
    r = AuthorizationRequest
    return (
        select(r)
        .where(
            r.sla_state == "on_time",
            r.status.in_(OPEN),
            r.at_risk_at <= now,
            r.paused_since.is_(None),
        )
        .order_by(r.at_risk_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .options(selectinload(r.network))
    )


async def _record(
    session: AsyncSession, request: AuthorizationRequest, kind: str, now: datetime
) -> None:
    session.add(
        RequestEvent(
            request_id=request.id,
            sequence=await repository.next_event_sequence(session, request.id),
            occurred_at=now,
            kind=kind,
            actor_type=ActorType.SYSTEM,
            actor_id=ACTOR,
            actor_role="system",
            from_status=request.status,
            to_status=request.status,
            reason=None,
            data={"due_at": request.due_at.isoformat()},
        )
    )
    await changes.record(session, request, kind, now)


async def _sweep_batch(session: AsyncSession, now: datetime, limit: int) -> SweepResult:
    result = SweepResult()
    breaching = (await session.execute(_due_for_breach(now, limit))).scalars().all()
    for request in breaching:
        if request.sla_state == "on_time":
            await _record(session, request, "sla_at_risk", now)
            result.at_risk += 1
        request.sla_state = "breached"
        await _record(session, request, "sla_breached", now)
        session.add(
            Escalation(
                request_id=request.id,
                network_id=request.network_id,
                kind="sla_breached",
                created_at=now,
                due_at=request.due_at,
            )
        )
        result.breached += 1
    risky = (await session.execute(_due_for_at_risk(now, limit))).scalars().all()
    for request in risky:
        request.sla_state = "at_risk"
        await _record(session, request, "sla_at_risk", now)
        result.at_risk += 1
    await session.flush()
    return result


async def sweep(db: Database, *, now: datetime, batch: int = 500) -> SweepResult:
    """Process every request whose clock crossed a threshold, one transaction per batch."""
    total = SweepResult()
    while True:
        async with unit_of_work(db) as session:
            result = await _sweep_batch(session, now, batch)
        total += result
        if result.at_risk + result.breached < batch:
            return total


async def run_forever(db: Database, clock: Clock, *, interval_seconds: float) -> None:
    """Sweep every ``interval_seconds`` until cancelled (the worker process or in-process)."""
    while True:
        try:
            result = await sweep(db, now=clock.now())
            if result.at_risk or result.breached:
                log.info("sla sweep: %d at risk, %d breached", result.at_risk, result.breached)
        except Exception:
            log.exception("sla sweep failed; retrying next interval")
        await asyncio.sleep(interval_seconds)
