"""The SLA worker: moves clocks to at risk and breached, records each event once, escalates;
and, in the same loop, moves authorizations to expiring, expired and superseded
(``authorizations.expiry``), announces members' moves to the new networks on their effective
dates (``authorizations.continuity_feed``), purges uploads never named, and deletes expired
idempotency records and spent sign-in throttle rows (``retention``).

Safe with several copies on one PostgreSQL database: each batch locks its rows with
``FOR UPDATE SKIP LOCKED``, and a row's recorded ``sla_state`` only moves forward, so a row is
never processed twice for the same state. On SQLite, transactions are serialised.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from dme_portal import retention
from dme_portal.authorizations import continuity_feed, expiry
from dme_portal.authorizations.expiry import ExpiryResult
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla.clock import Clock
from dme_portal.submissions import changes
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
    )


async def _last_sequences(
    session: AsyncSession, requests: Sequence[AuthorizationRequest]
) -> dict[uuid.UUID, int]:
    """The last event sequence of each request, in one query for the batch."""
    if not requests:
        return {}
    rows = await session.execute(
        select(RequestEvent.request_id, func.max(RequestEvent.sequence))
        .where(RequestEvent.request_id.in_([r.id for r in requests]))
        .group_by(RequestEvent.request_id)
    )
    return {request_id: int(last) for request_id, last in rows.all()}


async def _record(
    session: AsyncSession,
    request: AuthorizationRequest,
    kind: str,
    now: datetime,
    sequences: dict[uuid.UUID, int],
) -> None:
    sequences[request.id] = sequences.get(request.id, 0) + 1
    session.add(
        RequestEvent(
            request_id=request.id,
            sequence=sequences[request.id],
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
    risky = (await session.execute(_due_for_at_risk(now, limit))).scalars().all()
    if not breaching and not risky:
        return result
    sequences = await _last_sequences(session, [*breaching, *risky])
    await changes.lock_feeds(session, {r.network_id for r in [*breaching, *risky]})
    breached_ids = {r.id for r in breaching}
    for request in breaching:
        if request.sla_state == "on_time":
            await _record(session, request, "sla_at_risk", now, sequences)
            result.at_risk += 1
        await _record(session, request, "sla_breached", now, sequences)
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
    at_risk_ids = [r.id for r in risky if r.id not in breached_ids]
    for request in risky:
        if request.id not in breached_ids:
            await _record(session, request, "sla_at_risk", now, sequences)
            result.at_risk += 1
    await session.flush()
    # One statement, and no version bump: an SLA transition is not a change of the request's
    # content, so a reviewer's If-Match stays valid.
    r = AuthorizationRequest
    await session.execute(
        update(r)
        .where(r.id.in_([*breached_ids, *at_risk_ids]))
        .values(sla_state=case((r.id.in_(list(breached_ids)), "breached"), else_="at_risk"))
        .execution_options(synchronize_session=False)
    )
    # Keep this session's objects in step with the bulk update, without making them dirty: a
    # caller that goes on using the session (the demo seed) must not see a stale state.
    for request in breaching:
        set_committed_value(request, "sla_state", "breached")
    for request in risky:
        if request.id not in breached_ids:
            set_committed_value(request, "sla_state", "at_risk")
    return result


async def sweep_session(session: AsyncSession, *, now: datetime, batch: int = 500) -> SweepResult:
    """The same sweep inside the caller's transaction (the demo seed replays days in one)."""
    total = SweepResult()
    while True:
        result = await _sweep_batch(session, now, batch)
        total += result
        if result.at_risk + result.breached < batch:
            return total


async def sweep(db: Database, *, now: datetime, batch: int = 500) -> SweepResult:
    """Process every request whose clock crossed a threshold, one transaction per batch."""
    total = SweepResult()
    while True:
        async with unit_of_work(db) as session:
            result = await _sweep_batch(session, now, batch)
        total += result
        if result.at_risk + result.breached < batch:
            return total


async def purge_uploads(db: Database, *, now: datetime) -> int:
    """Delete uploads no submission named within their lifetime, one transaction per batch."""
    from dme_portal.attachments import service as attachment_service
    from dme_portal.attachments.storage import DatabaseBlobStore

    total = 0
    while True:
        async with unit_of_work(db) as session:
            purged = await attachment_service.purge_expired(
                session, store=DatabaseBlobStore(session), now=now
            )
        total += purged
        if purged < attachment_service.PURGE_BATCH:
            return total


async def expire_authorizations(db: Database, *, now: datetime) -> ExpiryResult:
    """Authorizations expiring, expired and superseded as their dates pass (issue 16.4)."""
    result = await expiry.sweep(db, now=now)
    if result.moved:
        log.info(
            "expiry sweep: %d expiring, %d expired, %d superseded",
            result.expiring,
            result.expired,
            result.superseded,
        )
    return result


async def announce_continuity(db: Database, *, now: datetime) -> int:
    """Moves whose effective date came: one continuity change in each new network's feed."""
    announced = await continuity_feed.sweep(db, now=now)
    if announced:
        log.info("continuity: %d moves announced to the new networks' feeds", announced)
    return announced


async def run_forever(
    db: Database, clock: Clock, *, interval_seconds: float, settings: Settings
) -> None:
    """Sweep every ``interval_seconds`` until cancelled (the worker process or in-process)."""
    while True:
        try:
            result = await sweep(db, now=clock.now())
            if result.at_risk or result.breached:
                log.info("sla sweep: %d at risk, %d breached", result.at_risk, result.breached)
        except Exception:
            log.exception("sla sweep failed; retrying next interval")
        try:
            await expire_authorizations(db, now=clock.now())
        except Exception:
            log.exception("authorization expiry sweep failed; retrying next interval")
        try:
            await announce_continuity(db, now=clock.now())
        except Exception:
            log.exception("continuity announcement sweep failed; retrying next interval")
        try:
            purged = await purge_uploads(db, now=clock.now())
            if purged:
                log.info("purged %d expired uploads never named in a submission", purged)
        except Exception:
            log.exception("upload purge failed; retrying next interval")
        try:
            await retention.run_once(db, now=clock.now(), settings=settings)
        except Exception:
            log.exception("retention purge failed; retrying next interval")
        await asyncio.sleep(interval_seconds)
