"""Queries of review: the queue (by due time) and the network change feed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.codes import hcpcs
from dme_portal.sla.policy import SlaState
from dme_portal.submissions.models import (
    AuthorizationRequest,
    RequestChange,
    RequestLine,
    RequestStatus,
    Urgency,
)
from dme_portal.submissions.repository import read_options, readable_statement


class Assigned(StrEnum):
    ANY = "any"
    ME = "me"
    UNASSIGNED = "unassigned"


@dataclass(frozen=True, slots=True)
class QueueFilter:
    status: Sequence[RequestStatus] = (RequestStatus.IN_REVIEW, RequestStatus.PENDED)
    urgency: Urgency | None = None
    sla_state: SlaState | None = None
    category: str | None = None
    assigned: Assigned = Assigned.ANY


async def queue(
    session: AsyncSession,
    principal: Principal,
    filters: QueueFilter,
    *,
    now: datetime,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AuthorizationRequest]:
    """The network's requests, earliest due first (keyset on due_at, id)."""
    r = AuthorizationRequest
    stmt = readable_statement(principal).where(r.status.in_(list(filters.status)))
    if filters.urgency is not None:
        stmt = stmt.where(r.urgency == filters.urgency)
    if filters.sla_state is SlaState.BREACHED:
        stmt = stmt.where(r.due_at <= now)
    elif filters.sla_state is SlaState.AT_RISK:
        stmt = stmt.where(r.at_risk_at <= now, r.due_at > now)
    elif filters.sla_state is SlaState.ON_TIME:
        stmt = stmt.where(r.at_risk_at > now)
    if filters.assigned is Assigned.ME:
        stmt = stmt.where(r.assigned_to == principal.subject)
    elif filters.assigned is Assigned.UNASSIGNED:
        stmt = stmt.where(r.assigned_to.is_(None))
    if filters.category is not None:
        codes = [c.code for c in hcpcs.all_codes().values() if c.category == filters.category]
        stmt = stmt.where(
            exists().where(RequestLine.request_id == r.id, RequestLine.hcpcs.in_(codes))
        )
    if after is not None:
        at, last = after
        stmt = stmt.where(or_(r.due_at > at, and_(r.due_at == at, r.id > last)))
    stmt = stmt.order_by(r.due_at, r.id).limit(limit).options(*read_options())
    return list((await session.execute(stmt)).scalars().all())


async def changes_since(
    session: AsyncSession, principal: Principal, cursor: int, limit: int
) -> list[tuple[RequestChange, AuthorizationRequest | None]]:
    """The principal's network's changes after ``cursor``, oldest first, each with its request
    when the principal may read it (``readable_statement``, the one scoping of every request
    read), else None: a change that points at another network's request (a member's move)
    never loads it."""
    rows = list(
        (
            await session.execute(
                select(RequestChange)
                .where(RequestChange.network_id == principal.network_id, RequestChange.id > cursor)
                .order_by(RequestChange.id)
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    if not rows:
        return []
    ids = {c.request_id for c in rows}
    requests = {
        req.id: req
        for req in (
            await session.execute(
                readable_statement(principal)
                .where(AuthorizationRequest.id.in_(ids))
                .options(*read_options())
            )
        )
        .scalars()
        .all()
    }
    return [(c, requests.get(c.request_id)) for c in rows]


async def members_of(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Each request's member id (for the access log), without loading the request."""
    if not request_ids:
        return {}
    r = AuthorizationRequest
    found = await session.execute(select(r.id, r.member_id).where(r.id.in_(list(request_ids))))
    return {request_id: member_id for request_id, member_id in found}
