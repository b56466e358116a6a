"""Queries of the PHI access log. Only inserts and selects: the log is append-only."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.audit.models import (
    MEMBER_LOOKUPS,
    AccessAction,
    AccessLog,
    AccessLogMember,
    Outcome,
)
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.members.models import Member
from dme_portal.networks.models import Network
from dme_portal.submissions.models import AuthorizationRequest
from dme_portal.vendors.models import VendorContract

MemberRef = tuple[uuid.UUID, uuid.UUID | None]  # (member id, network id)


async def add(session: AsyncSession, entry: AccessLog, members: Iterable[MemberRef]) -> None:
    """Insert one entry and its member rows (each member once); nothing is updated after."""
    seen: dict[uuid.UUID, uuid.UUID | None] = {}
    for member_id, network_id in members:
        seen.setdefault(member_id, network_id)
    entry.member_count = len(seen)
    session.add(entry)
    await session.flush()
    session.add_all(
        AccessLogMember(access_log_id=entry.id, member_id=m, network_id=n, at=entry.at)
        for m, n in seen.items()
    )
    await session.flush()


async def members_of_requests(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> list[MemberRef]:
    """The member and network of each request."""
    if not request_ids:
        return []
    rows = await session.execute(
        select(AuthorizationRequest.member_id, AuthorizationRequest.network_id).where(
            AuthorizationRequest.id.in_(request_ids)
        )
    )
    return [(m, n) for m, n in rows.all()]


async def member_id_by_cin(session: AsyncSession, cin: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await session.scalar(select(Member.id).where(Member.cin == cin))
    return found


async def recent_lookups(
    session: AsyncSession, principal: Principal, since: datetime, *, failed_only: bool = False
) -> tuple[int, datetime | None]:
    """The caller's member lookups after ``since`` (refused ones aside), and the oldest's time.

    A look-up is an entry of a look-up action, or any entry whose CIN and birth date matched
    no one (``not_found``: a submit's included). ``failed_only``: only those that found no one.
    """
    lookup = or_(AccessLog.action.in_(MEMBER_LOOKUPS), AccessLog.outcome == Outcome.NOT_FOUND)
    outcome = (
        AccessLog.outcome.in_((Outcome.FAILED, Outcome.NOT_FOUND))
        if failed_only
        else AccessLog.outcome != Outcome.THROTTLED
    )
    row = (
        await session.execute(
            select(func.count(), func.min(AccessLog.at)).where(
                AccessLog.subject == principal.subject,
                AccessLog.org_id == principal.org_id,
                AccessLog.at > since,
                lookup,
                outcome,
            )
        )
    ).one()
    return int(row[0] or 0), row[1]


@dataclass(frozen=True)
class LogFilter:
    member_cin: str | None = None
    subject: str | None = None
    action: AccessAction | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


async def _scope_networks(session: AsyncSession, principal: Principal) -> list[uuid.UUID]:
    if principal.org_kind is OrgKind.NETWORK:
        return [principal.org_id]
    rows = await session.scalars(select(Network.id).where(Network.plan_id == principal.org_id))
    return list(rows)


def _concerns(networks: list[uuid.UUID]) -> ColumnElement[bool]:
    child = exists().where(
        AccessLogMember.access_log_id == AccessLog.id, AccessLogMember.network_id.in_(networks)
    )
    return or_(AccessLog.network_id.in_(networks), child)


def _actor_is_the_plans_business(networks: list[uuid.UUID]) -> ColumnElement[bool]:
    """Calls that concerned no network nor member (a vendor's uploads before submitting, its
    look-ups that found no one, sign-ins by names that are no account) are the plan's to see
    when the caller is no one's (no organisation), a vendor that works with one of the plan's
    networks (a contract or a request there), or a vendor that works with no network at all
    (a stranger probing, the plan's to watch). Another plan's vendor stays the other plan's."""
    related = or_(
        AccessLog.org_id.in_(
            select(VendorContract.vendor_id).where(VendorContract.network_id.in_(networks))
        ),
        AccessLog.org_id.in_(
            select(AuthorizationRequest.vendor_id).where(
                AuthorizationRequest.network_id.in_(networks)
            )
        ),
    )
    stranger = and_(
        AccessLog.org_id.not_in(select(VendorContract.vendor_id)),
        AccessLog.org_id.not_in(select(AuthorizationRequest.vendor_id)),
    )
    return or_(
        AccessLog.org_kind == "none",
        and_(AccessLog.org_kind == OrgKind.VENDOR.value, or_(related, stranger)),
    )


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    filters: LogFilter,
    *,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> tuple[list[AccessLog], dict[uuid.UUID, list[tuple[str, uuid.UUID | None]]]]:
    """Entries newest first, with the (CIN, network) of each entry's members in scope.

    A network admin sees the entries that concern its network (the request's network, or a
    member's), and only those members; a plan admin sees its plan's networks, its own and its
    networks' staff's calls, and the calls that concerned no network nor member of callers
    that are its business (``_actor_is_the_plans_business``).
    """
    networks = await _scope_networks(session, principal)
    stmt = select(AccessLog)
    if principal.org_kind is OrgKind.NETWORK:
        stmt = stmt.where(_concerns(networks))
    else:
        orgs = [principal.org_id, *networks]
        stmt = stmt.where(
            or_(
                _concerns(networks),
                AccessLog.org_id.in_(orgs),
                and_(
                    AccessLog.network_id.is_(None),
                    AccessLog.member_count == 0,
                    _actor_is_the_plans_business(networks),
                ),
            )
        )
    if filters.member_cin is not None:
        member_id = await member_id_by_cin(session, filters.member_cin)
        if member_id is None:
            stmt = stmt.where(false())
        else:
            stmt = stmt.where(
                exists().where(
                    AccessLogMember.access_log_id == AccessLog.id,
                    AccessLogMember.member_id == member_id,
                )
            )
    if filters.subject is not None:
        stmt = stmt.where(AccessLog.subject == filters.subject)
    if filters.action is not None:
        stmt = stmt.where(AccessLog.action == filters.action)
    if filters.at_from is not None:
        stmt = stmt.where(AccessLog.at >= filters.at_from)
    if filters.at_to is not None:
        stmt = stmt.where(AccessLog.at < filters.at_to)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(or_(AccessLog.at < at, and_(AccessLog.at == at, AccessLog.id < last_id)))
    rows = list(
        await session.scalars(stmt.order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(limit))
    )
    members: dict[uuid.UUID, list[tuple[str, uuid.UUID | None]]] = {r.id: [] for r in rows}
    if rows:
        child = (
            select(AccessLogMember.access_log_id, Member.cin, AccessLogMember.network_id)
            .join(Member, Member.id == AccessLogMember.member_id)
            .where(AccessLogMember.access_log_id.in_(members.keys()))
            .order_by(Member.cin)
        )
        if principal.org_kind is OrgKind.NETWORK:
            child = child.where(AccessLogMember.network_id.in_(networks))
        else:
            child = child.where(
                or_(AccessLogMember.network_id.in_(networks), AccessLogMember.network_id.is_(None))
            )
        for log_id, cin, network_id in (await session.execute(child)).all():
            members[log_id].append((cin, network_id))
    return rows, members
