"""Read authorizations in the principal's scope, and the read model each gets (issue 16)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind
from dme_portal.authorizations import repository
from dme_portal.authorizations.exceptions import AuthorizationNotFound
from dme_portal.authorizations.models import Authorization
from dme_portal.authorizations.schemas import (
    CCS_ELIGIBILITY_ENDS_BEFORE,
    AuthorizationLink,
    AuthorizationMember,
    AuthorizationRead,
    AuthorizationVendor,
    AuthorizationWarning,
    Continuity,
)
from dme_portal.codes import hcpcs
from dme_portal.networks.models import Network
from dme_portal.rules.ruleset import Renewals
from dme_portal.rulesets import registry
from dme_portal.rulesets import repository as ruleset_repository
from dme_portal.submissions.models import AuthorizationState
from dme_portal.submissions.schemas import NetworkRef

# What a network honouring an authorization under continuity reads as its ``issued_by``.
CONTINUITY_ISSUER = "network"


async def get(
    session: AsyncSession, *, principal: Principal, authorization_id: uuid.UUID, today: date
) -> Authorization:
    """One authorization in the principal's scope on ``today`` (the plan's date); 404
    otherwise (existence never leaks)."""
    found = await repository.get_readable(session, principal, authorization_id, today=today)
    if found is None:
        raise AuthorizationNotFound()
    return found


async def renewal_windows(
    session: AsyncSession, network_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Each network's renewal window in days, from its current ruleset (the default without)."""
    windows: dict[uuid.UUID, int] = {}
    for network_id in set(network_ids):
        current = await ruleset_repository.current_version(session, network_id)
        if current is None:
            windows[network_id] = Renewals().window_days
        else:
            compiled = registry.compiled(network_id, current.version, current.document)
            windows[network_id] = compiled.renewals.window_days
    return windows


async def to_reads(
    session: AsyncSession, rows: list[Authorization], *, viewer: Principal | None = None
) -> list[AuthorizationRead]:
    """The read models of ``rows``, in a fixed number of queries per network on the page.

    A ``viewer`` of a network that honours a row under continuity (not the issuing one) is
    not told who decided at the issuing network (``issued_by`` reads ``network``)."""
    related = await repository.related(session, rows)
    windows = await renewal_windows(session, (r.network_id for r in rows))
    reads = [to_read(r, related=related, window_days=windows[r.network_id]) for r in rows]
    if viewer is not None and viewer.org_kind is OrgKind.NETWORK:
        for row, read in zip(rows, reads, strict=True):
            if row.network_id != viewer.org_id:
                read.issued_by = CONTINUITY_ISSUER
    return reads


def _network_ref(network: Network) -> NetworkRef:
    return NetworkRef(id=network.id, code=network.code, name=network.name)


def _link(related: repository.Related, target: uuid.UUID | None) -> AuthorizationLink | None:
    if target is None or target not in related.links:
        return None
    link_id, number = related.links[target]
    return AuthorizationLink(id=link_id, number=number)


def warnings_for(row: Authorization, ccs_eligible_to: date | None) -> list[AuthorizationWarning]:
    """What to check before billing: CCS eligibility that ends before the authorization."""
    found: list[AuthorizationWarning] = []
    if ccs_eligible_to is not None and ccs_eligible_to < row.end_date:
        found.append(
            AuthorizationWarning(
                code=CCS_ELIGIBILITY_ENDS_BEFORE,
                message=f"The member's CCS eligibility ends on {ccs_eligible_to.isoformat()}, "
                f"before the authorization ends on {row.end_date.isoformat()}: check "
                "eligibility before supplying after that day.",
            )
        )
    return found


def to_read(
    row: Authorization, *, related: repository.Related, window_days: int
) -> AuthorizationRead:
    """The API view of one authorization."""
    member = related.members[row.member_id]
    vendor = related.vendors[row.vendor_id]
    code = hcpcs.lookup(row.hcpcs)
    continuity = None
    if row.continuity_network_id is not None and row.continuity_until is not None:
        continuity = Continuity(
            network=_network_ref(related.networks[row.continuity_network_id]),
            until=row.continuity_until,
        )
    return AuthorizationRead(
        id=row.id,
        number=row.number,
        state=AuthorizationState(row.state.value),
        member=AuthorizationMember(
            cin=member.cin, first_name=member.first_name, last_name=member.last_name
        ),
        vendor=AuthorizationVendor(id=vendor.id, name=vendor.name),
        source_network=_network_ref(related.networks[row.network_id]),
        request_id=row.request_id,
        line_number=row.line_number,
        hcpcs=row.hcpcs,
        description=code.description if code else "",
        modifiers=list(row.modifiers or []),
        quantity=row.quantity,
        unit=row.unit,
        frequency=row.frequency,
        brand=row.brand,
        start_date=row.start_date,
        end_date=row.end_date,
        renewable_from=row.end_date - timedelta(days=window_days),
        issued_at=row.issued_at,
        issued_by=row.issued_by,
        renews=_link(related, row.renews_id),
        superseded_by=_link(related, row.superseded_by_id),
        continuity=continuity,
        ccs_eligible_to=member.ccs_eligible_to,
        warnings=warnings_for(row, member.ccs_eligible_to),
        version=row.version,
    )


def etag_of(row: Authorization) -> str:
    return f'"v{row.version}"'
