"""Every query on authorizations, with the tenant scoping in one place."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.authorizations.models import IN_FORCE, Authorization, AuthorizationStatus
from dme_portal.members.models import Member
from dme_portal.networks.models import Network
from dme_portal.vendors.models import Vendor


def readable_by(principal: Principal) -> Select[Authorization]:
    """Authorizations the principal may see.

    Vendors (people and machine clients): their vendor's. Network roles and a network's care
    coordinators: those their network issued, and those it honours for a member who moved
    there (``continuity_network_id``). Plan admins and plan-wide coordinators: every network
    of their plan. Care coordinators read them (numbers, periods, states: nothing clinical).
    """
    stmt = select(Authorization)
    if principal.org_kind is OrgKind.VENDOR:
        return stmt.where(Authorization.vendor_id == principal.org_id)
    if principal.org_kind is OrgKind.NETWORK:
        return stmt.where(
            or_(
                Authorization.network_id == principal.org_id,
                Authorization.continuity_network_id == principal.org_id,
            )
        )
    if principal.org_kind is OrgKind.PLAN:
        plan_networks = select(Network.id).where(Network.plan_id == principal.org_id)
        return stmt.where(
            or_(
                Authorization.network_id.in_(plan_networks),
                Authorization.continuity_network_id.in_(plan_networks),
            )
        )
    return stmt.where(false())


async def get_readable(
    session: AsyncSession, principal: Principal, authorization_id: uuid.UUID
) -> Authorization | None:
    """One authorization, or None when missing or out of the principal's scope."""
    stmt = readable_by(principal).where(Authorization.id == authorization_id)
    return (await session.execute(stmt)).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class ListFilter:
    member_cin: str | None = None
    hcpcs: str | None = None
    # Issued by this network, or honoured by it under continuity of care.
    network_id: uuid.UUID | None = None
    states: Sequence[AuthorizationStatus] = ()
    # In force and ending on or before this day (and not before ``today``).
    ends_by: date | None = None
    today: date | None = None


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    filters: ListFilter,
    *,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> list[Authorization]:
    """A page of authorizations, soonest end first, keyset-paginated on (end_date, id)."""
    stmt = readable_by(principal)
    if filters.member_cin is not None:
        member_ids = select(Member.id).where(Member.cin == filters.member_cin)
        stmt = stmt.where(Authorization.member_id.in_(member_ids))
    if filters.hcpcs is not None:
        stmt = stmt.where(Authorization.hcpcs == filters.hcpcs)
    if filters.network_id is not None:
        stmt = stmt.where(
            or_(
                Authorization.network_id == filters.network_id,
                Authorization.continuity_network_id == filters.network_id,
            )
        )
    if filters.states:
        stmt = stmt.where(Authorization.state.in_(list(filters.states)))
    if filters.ends_by is not None:
        stmt = stmt.where(
            Authorization.state.in_(list(IN_FORCE)), Authorization.end_date <= filters.ends_by
        )
        if filters.today is not None:
            stmt = stmt.where(Authorization.end_date >= filters.today)
    if after is not None:
        end, last_id = after
        stmt = stmt.where(
            or_(
                Authorization.end_date > end,
                and_(Authorization.end_date == end, Authorization.id > last_id),
            )
        )
    stmt = stmt.order_by(Authorization.end_date, Authorization.id).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


@dataclass(frozen=True, slots=True)
class Related:
    """What the read model names besides the rows: members, vendors, networks, links."""

    members: dict[uuid.UUID, Member]
    vendors: dict[uuid.UUID, Vendor]
    networks: dict[uuid.UUID, Network]
    links: dict[uuid.UUID, tuple[uuid.UUID, str]]


async def related(session: AsyncSession, rows: Iterable[Authorization]) -> Related:
    """Everything ``to_read`` names, in four queries for any page size."""
    rows = list(rows)
    member_ids = {r.member_id for r in rows}
    vendor_ids = {r.vendor_id for r in rows}
    network_ids = {r.network_id for r in rows} | {
        r.continuity_network_id for r in rows if r.continuity_network_id is not None
    }
    link_ids = {i for r in rows for i in (r.renews_id, r.superseded_by_id) if i is not None}
    members = await _by_id(session, Member, member_ids)
    vendors = await _by_id(session, Vendor, vendor_ids)
    networks = await _by_id(session, Network, network_ids)
    links: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    if link_ids:
        found = await session.execute(
            select(Authorization.id, Authorization.number).where(Authorization.id.in_(link_ids))
        )
        links = {i: (i, n) for i, n in found.all()}
    return Related(members=members, vendors=vendors, networks=networks, links=links)


_Row = TypeVar("_Row", Member, Vendor, Network)


async def _by_id(
    session: AsyncSession, model: type[_Row], ids: set[uuid.UUID]
) -> dict[uuid.UUID, _Row]:
    if not ids:
        return {}
    found = await session.execute(select(model).where(model.id.in_(ids)))
    return {row.id: row for row in found.scalars()}
