"""Queries of the reports: the networks in scope, per-network counts, decision times, breaches.

Every query filters on ``network_id IN (...)`` and a ``received_at`` range or an open status,
so it runs on ``ix_authorization_request_network_received`` or
``ix_authorization_request_network_status_due``; rules-decided and pended requests are
read from the request's own ``decided_by`` and ``was_pended``; the escalation look-up is an
``EXISTS`` probe on an index that leads with ``request_id``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.db import dialect
from dme_portal.networks.models import Network
from dme_portal.reconsiderations.models import Reconsideration, ReconsiderationOutcome
from dme_portal.submissions.models import (
    ActorType,
    AuthorizationRequest,
    Escalation,
    RequestStatus,
    Urgency,
)

OPEN = (RequestStatus.IN_REVIEW, RequestStatus.PENDED)


@dataclass(frozen=True, slots=True)
class Counts:
    """Conditional counts of one network and urgency (see ``MetricsRow`` for each meaning)."""

    requests: int = 0
    cancelled: int = 0
    decided: int = 0
    rules_decided: int = 0
    approved: int = 0
    partially_approved: int = 0
    modified: int = 0
    denied: int = 0
    pended: int = 0
    extended: int = 0
    sla_met: int = 0
    sla_missed: int = 0
    overdue_open: int = 0
    approved_after_reconsideration: int = 0


@dataclass(frozen=True, slots=True)
class Decided:
    network_id: uuid.UUID
    urgency: Urgency
    received_at: datetime
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class Overdue:
    request_id: uuid.UUID
    network_id: uuid.UUID
    status: RequestStatus
    urgency: Urgency
    received_at: datetime
    due_at: datetime
    assigned_to: str | None
    waiting_on: str
    escalated: bool


async def networks_in_scope(
    session: AsyncSession, principal: Principal, network_id: uuid.UUID | None
) -> list[Network]:
    """The principal's network, or its plan's networks, by name; only ``network_id`` if given."""
    stmt = select(Network)
    if principal.org_kind is OrgKind.NETWORK:
        stmt = stmt.where(Network.id == principal.org_id)
    elif principal.org_kind is OrgKind.PLAN:
        stmt = stmt.where(Network.plan_id == principal.org_id)
    else:
        return []
    if network_id is not None:
        stmt = stmt.where(Network.id == network_id)
    stmt = stmt.order_by(Network.name, Network.code)
    return list((await session.execute(stmt)).scalars().all())


def _received_between(
    network_ids: Sequence[uuid.UUID], start: datetime, end: datetime
) -> list[ColumnElement[bool]]:
    r = AuthorizationRequest
    return [r.network_id.in_(list(network_ids)), r.received_at >= start, r.received_at < end]


async def counts(
    session: AsyncSession,
    network_ids: Sequence[uuid.UUID],
    *,
    start: datetime,
    end: datetime,
    now: datetime,
) -> dict[tuple[uuid.UUID, Urgency], Counts]:
    """Counts per (network, urgency) of the requests received in ``[start, end)``."""
    if not network_ids:
        return {}
    r = AuthorizationRequest
    decided = r.decided_at.is_not(None)
    # A request with a line a reconsideration overturned (approved or approved with less),
    # whenever the reconsideration was decided: an EXISTS probe on ix_reconsideration_request.
    overturned_on_reconsideration = exists().where(
        Reconsideration.request_id == r.id,
        Reconsideration.outcome.in_(
            [ReconsiderationOutcome.OVERTURNED, ReconsiderationOutcome.PARTIALLY_OVERTURNED]
        ),
    )

    def status_is(status: RequestStatus) -> ColumnElement[int]:
        return func.count().filter(r.status == status)

    stmt = (
        select(
            r.network_id,
            r.urgency,
            func.count().label("requests"),
            status_is(RequestStatus.CANCELLED).label("cancelled"),
            func.count().filter(decided).label("decided"),
            func.count().filter(r.decided_by == ActorType.RULES.value).label("rules_decided"),
            status_is(RequestStatus.APPROVED).label("approved"),
            status_is(RequestStatus.PARTIALLY_APPROVED).label("partially_approved"),
            status_is(RequestStatus.MODIFIED).label("modified"),
            status_is(RequestStatus.DENIED).label("denied"),
            func.count().filter(r.was_pended.is_(True)).label("pended"),
            func.count()
            .filter(or_(r.paused_seconds > 0, r.paused_since.is_not(None)))
            .label("extended"),
            func.count().filter(decided, r.decided_at <= r.due_at).label("sla_met"),
            func.count().filter(decided, r.decided_at > r.due_at).label("sla_missed"),
            func.count()
            .filter(r.status.in_(OPEN), r.paused_since.is_(None), r.due_at <= now)
            .label("overdue_open"),
            func.count()
            .filter(overturned_on_reconsideration)
            .label("approved_after_reconsideration"),
        )
        .where(*_received_between(network_ids, start, end))
        .group_by(r.network_id, r.urgency)
    )
    out: dict[tuple[uuid.UUID, Urgency], Counts] = {}
    for row in (await session.execute(stmt)).mappings():
        values = {k: int(v) for k, v in row.items() if k not in ("network_id", "urgency")}
        out[(row["network_id"], Urgency(row["urgency"]))] = Counts(**values)
    return out


@dataclass(frozen=True, slots=True)
class DecisionSeconds:
    """Decision time statistics of one network and urgency, in seconds (database-computed)."""

    network_id: uuid.UUID
    urgency: Urgency
    mean: float
    median: float
    p90: float


async def decision_percentiles(
    session: AsyncSession, network_ids: Sequence[uuid.UUID], *, start: datetime, end: datetime
) -> list[DecisionSeconds]:
    """Mean, median and p90 decision seconds per (network, urgency), computed in PostgreSQL.

    Only where ``dialect.aggregates_percentiles``: sixteen rows come back instead of every
    decided request of the period.
    """
    r = AuthorizationRequest
    seconds = dialect.seconds_between(r.received_at, r.decided_at)
    stmt = (
        select(
            r.network_id,
            r.urgency,
            func.avg(seconds),
            dialect.percentile_cont(0.5, seconds),
            dialect.percentile_cont(0.9, seconds),
        )
        .where(*_received_between(network_ids, start, end), r.decided_at.is_not(None))
        .group_by(r.network_id, r.urgency)
    )
    return [
        DecisionSeconds(n, Urgency(u), float(mean), float(median), float(p90))
        for n, u, mean, median, p90 in await session.execute(stmt)
    ]


async def decision_times(
    session: AsyncSession, network_ids: Sequence[uuid.UUID], *, start: datetime, end: datetime
) -> list[Decided]:
    """Receipt and decision instants of the decided requests received in ``[start, end)``."""
    if not network_ids:
        return []
    r = AuthorizationRequest
    stmt = select(r.network_id, r.urgency, r.received_at, r.decided_at).where(
        *_received_between(network_ids, start, end), r.decided_at.is_not(None)
    )
    out = []
    for network_id, urgency, received_at, decided_at in await session.execute(stmt):
        assert decided_at is not None
        out.append(Decided(network_id, Urgency(urgency), received_at, decided_at))
    return out


async def overdue_open(
    session: AsyncSession,
    network_ids: Sequence[uuid.UUID],
    *,
    now: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Overdue]:
    """Open requests whose running clock is past due at ``now``, most overdue first."""
    if not network_ids:
        return []
    r = AuthorizationRequest
    escalated = exists().where(Escalation.request_id == r.id, Escalation.resolved_at.is_(None))
    stmt = select(
        r.id,
        r.network_id,
        r.status,
        r.urgency,
        r.received_at,
        r.due_at,
        r.assigned_to,
        r.waiting_on,
        escalated.label("escalated"),
    ).where(
        r.network_id.in_(list(network_ids)),
        r.status.in_(OPEN),
        r.due_at <= now,
        r.paused_since.is_(None),
    )
    if after is not None:
        at, last = after
        stmt = stmt.where(or_(r.due_at > at, and_(r.due_at == at, r.id > last)))
    stmt = stmt.order_by(r.due_at, r.id).limit(limit)
    return [
        Overdue(
            request_id=row.id,
            network_id=row.network_id,
            status=RequestStatus(row.status),
            urgency=Urgency(row.urgency),
            received_at=row.received_at,
            due_at=row.due_at,
            assigned_to=row.assigned_to,
            waiting_on=row.waiting_on,
            escalated=bool(row.escalated),
        )
        for row in await session.execute(stmt)
    ]
