"""Network queries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.networks.models import Network


async def list_networks(session: AsyncSession) -> list[Network]:
    """Every network of the plan, by name (public directory information)."""
    return list((await session.execute(select(Network).order_by(Network.name))).scalars().all())
