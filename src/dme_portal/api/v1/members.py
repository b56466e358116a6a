"""GET /v1/members/{cin}/eligibility."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from dme_portal.api.access import THROTTLE_RESPONSES, AccessLogDep
from dme_portal.api.deps import AnyPrincipal, ClockDep, SessionDep
from dme_portal.api.params import IsoDate
from dme_portal.api.problem import problem_responses
from dme_portal.audit import repository as audit_repository
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.errors import DomainError
from dme_portal.members import service as member_service
from dme_portal.members.schemas import Eligibility

router = APIRouter(prefix="/members", tags=["members"])


@router.get(
    "/{cin}/eligibility",
    operation_id="getEligibility",
    response_model=Eligibility,
    responses={**problem_responses(401, 404, 422), **THROTTLE_RESPONSES},
    summary="The member's network and CCS eligibility on a date",
)
async def eligibility(
    cin: Annotated[str, Path(pattern=r"^[0-9]{8}[A-Z]$", description="Medi-Cal CIN")],
    birth_date: Annotated[
        IsoDate,
        Query(
            description="The member's date of birth (YYYY-MM-DD). An unknown CIN and a birth "
            "date that does not match get the same 404."
        ),
    ],
    principal: AnyPrincipal,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    on: Annotated[
        IsoDate | None, Query(description="Date of service (YYYY-MM-DD); today by default")
    ] = None,
) -> Eligibility:
    """Which network decides for this member on the date, and whether CCS covers them.

    As Medi-Cal's AEVS does, it answers only to the CIN with the member's date of birth, so
    that a CIN alone does not tell which network a child belongs to. Each lookup, found or
    not, is written to the access log and counted against the caller's member-lookup limit
    (429 with `Retry-After` past it).
    """
    action, resource_type = AccessAction.ELIGIBILITY, ResourceType.MEMBER
    await access.guard_member_lookup(principal, action=action, resource_type=resource_type)
    day = on or clock.now().date()
    try:
        result = await member_service.eligibility(
            session, principal=principal, cin=cin, birth_date=birth_date, on=day
        )
    except DomainError:
        await access.record_apart(
            principal, action=action, resource_type=resource_type, outcome=Outcome.FAILED
        )
        raise
    member_id = await audit_repository.member_id_by_cin(session, cin)
    network_id = result.network.id if result.network else None
    await access.record(
        principal,
        action=action,
        resource_type=resource_type,
        resource_id=member_id,
        network_id=network_id,
        members=[(member_id, network_id)] if member_id else [],
    )
    return result
