"""GET /v1/members/{cin}/eligibility; GET and POST /v1/members/{cin}/enrollments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from dme_portal.api import idempotent
from dme_portal.api.access import THROTTLE_RESPONSES, AccessLogDep
from dme_portal.api.deps import (
    AnyPrincipal,
    Authenticator,
    ClockDep,
    SessionDep,
    SettingsDep,
    require_json,
)
from dme_portal.api.idempotent import REQUIRES_KEY, IdempotencyKey
from dme_portal.api.params import IsoDate
from dme_portal.api.problem import problem_responses
from dme_portal.audit import repository as audit_repository
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import NETWORK_ROLES, Role
from dme_portal.errors import DomainError
from dme_portal.members import enrollments as enrollment_service
from dme_portal.members import service as member_service
from dme_portal.members.schemas import (
    Eligibility,
    EnrollmentChange,
    EnrollmentCreate,
    EnrollmentHistory,
)

router = APIRouter(prefix="/members", tags=["members"])

CinPath = Annotated[str, Path(pattern=r"^[0-9]{8}[A-Z]$", description="Medi-Cal CIN")]
EnrollmentWriter = Annotated[
    Principal, Depends(Authenticator(roles={Role.PLAN_ADMIN, Role.PLAN_CLIENT}))
]
EnrollmentReader = Annotated[
    Principal,
    Depends(
        Authenticator(
            roles={Role.PLAN_ADMIN, Role.PLAN_CLIENT, Role.CARE_COORDINATOR, *NETWORK_ROLES}
        )
    ),
]


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
            principal, action=action, resource_type=resource_type, outcome=Outcome.NOT_FOUND
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


@router.post(
    "/{cin}/enrollments",
    operation_id="recordEnrollment",
    status_code=201,
    response_model=EnrollmentChange,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_KEY,
    responses={
        201: {
            "description": "Recorded: the previous period closed the day before, and the "
            "authorizations in force carried over when the network changed (or a replay for a "
            "repeated Idempotency-Key)",
        },
        200: {
            "model": EnrollmentChange,
            "description": "Exactly this period was already on file: nothing changed "
            "(`outcome: unchanged`)",
        },
        **problem_responses(401, 403, 404, 409, 415, 422, 428),
    },
    summary="Record a member's enrollment in a network (a move between networks)",
)
async def record_enrollment(
    cin: CinPath,
    body: EnrollmentCreate,
    principal: EnrollmentWriter,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    access: AccessLogDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The plan (its admin, or its enrollment system as a `plan_client`) records that the
    member is enrolled in `network` from `effective_from`.

    The member's open period ends the day before. When the network changes, every
    authorization in force on `effective_from` or later stays honoured, still by the network
    that issued it, for the plan's continuity period (`continuity_months`, 12 by default: W&I
    Code 14094.13), and names the new network: `member_moved_network` on each request's
    timeline and in the old network's change feed at once; the new network sees these
    authorizations only from `effective_from`, when its feed gets one `member_moved_network`
    change with the continuity view (authorization numbers, items, periods, source network,
    `continuity_until`; never the old network's request). Periods are never rewritten: a start on or
    before the latest period's start is a 422 on `effective_from`. A member enrolled only in
    another plan's networks is a 404; a network of another plan a 422 on `network`.
    """
    now = clock.now()
    claimed = await idempotent.claim(
        session,
        principal=principal,
        key=idempotency_key,
        operation="member.enrollment",
        payload={"cin": cin, **body.model_dump(mode="json")},
        now=now,
        window=settings.idempotency.window,
    )
    if claimed.replay is not None:
        member_id = await audit_repository.member_id_by_cin(session, cin)
        await access.record(
            principal,
            action=AccessAction.READ,
            resource_type=ResourceType.MEMBER,
            resource_id=member_id,
            members=[(member_id, None)] if member_id else [],
        )
        return claimed.replay
    result = await enrollment_service.enroll(
        session, principal=principal, cin=cin, body=body, now=now
    )
    network_id = result.enrollment[1].id
    await access.record(
        principal,
        action=AccessAction.CREATE if result.outcome == "applied" else AccessAction.READ,
        resource_type=ResourceType.MEMBER,
        resource_id=result.member.id,
        network_id=network_id,
        members=[(result.member.id, network_id)],
    )
    payload = (await enrollment_service.change_read(session, result)).model_dump(mode="json")
    status = 201 if result.outcome == "applied" else 200
    location = f"/v1/members/{cin}/enrollments"
    await claimed.complete(session, status=status, body=payload, location=location)
    return JSONResponse(payload, status_code=status, headers={"Location": location})


@router.get(
    "/{cin}/enrollments",
    operation_id="listEnrollments",
    response_model=EnrollmentHistory,
    responses={**problem_responses(401, 403, 404, 422), **THROTTLE_RESPONSES},
    summary="The member's enrollment history",
)
async def list_enrollments(
    cin: CinPath,
    principal: EnrollmentReader,
    session: SessionDep,
    access: AccessLogDep,
) -> EnrollmentHistory:
    """Every period of the member's enrollment, oldest first: the plan's roles see all of
    them, a network's roles only the periods in their network (404 when there is none).
    Vendors ask `eligibility` instead (403).

    A member look-up by CIN: each one, found or not, is written to the access log and counted
    against the caller's member-lookup limit (429 with `Retry-After` past it)."""
    action, resource_type = AccessAction.SEARCH, ResourceType.MEMBER
    await access.guard_member_lookup(principal, action=action, resource_type=resource_type)
    try:
        periods = await enrollment_service.history(session, principal=principal, cin=cin)
    except DomainError:
        await access.record_apart(
            principal, action=action, resource_type=resource_type, outcome=Outcome.FAILED
        )
        raise
    member_id = periods[0][0].member_id
    await access.record(
        principal,
        action=action,
        resource_type=resource_type,
        resource_id=member_id,
        network_id=principal.network_id,
        members=[(member_id, principal.network_id or periods[-1][1].id)],
    )
    return EnrollmentHistory(cin=cin, items=[enrollment_service.period_read(p) for p in periods])
