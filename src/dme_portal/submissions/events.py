"""Append to a request's timeline (events are never updated or deleted)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.submissions import repository
from dme_portal.submissions.models import (
    ActorType,
    AuthorizationRequest,
    RequestEvent,
    RequestStatus,
)


def actor_of(principal: Principal) -> ActorType:
    return ActorType.CLIENT if principal.is_machine else ActorType.USER


async def record(
    session: AsyncSession,
    request: AuthorizationRequest,
    principal: Principal,
    kind: str,
    now: datetime,
    *,
    from_status: RequestStatus | None,
    to_status: RequestStatus | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add the principal's event as the request's next one in its timeline."""
    await _append(
        session,
        request,
        kind,
        now,
        actor=(actor_of(principal), principal.subject, principal.role.value),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        data=data,
    )


async def record_rules(
    session: AsyncSession,
    request: AuthorizationRequest,
    kind: str,
    now: datetime,
    *,
    from_status: RequestStatus | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add an event of the network's rules (the actor is the ruleset version, not a person)."""
    await _append(
        session,
        request,
        kind,
        now,
        actor=(ActorType.RULES, f"ruleset:v{request.ruleset_version}", "rules"),
        from_status=from_status,
        to_status=request.status,
        reason=reason,
        data=data,
    )


async def record_system(
    session: AsyncSession,
    request: AuthorizationRequest,
    kind: str,
    now: datetime,
    *,
    actor_id: str,
    data: dict[str, Any] | None = None,
    sequences: dict[uuid.UUID, int] | None = None,
) -> None:
    """Add an event of the hub itself (a worker), which leaves the request's status as it is.

    ``sequences``: the last sequence of each request of a batch (``last_sequences``), kept
    current here, so that a worker writing many events makes one query for them all.
    """
    await _append(
        session,
        request,
        kind,
        now,
        actor=(ActorType.SYSTEM, actor_id, "system"),
        from_status=request.status,
        to_status=request.status,
        reason=None,
        data=data,
        sequences=sequences,
    )


async def last_sequences(
    session: AsyncSession, request_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The last event sequence of each request (requests locked by the caller)."""
    ids = list(set(request_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(RequestEvent.request_id, func.max(RequestEvent.sequence))
        .where(RequestEvent.request_id.in_(ids))
        .group_by(RequestEvent.request_id)
    )
    return {request_id: int(last) for request_id, last in rows.all()}


async def _append(
    session: AsyncSession,
    request: AuthorizationRequest,
    kind: str,
    now: datetime,
    *,
    actor: tuple[ActorType, str, str],
    from_status: RequestStatus | None,
    to_status: RequestStatus | None,
    reason: str | None,
    data: dict[str, Any] | None,
    sequences: dict[uuid.UUID, int] | None = None,
) -> None:
    actor_type, actor_id, actor_role = actor
    if sequences is None:
        sequence = await repository.next_event_sequence(session, request.id)
    else:
        sequence = sequences[request.id] = sequences.get(request.id, 0) + 1
    session.add(
        RequestEvent(
            request_id=request.id,
            sequence=sequence,
            occurred_at=now,
            kind=kind,
            actor_type=actor_type,
            actor_id=actor_id,
            actor_role=actor_role,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
            data=data or {},
        )
    )
