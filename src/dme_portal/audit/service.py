"""Recording and reading the PHI access log (HIPAA 45 CFR 164.312(b), audit controls)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.audit import repository
from dme_portal.audit.exceptions import MemberLookupsThrottled
from dme_portal.audit.models import AccessAction, AccessLog, Outcome, ResourceType
from dme_portal.audit.repository import MemberRef
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.netaddr import valid_ip

LOOKUP_WINDOW = timedelta(minutes=1)
AUDIT_READERS = frozenset({Role.PLAN_ADMIN, Role.NETWORK_ADMIN})


@dataclass(frozen=True, slots=True)
class CallContext:
    """Where a call came from: the HTTP method, route template, address and stated purpose."""

    method: str
    route: str
    client_address: str | None
    purpose: str | None


def client_id_of(principal: Principal) -> str | None:
    """The machine client's id (``client:<id>`` subjects), else None."""
    prefix, _, rest = principal.subject.partition(":")
    return rest if prefix == "client" and principal.is_machine else None


async def record(
    session: AsyncSession,
    *,
    principal: Principal,
    context: CallContext,
    action: AccessAction,
    resource_type: ResourceType,
    now: datetime,
    resource_id: uuid.UUID | str | None = None,
    network_id: uuid.UUID | None = None,
    members: Iterable[MemberRef] = (),
    outcome: Outcome = Outcome.SUCCESS,
) -> AccessLog:
    """Append one access-log entry, with the members whose PHI the call returned or changed."""
    entry = AccessLog(
        id=uuid.uuid4(),
        at=now,
        subject=principal.subject[:200],
        role=principal.role.value,
        org_kind=principal.org_kind.value,
        org_id=principal.org_id,
        client_id=client_id_of(principal),
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        network_id=network_id,
        member_count=0,
        method=context.method[:8],
        route=context.route[:200],
        client_address=valid_ip(context.client_address),
        outcome=outcome,
        purpose=context.purpose,
    )
    await repository.add(session, entry, members)
    return entry


async def lookups_left(
    session: AsyncSession,
    *,
    principal: Principal,
    limit: int,
    now: datetime,
    failed_only: bool = False,
) -> int | None:
    """None when the caller may look a member up now; else the seconds until it may.

    Counted from the access log itself (every lookup is an entry), so the limit holds across
    API processes and restarts: a sliding window of one minute. ``failed_only`` counts only
    the look-ups that found no one (a submit's guard: a vendor's own work never blocks it).
    """
    count, oldest = await repository.recent_lookups(
        session, principal, now - LOOKUP_WINDOW, failed_only=failed_only
    )
    if count < limit:
        return None
    if oldest is None:  # pragma: no cover - count > 0 means a row exists
        return 1
    return max(1, math.ceil((oldest + LOOKUP_WINDOW - now).total_seconds()))


def throttled(*, limit: int, retry_after: int) -> MemberLookupsThrottled:
    return MemberLookupsThrottled(limit=limit, retry_after=retry_after)
