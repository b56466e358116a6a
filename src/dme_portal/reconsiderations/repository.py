"""Every query on reconsiderations, with the tenant scoping in one place."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.reconsiderations.models import Reconsideration, ReconsiderationStatus
from dme_portal.submissions.models import RequestEvent


async def for_request(session: AsyncSession, request_id: uuid.UUID) -> list[Reconsideration]:
    """A request's reconsiderations, oldest first."""
    stmt = (
        select(Reconsideration)
        .where(Reconsideration.request_id == request_id)
        .order_by(Reconsideration.requested_at, Reconsideration.id)
    )
    return list((await session.execute(stmt)).scalars().all())


async def get(
    session: AsyncSession, reconsideration_id: uuid.UUID, *, for_update: bool = False
) -> Reconsideration | None:
    """One reconsideration by id, in no scope: callers check the request's readability."""
    stmt = select(Reconsideration).where(Reconsideration.id == reconsideration_id)
    if for_update:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def network_queue(
    session: AsyncSession,
    principal: Principal,
    *,
    status: ReconsiderationStatus,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Reconsideration]:
    """The principal's network's reconsiderations in ``status``, earliest due first."""
    r = Reconsideration
    stmt = select(r).where(r.network_id == principal.network_id, r.status == status)
    if after is not None:
        at, last = after
        stmt = stmt.where(or_(r.due_at > at, and_(r.due_at == at, r.id > last)))
    stmt = stmt.order_by(r.due_at, r.id).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


async def decision_events(session: AsyncSession, request_id: uuid.UUID) -> list[RequestEvent]:
    """The request's ``decided`` events (a person's or a network system's), oldest first."""
    stmt = (
        select(RequestEvent)
        .where(RequestEvent.request_id == request_id, RequestEvent.kind == "decided")
        .order_by(RequestEvent.sequence)
    )
    return list((await session.execute(stmt)).scalars().all())
