"""Every query on authorization requests, with the tenant scoping in one place."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.members.models import Enrollment, Member
from dme_portal.networks.models import Network
from dme_portal.submissions.models import (
    AuthorizationRequest,
    RequestEvent,
    RequestLine,
    RequestStatus,
)
from dme_portal.vendors.models import ContractStatus, VendorContract


def readable_statement(principal: Principal) -> Select[AuthorizationRequest]:
    """Requests the principal may see: its vendor's, its network's, or its plan's."""
    stmt = select(AuthorizationRequest)
    if principal.org_kind is OrgKind.VENDOR:
        return stmt.where(AuthorizationRequest.vendor_id == principal.org_id)
    if principal.org_kind is OrgKind.NETWORK:
        return stmt.where(AuthorizationRequest.network_id == principal.org_id)
    plan_networks = select(Network.id).where(Network.plan_id == principal.org_id)
    return stmt.where(AuthorizationRequest.network_id.in_(plan_networks))


def read_options() -> tuple[ORMOption, ...]:
    """Everything ``to_read`` needs, in a fixed number of queries for any page size: the
    request joined to its member, network and vendor, then one query per collection."""
    return (
        joinedload(AuthorizationRequest.member, innerjoin=True),
        joinedload(AuthorizationRequest.network, innerjoin=True),
        joinedload(AuthorizationRequest.vendor, innerjoin=True),
        selectinload(AuthorizationRequest.lines).selectinload(RequestLine.authorization),
        selectinload(AuthorizationRequest.diagnoses),
        selectinload(AuthorizationRequest.information_requests),
    )


def _with_details(stmt: Select[AuthorizationRequest]) -> Select[AuthorizationRequest]:
    return stmt.options(*read_options())


async def load_read_details(session: AsyncSession, request: AuthorizationRequest) -> None:
    """Load what ``to_read`` needs on a request created in this session (not loaded from it)."""
    await session.refresh(request, ["vendor", "information_requests"])


async def get_readable(
    session: AsyncSession, principal: Principal, request_id: uuid.UUID, *, for_update: bool = False
) -> AuthorizationRequest | None:
    """One request with its lines, or None when missing or out of the principal's scope."""
    stmt = _with_details(readable_statement(principal).where(AuthorizationRequest.id == request_id))
    if for_update:
        stmt = stmt.with_for_update(of=AuthorizationRequest)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class ListFilter:
    status: Sequence[RequestStatus] = ()
    member_cin: str | None = None
    network_id: uuid.UUID | None = None
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    filters: ListFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AuthorizationRequest]:
    """A page of requests, newest first, keyset-paginated on (received_at, id)."""
    stmt = readable_statement(principal)
    if filters.status:
        stmt = stmt.where(AuthorizationRequest.status.in_(list(filters.status)))
    if filters.member_cin is not None:
        member_ids = select(Member.id).where(Member.cin == filters.member_cin)
        stmt = stmt.where(AuthorizationRequest.member_id.in_(member_ids))
    if filters.network_id is not None:
        stmt = stmt.where(AuthorizationRequest.network_id == filters.network_id)
    if filters.submitted_from is not None:
        stmt = stmt.where(AuthorizationRequest.received_at >= filters.submitted_from)
    if filters.submitted_to is not None:
        stmt = stmt.where(AuthorizationRequest.received_at < filters.submitted_to)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            or_(
                AuthorizationRequest.received_at < at,
                and_(AuthorizationRequest.received_at == at, AuthorizationRequest.id < last_id),
            )
        )
    stmt = stmt.order_by(AuthorizationRequest.received_at.desc(), AuthorizationRequest.id.desc())
    stmt = _with_details(stmt.limit(limit))
    return list((await session.execute(stmt)).scalars().all())


async def list_events(session: AsyncSession, request_id: uuid.UUID) -> list[RequestEvent]:
    """The request's timeline, oldest first."""
    stmt = (
        select(RequestEvent)
        .where(RequestEvent.request_id == request_id)
        .order_by(RequestEvent.sequence)
    )
    return list((await session.execute(stmt)).scalars().all())


async def next_event_sequence(session: AsyncSession, request_id: uuid.UUID) -> int:
    """The sequence number the request's next event takes (pending events flushed first)."""
    await session.flush()
    last = await session.scalar(
        select(func.max(RequestEvent.sequence)).where(RequestEvent.request_id == request_id)
    )
    return int(last or 0) + 1


async def get_member_by_cin(session: AsyncSession, cin: str) -> Member | None:
    return (await session.execute(select(Member).where(Member.cin == cin))).scalar_one_or_none()


async def enrollment_on(
    session: AsyncSession, member_id: uuid.UUID, on: date
) -> tuple[Enrollment, Network] | None:
    """The member's enrollment (and its network) in force on ``on``."""
    stmt = (
        select(Enrollment, Network)
        .join(Network, Network.id == Enrollment.network_id)
        .where(
            Enrollment.member_id == member_id,
            Enrollment.effective_from <= on,
            or_(Enrollment.effective_to.is_(None), Enrollment.effective_to >= on),
        )
        .order_by(Enrollment.effective_from.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def contracts_for(
    session: AsyncSession, vendor_id: uuid.UUID, network_id: uuid.UUID
) -> list[VendorContract]:
    stmt = select(VendorContract).where(
        VendorContract.vendor_id == vendor_id, VendorContract.network_id == network_id
    )
    return list((await session.execute(stmt)).scalars().all())


def contract_status_on(contracts: Sequence[VendorContract], on: date) -> ContractStatus:
    """In network only under an in-network contract in force on ``on``."""
    for c in contracts:
        in_force = c.effective_from <= on and (c.effective_to is None or c.effective_to >= on)
        if in_force and c.status is ContractStatus.IN_NETWORK:
            return ContractStatus.IN_NETWORK
    return ContractStatus.OUT_OF_NETWORK
