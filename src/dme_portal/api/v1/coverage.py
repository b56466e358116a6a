"""POST /v1/coverage-checks: would this request need authorization, and be approved now?"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from dme_portal.api.access import THROTTLE_RESPONSES, AccessLogDep
from dme_portal.api.deps import Authenticator, ClockDep, SessionDep, require_json
from dme_portal.api.problem import problem_responses
from dme_portal.audit import repository as audit_repository
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES
from dme_portal.errors import DomainError
from dme_portal.members.service import MemberNotFound
from dme_portal.rulesets.schemas import CoverageCheckResult
from dme_portal.submissions import coverage
from dme_portal.submissions.schemas import AuthorizationRequestCreate

router = APIRouter(prefix="/coverage-checks", tags=["coverage checks"])


@router.post(
    "",
    operation_id="checkCoverage",
    response_model=CoverageCheckResult,
    dependencies=[Depends(require_json)],
    responses={
        **problem_responses(401, 403, 404, 415, 422),
        404: {
            **problem_responses(404)[404],
            "description": "No member has this CIN and birth date (`member.not_found`, the "
            "same answer as eligibility's, whether the CIN exists or not)",
        },
        **THROTTLE_RESPONSES,
    },
    summary="Check coverage for a draft request (nothing is stored)",
)
async def check(
    body: AuthorizationRequestCreate,
    principal: Annotated[Principal, Depends(Authenticator(roles=VENDOR_ROLES))],
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> CoverageCheckResult:
    """Per line: authorization required here, documents needed, would it be approved now, why.

    The member is found by `member_cin` with `member_birth_date`, as eligibility finds them:
    an unknown CIN and a wrong birth date get the same 404, and nothing else is told. A member
    lookup: each check is counted against the caller's member-lookup limit (429 with
    `Retry-After` past it) and written to the access log."""
    action, resource_type = AccessAction.COVERAGE_CHECK, ResourceType.COVERAGE_CHECK
    await access.guard_member_lookup(principal, action=action, resource_type=resource_type)
    try:
        result = await coverage.check(session, principal=principal, body=body, now=clock.now())
    except DomainError as exc:
        outcome = Outcome.NOT_FOUND if isinstance(exc, MemberNotFound) else Outcome.FAILED
        await access.record_apart(
            principal, action=action, resource_type=resource_type, outcome=outcome
        )
        raise
    member_id = await audit_repository.member_id_by_cin(session, body.member_cin)
    await access.record(
        principal,
        action=action,
        resource_type=resource_type,
        network_id=result.network.id,
        members=[(member_id, result.network.id)] if member_id else [],
    )
    return result
