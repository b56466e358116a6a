"""Continuity of care when a member moves to another network (DESIGN §8).

Authorizations in force when the member's enrollment moves stay honoured, by the network that
issued them (``network_id`` does not change), for the plan's continuity period: 12 months for
WCM specialised DME providers (W&I Code 14094.13). The new network is named on each
(``continuity_network_id``) and sees them from the move's effective date (``continuity_from``),
when a continuity view of them, never the old network's request, is appended to its change
feed (``continuity_feed``). The vendor that served the child keeps serving it, as if in
network, until the period ends (``continuity_for``).
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.authorizations import continuity_feed
from dme_portal.authorizations.expiry import plan_today
from dme_portal.authorizations.models import IN_FORCE, Authorization, AuthorizationStatus
from dme_portal.members.models import Enrollment
from dme_portal.networks.models import HealthPlan, Network
from dme_portal.submissions import changes, events
from dme_portal.submissions.models import AuthorizationRequest

MOVED = continuity_feed.MOVED


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on (31 January + 1 month = 28/29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def continuity_end(move: date, months: int) -> date:
    """The last day of a continuity period of ``months`` that starts on the day of the move."""
    return add_months(move, months) - timedelta(days=1)


def honoured_until(authorization_end: date, move: date, months: int) -> date:
    """An authorization is honoured to its own end, and never past the continuity period."""
    return min(authorization_end, continuity_end(move, months))


async def carry_over(
    session: AsyncSession,
    *,
    member_id: uuid.UUID,
    to_network: Network,
    move: date,
    months: int,
    principal: Principal,
    now: datetime,
    reason: str | None = None,
) -> list[Authorization]:
    """Put the member's authorizations in force on ``move`` (or later) under continuity at
    ``to_network`` from ``move``; record the move on each request's timeline and in the old
    network's feed. The new network's feed gets only the continuity view, on ``move``
    (``continuity_feed``): at once when ``move`` is today or past, else by the worker.

    Authorizations the new network issued itself (a member moving back) need no continuity:
    theirs is cleared. Returns the authorizations now under continuity.
    """
    found = (
        await session.execute(
            select(Authorization)
            .where(
                Authorization.member_id == member_id,
                Authorization.state.in_(IN_FORCE),
                Authorization.end_date >= move,
            )
            .order_by(Authorization.start_date, Authorization.number)
        )
    ).scalars()
    carried: list[Authorization] = []
    for authorization in found:
        if authorization.network_id == to_network.id:
            authorization.continuity_network_id = None
            authorization.continuity_until = None
            authorization.continuity_from = None
            authorization.continuity_announced_at = None
            continue
        authorization.continuity_network_id = to_network.id
        authorization.continuity_until = honoured_until(authorization.end_date, move, months)
        # The new network sees it, and its feed announces it, from the effective date only.
        authorization.continuity_from = move
        authorization.continuity_announced_at = None
        carried.append(authorization)
    if not carried:
        return carried
    by_request: dict[uuid.UUID, list[Authorization]] = defaultdict(list)
    for authorization in carried:
        by_request[authorization.request_id].append(authorization)
    requests = list(
        (
            await session.execute(
                select(AuthorizationRequest)
                .where(AuthorizationRequest.id.in_(list(by_request)))
                .order_by(AuthorizationRequest.received_at, AuthorizationRequest.id)
            )
        ).scalars()
    )
    await changes.lock_feeds(session, {r.network_id for r in requests})
    for request in requests:
        await events.record(
            session,
            request,
            principal,
            MOVED,
            now,
            from_status=None,
            to_status=None,
            reason=reason,
            data={
                "from_network_id": str(request.network_id),
                "to_network_id": str(to_network.id),
                "effective_from": move.isoformat(),
                "authorizations": [
                    {**a.as_event_data(), "continuity_until": _iso(a.continuity_until)}
                    for a in by_request[request.id]
                ],
            },
        )
        await changes.record(session, request, MOVED, now)
    await session.flush()
    if move <= plan_today(now):
        # A move in effect already is announced to the new network in this transaction (with
        # the continuity view only); a later one by the worker on its effective date.
        await continuity_feed.announce(session, carried, now=now)
    return carried


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


async def continuity_for(
    session: AsyncSession,
    *,
    member_id: uuid.UUID,
    vendor_id: uuid.UUID,
    hcpcs: str,
    on: date,
) -> date | None:
    """The last day this vendor keeps serving the member for ``hcpcs`` under continuity of
    care, if ``on`` falls in the continuity period of the member's move to the network they
    are enrolled in on ``on``; None otherwise.

    The period runs from the move (the first day of that enrollment) for the plan's
    ``continuity_months``; it follows the vendor's relationship with the child, so a renewal
    of an authorization under continuity (filed at the new network) gets it too. Feed it to
    the rules as ``LineFacts.continuity_until``.
    """
    enrollment = (
        await session.execute(
            select(Enrollment, HealthPlan.continuity_months)
            .join(Network, Network.id == Enrollment.network_id)
            .join(HealthPlan, HealthPlan.id == Network.plan_id)
            .where(
                Enrollment.member_id == member_id,
                Enrollment.effective_from <= on,
                (Enrollment.effective_to.is_(None)) | (Enrollment.effective_to >= on),
            )
            .order_by(Enrollment.effective_from.desc())
            .limit(1)
        )
    ).first()
    if enrollment is None:
        return None
    current, months = enrollment
    carried = await session.scalar(
        select(Authorization.id)
        .where(
            Authorization.member_id == member_id,
            Authorization.vendor_id == vendor_id,
            Authorization.hcpcs == hcpcs,
            Authorization.continuity_network_id == current.network_id,
            Authorization.state != AuthorizationStatus.VOID,
        )
        .limit(1)
    )
    if carried is None:
        return None
    until = continuity_end(current.effective_from, months)
    return until if on <= until else None
