"""Network queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.networks.models import Network


async def list_networks(session: AsyncSession, principal: Principal) -> list[Network]:
    """Networks by name: a plan's or network's staff see their plan's; vendors see all."""
    stmt = select(Network).order_by(Network.name)
    if principal.org_kind is OrgKind.PLAN:
        stmt = stmt.where(Network.plan_id == principal.org_id)
    elif principal.org_kind is OrgKind.NETWORK:
        own_plan = select(Network.plan_id).where(Network.id == principal.org_id)
        stmt = stmt.where(Network.plan_id.in_(own_plan.scalar_subquery()))
    return list((await session.execute(stmt)).scalars().all())
