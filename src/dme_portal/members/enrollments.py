"""Enrollment changes: a member's periods per network, and the continuity a move triggers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.authorizations import continuity
from dme_portal.authorizations.models import Authorization
from dme_portal.db.dialect import serialize
from dme_portal.errors import Forbidden, InvalidInput
from dme_portal.members.models import Enrollment, Member
from dme_portal.members.schemas import (
    ContinuityRead,
    EnrollmentChange,
    EnrollmentCreate,
    EnrollmentOutcome,
    EnrollmentRead,
)
from dme_portal.members.service import MemberNotFound
from dme_portal.networks.models import HealthPlan, Network
from dme_portal.submissions import repository
from dme_portal.submissions.schemas import NetworkRef

Period = tuple[Enrollment, Network]
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class EnrollmentResult:
    """What ``enroll`` did: ``applied`` or ``unchanged``."""

    member: Member
    outcome: EnrollmentOutcome
    enrollment: Period
    closed: Period | None
    carried: tuple[Authorization, ...]


async def periods_of(session: AsyncSession, member_id: uuid.UUID) -> list[Period]:
    """The member's enrollments with their networks, oldest first."""
    rows = await session.execute(
        select(Enrollment, Network)
        .join(Network, Network.id == Enrollment.network_id)
        .where(Enrollment.member_id == member_id)
        .order_by(Enrollment.effective_from, Enrollment.id)
    )
    return [(e, n) for e, n in rows.all()]


async def _member_of_plan(
    session: AsyncSession, *, plan_id: uuid.UUID, cin: str
) -> tuple[Member, list[Period]]:
    """The member and its periods; 404 when the member is enrolled only in other plans."""
    member = await repository.get_member_by_cin(session, cin)
    if member is None:
        raise MemberNotFound()
    periods = await periods_of(session, member.id)
    if periods and not any(n.plan_id == plan_id for _, n in periods):
        raise MemberNotFound()
    return member, periods


async def _network_of_plan(session: AsyncSession, *, plan_id: uuid.UUID, ref: str) -> Network:
    try:
        where = Network.id == uuid.UUID(ref)
    except ValueError:
        where = Network.code == ref
    network = await session.scalar(select(Network).where(where, Network.plan_id == plan_id))
    if network is None:
        raise InvalidInput(
            "network", "no network of your plan has this id or code", code="unknown_network"
        )
    return network


def _check_period(body: EnrollmentCreate, network: Network, periods: list[Period]) -> None:
    """Refuse a period that would rewrite or overlap history (each problem names its field)."""
    if body.effective_to is not None and body.effective_to < body.effective_from:
        raise InvalidInput("effective_to", "must not be before effective_from")
    if not periods:
        return
    last, last_network = periods[-1]
    if body.effective_from <= last.effective_from:
        raise InvalidInput(
            "effective_from",
            f"must be after {last.effective_from.isoformat()}, the start of the member's "
            "latest enrollment: earlier periods are not rewritten",
            code="not_after_latest",
        )
    covers = last.effective_to is None or last.effective_to >= body.effective_from
    if covers and last_network.id == network.id:
        raise InvalidInput(
            "network",
            f"the member is already enrolled in {network.code} on "
            f"{body.effective_from.isoformat()}",
            code="already_enrolled",
        )


async def enroll(
    session: AsyncSession,
    *,
    principal: Principal,
    cin: str,
    body: EnrollmentCreate,
    now: datetime,
) -> EnrollmentResult:
    """Record the member's enrollment from ``effective_from``: the open period closes the day
    before, and when the network changes the authorizations in force go under continuity.

    Recording exactly a period already on file changes nothing (``unchanged``): loads and
    retries are idempotent.
    """
    if principal.org_kind is not OrgKind.PLAN:
        raise Forbidden("Only the plan records enrollments.")
    plan_id = principal.org_id
    member, periods = await _member_of_plan(session, plan_id=plan_id, cin=cin)
    await serialize(session, f"member-enrollment:{member.id}")
    network = await _network_of_plan(session, plan_id=plan_id, ref=body.network)
    for enrollment, n in periods:
        if (n.id, enrollment.effective_from, enrollment.effective_to) == (
            network.id,
            body.effective_from,
            body.effective_to,
        ):
            return EnrollmentResult(member, EnrollmentOutcome.UNCHANGED, (enrollment, n), None, ())
    _check_period(body, network, periods)
    closed: Period | None = None
    previous: Period | None = periods[-1] if periods else None
    if previous is not None:
        last = previous[0]
        if last.effective_to is None or last.effective_to >= body.effective_from:
            last.effective_to = body.effective_from - DAY
            closed = previous
    created = Enrollment(
        id=uuid.uuid4(),
        member_id=member.id,
        network_id=network.id,
        effective_from=body.effective_from,
        effective_to=body.effective_to,
        reason=body.reason,
        recorded_by=principal.subject,
        recorded_at=now,
    )
    session.add(created)
    await session.flush()
    carried: list[Authorization] = []
    if previous is not None and previous[1].id != network.id:
        months = await session.scalar(
            select(HealthPlan.continuity_months).where(HealthPlan.id == network.plan_id)
        )
        carried = await continuity.carry_over(
            session,
            member_id=member.id,
            to_network=network,
            move=body.effective_from,
            months=int(months if months is not None else 12),
            principal=principal,
            now=now,
            reason=body.reason,
        )
    return EnrollmentResult(
        member, EnrollmentOutcome.APPLIED, (created, network), closed, tuple(carried)
    )


async def history(session: AsyncSession, *, principal: Principal, cin: str) -> list[Period]:
    """The member's periods the caller may see: the plan all of them (in its networks), a
    network only its own; 404 when there is none to see."""
    member = await repository.get_member_by_cin(session, cin)
    if member is None:
        raise MemberNotFound()
    periods = await periods_of(session, member.id)
    if principal.org_kind is OrgKind.PLAN:
        visible = [p for p in periods if p[1].plan_id == principal.org_id]
    elif principal.org_kind is OrgKind.NETWORK:
        visible = [p for p in periods if p[1].id == principal.org_id]
    else:
        visible = []
    if not visible:
        raise MemberNotFound()
    return visible


async def networks_by_id(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Network]:
    """The networks named by ``ids`` (for reading authorizations under continuity)."""
    if not ids:
        return {}
    rows = await session.execute(select(Network).where(Network.id.in_(ids)))
    return {n.id: n for n in rows.scalars()}


def period_read(period: Period) -> EnrollmentRead:
    enrollment, network = period
    return EnrollmentRead(
        id=enrollment.id,
        network=NetworkRef(id=network.id, code=network.code, name=network.name),
        effective_from=enrollment.effective_from,
        effective_to=enrollment.effective_to,
        reason=enrollment.reason,
        recorded_by=enrollment.recorded_by,
        recorded_at=enrollment.recorded_at,
    )


async def change_read(session: AsyncSession, result: EnrollmentResult) -> EnrollmentChange:
    """The answer to ``enroll``: the period, the one it closed, the continuity it gave."""
    networks = await networks_by_id(
        session,
        {a.network_id for a in result.carried}
        | {a.continuity_network_id for a in result.carried if a.continuity_network_id},
    )

    def ref(network_id: uuid.UUID) -> NetworkRef:
        n = networks[network_id]
        return NetworkRef(id=n.id, code=n.code, name=n.name)

    return EnrollmentChange(
        cin=result.member.cin,
        outcome=result.outcome,
        enrollment=period_read(result.enrollment),
        closed=period_read(result.closed) if result.closed else None,
        continuity=[
            ContinuityRead(
                authorization_id=a.id,
                authorization_number=a.number,
                request_id=a.request_id,
                hcpcs=a.hcpcs,
                source_network=ref(a.network_id),
                continuity_network=ref(a.continuity_network_id),
                end_date=a.end_date,
                continuity_until=a.continuity_until,
            )
            for a in result.carried
            if a.continuity_network_id is not None and a.continuity_until is not None
        ],
    )
