"""Every query on rulesets and CSAG assignments."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.members.models import Enrollment
from dme_portal.rulesets.models import CsagAssignment, RulesetDraft, RulesetVersion


async def current_version(session: AsyncSession, network_id: uuid.UUID) -> RulesetVersion | None:
    """The latest published version of a network's ruleset."""
    stmt = (
        select(RulesetVersion)
        .where(RulesetVersion.network_id == network_id)
        .order_by(RulesetVersion.version.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_version(
    session: AsyncSession, network_id: uuid.UUID, version: int
) -> RulesetVersion | None:
    stmt = select(RulesetVersion).where(
        RulesetVersion.network_id == network_id, RulesetVersion.version == version
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_versions(session: AsyncSession, network_id: uuid.UUID) -> list[RulesetVersion]:
    stmt = (
        select(RulesetVersion)
        .where(RulesetVersion.network_id == network_id)
        .order_by(RulesetVersion.version.desc())
    )
    return list((await session.execute(stmt)).scalars().all())


async def next_version_number(session: AsyncSession, network_id: uuid.UUID) -> int:
    latest = await session.scalar(
        select(func.max(RulesetVersion.version)).where(RulesetVersion.network_id == network_id)
    )
    return int(latest or 0) + 1


async def get_draft(session: AsyncSession, network_id: uuid.UUID) -> RulesetDraft | None:
    return await session.get(RulesetDraft, network_id)


async def active_csags(
    session: AsyncSession, network_id: uuid.UUID, member_id: uuid.UUID, on: date
) -> frozenset[str]:
    """CSAG ids the member is assigned to at the network on ``on``."""
    stmt = select(CsagAssignment.csag_id).where(
        CsagAssignment.network_id == network_id,
        CsagAssignment.member_id == member_id,
        CsagAssignment.effective_from <= on,
        or_(CsagAssignment.effective_to.is_(None), CsagAssignment.effective_to >= on),
    )
    return frozenset((await session.execute(stmt)).scalars().all())


async def enrolled_in(
    session: AsyncSession, member_id: uuid.UUID, network_id: uuid.UUID, on: date
) -> bool:
    """Whether the member is enrolled in the network on ``on``."""
    stmt = select(Enrollment.id).where(
        Enrollment.member_id == member_id,
        Enrollment.network_id == network_id,
        Enrollment.effective_from <= on,
        or_(Enrollment.effective_to.is_(None), Enrollment.effective_to >= on),
    )
    return (await session.execute(stmt.limit(1))).first() is not None
