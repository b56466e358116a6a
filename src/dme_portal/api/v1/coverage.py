"""POST /v1/coverage-checks: would this request need authorization, and be approved now?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from dme_portal.api.deps import Authenticator, ClockDep, SessionDep, require_json
from dme_portal.api.problem import problem_responses
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES
from dme_portal.rulesets.schemas import CoverageCheckResult
from dme_portal.submissions import coverage
from dme_portal.submissions.schemas import AuthorizationRequestCreate

router = APIRouter(prefix="/coverage-checks", tags=["coverage checks"])


@router.post(
    "",
    operation_id="checkCoverage",
    response_model=CoverageCheckResult,
    dependencies=[Depends(require_json)],
    responses=problem_responses(401, 403, 415, 422),
    summary="Check coverage for a draft request (nothing is stored)",
)
async def check(
    body: AuthorizationRequestCreate,
    principal: Annotated[Principal, Depends(Authenticator(roles=VENDOR_ROLES))],
    session: SessionDep,
    clock: ClockDep,
) -> CoverageCheckResult:
    """Per line: authorization required here, documents needed, would it be approved now, why."""
    return await coverage.check(session, principal=principal, body=body, now=clock.now())
