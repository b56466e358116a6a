"""Every query on authorizations, with the tenant scoping in one place."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.authorizations.models import IN_FORCE, Authorization, AuthorizationStatus
from dme_portal.members.models import Member
from dme_portal.networks.models import Network
from dme_portal.vendors.models import Vendor


def in_continuity_at(network_ids: Any, today: date) -> ColumnElement[bool]:
    """Honoured under continuity by one of ``network_ids`` (a value or a subquery) and the
    move in effect on ``today``: never before the move's effective date (issue 21.1)."""
    a = Authorization
    target = a.continuity_network_id == network_ids
    if not isinstance(network_ids, uuid.UUID):
        target = a.continuity_network_id.in_(network_ids)
    return and_(target, a.continuity_from.is_not(None), a.continuity_from <= today)


def readable_by(principal: Principal, *, today: date) -> Select[Authorization]:
    """Authorizations the principal may see on ``today`` (the plan's date).

    Vendors (people and machine clients): their vendor's. Network roles and a network's care
    coordinators: those their network issued, and those it honours for a member who moved
    there (``continuity_network_id``), from the move's effective date (``continuity_from``)
    only. Plan admins and plan-wide coordinators: every network of their plan. Care
    coordinators read them (numbers, periods, states: nothing clinical).
    """
    stmt = select(Authorization)
    if principal.org_kind is OrgKind.VENDOR:
        return stmt.where(Authorization.vendor_id == principal.org_id)
    if principal.org_kind is OrgKind.NETWORK:
        assert principal.org_id is not None
        return stmt.where(
            or_(
                Authorization.network_id == principal.org_id,
                in_continuity_at(principal.org_id, today),
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
    session: AsyncSession, principal: Principal, authorization_id: uuid.UUID, *, today: date
) -> Authorization | None:
    """One authorization, or None when missing or out of the principal's scope on ``today``."""
    stmt = readable_by(principal, today=today).where(Authorization.id == authorization_id)
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
    today: date,
) -> list[Authorization]:
    """A page of authorizations readable on ``today``, soonest end first, keyset-paginated on
    (end_date, id)."""
    stmt = readable_by(principal, today=today)
    if filters.member_cin is not None:
        member_ids = select(Member.id).where(Member.cin == filters.member_cin)
        stmt = stmt.where(Authorization.member_id.in_(member_ids))
    if filters.hcpcs is not None:
        stmt = stmt.where(Authorization.hcpcs == filters.hcpcs)
    if filters.network_id is not None:
        stmt = stmt.where(
            or_(
                Authorization.network_id == filters.network_id,
                in_continuity_at(filters.network_id, today),
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
