"""GET /v1/members/{cin}/eligibility."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from dme_portal.api.deps import AnyPrincipal, ClockDep, SessionDep
from dme_portal.api.problem import problem_responses
from dme_portal.members import service as member_service
from dme_portal.members.schemas import Eligibility

router = APIRouter(prefix="/members", tags=["members"])


@router.get(
    "/{cin}/eligibility",
    response_model=Eligibility,
    responses=problem_responses(401, 404, 422),
    summary="The member's network and CCS eligibility on a date",
)
async def eligibility(
    cin: Annotated[str, Path(pattern=r"^[0-9]{8}[A-Z]$", description="Medi-Cal CIN")],
    principal: AnyPrincipal,
    session: SessionDep,
    clock: ClockDep,
    on: Annotated[date | None, Query(description="Date of service; today by default")] = None,
) -> Eligibility:
    """Which network decides for this member on the date, and whether CCS covers them."""
    day = on or clock.now().date()
    return await member_service.eligibility(session, principal=principal, cin=cin, on=day)
