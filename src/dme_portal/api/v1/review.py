"""Review: the queue, claims, information requests and decisions (reviewers and network systems)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from dme_portal.api.access import AccessLogDep, AccessLogger
from dme_portal.api.deps import Authenticator, ClockDep, SessionDep, require_json
from dme_portal.api.idempotent import REQUIRES_IF_MATCH
from dme_portal.api.pagination import decode_cursor, encode_cursor
from dme_portal.api.params import PageCursor, PageLimit, RequestId
from dme_portal.api.problem import problem_responses
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import Role
from dme_portal.codes import hcpcs
from dme_portal.errors import InvalidInput
from dme_portal.review import feed as review_feed
from dme_portal.review import repository as review_repository
from dme_portal.review import service as review_service
from dme_portal.review.reasons import REASONS
from dme_portal.review.schemas import (
    ChangePage,
    DecisionCreate,
    InformationRequestCreate,
    InformationRequestRead,
    QueuePage,
    ReasonCodeList,
    ReasonCodeRead,
    UrgencyChange,
)
from dme_portal.sla.policy import SlaState
from dme_portal.submissions import information
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.models import AuthorizationRequest, RequestStatus, Urgency
from dme_portal.submissions.schemas import AuthorizationRequestRead

router = APIRouter(tags=["review"])

REVIEW_ROLES = {Role.REVIEWER, Role.MEDICAL_DIRECTOR, Role.NETWORK_CLIENT}
Reviewer = Annotated[Principal, Depends(Authenticator(roles=REVIEW_ROLES))]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=200,
        description='Required. The request\'s ETag as you last read it (e.g. `"v3"`): 428 '
        "without it, 412 when the request changed since.",
    ),
]
_MAX_CHANGE_ID = 2**63 - 1
_ETAG = {"ETag": {"description": "The request's new version", "schema": {"type": "string"}}}


async def _changed(
    access: AccessLogger, principal: Principal, request: AuthorizationRequest
) -> None:
    await access.record(
        principal,
        action=AccessAction.CHANGE,
        resource_type=ResourceType.REQUEST,
        resource_id=request.id,
        requests=[request],
    )


def _read(
    request: AuthorizationRequest, response: Response, now: datetime
) -> AuthorizationRequestRead:
    response.headers["ETag"] = submission_service.etag_of(request)
    return submission_service.to_read(request, now=now)


@router.get(
    "/review/reason-codes",
    operation_id="listReasonCodes",
    response_model=ReasonCodeList,
    responses=problem_responses(401, 403),
    summary="Reason codes for denials and modifications",
)
async def reason_codes(_principal: Reviewer) -> ReasonCodeList:
    """Codes marked `medical_necessity` may only be used by a medical director."""
    return ReasonCodeList(
        items=[
            ReasonCodeRead(code=code, text=info.text, medical_necessity=info.medical_necessity)
            for code, info in REASONS.items()
        ]
    )


@router.get(
    "/review/queue",
    operation_id="listReviewQueue",
    response_model=QueuePage,
    responses=problem_responses(401, 403, 422),
    summary="The network's open requests, earliest due first",
)
async def queue(
    principal: Reviewer,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    status: Annotated[
        list[RequestStatus] | None,
        Query(
            max_length=10,
            description="Only these statuses (repeat to give several); `in_review` and `pended` "
            "by default.",
        ),
    ] = None,
    urgency: Annotated[Urgency | None, Query(description="Only this urgency.")] = None,
    sla_state: Annotated[SlaState | None, Query(description="on_time, at_risk or breached")] = None,
    category: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Only requests with a line in this DME category, e.g. `wheelchairs` "
            "(the `category` of `GET /v1/codes/hcpcs`).",
        ),
    ] = None,
    assigned: Annotated[
        review_repository.Assigned, Query(description="Filter by who has claimed the request.")
    ] = review_repository.Assigned.ANY,
    cursor: PageCursor = None,
    limit: PageLimit = 25,
) -> QueuePage:
    """Filter by status, urgency, SLA state, code category and assignment."""
    if category is not None and category not in hcpcs.CATEGORIES:
        raise InvalidInput("category", f"must be one of {', '.join(sorted(hcpcs.CATEGORIES))}")
    if sla_state in (SlaState.MET, SlaState.MISSED):
        raise InvalidInput("sla_state", "the queue holds open requests: on_time, at_risk, breached")
    filters = review_repository.QueueFilter(
        status=tuple(status) if status else (RequestStatus.IN_REVIEW, RequestStatus.PENDED),
        urgency=urgency,
        sla_state=sla_state,
        category=category,
        assigned=assigned,
    )
    now = clock.now()
    rows = await review_repository.queue(
        session,
        principal,
        filters,
        now=now,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    items = [submission_service.to_read(r, now=now) for r in rows[:limit]]
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.REQUEST,
        network_id=principal.network_id,
        requests=rows[:limit],
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.due_at, last.id)
    return QueuePage(items=items, next_cursor=next_cursor)


@router.post(
    "/review/requests/{request_id}/claim",
    operation_id="claimRequest",
    response_model=AuthorizationRequestRead,
    responses={200: {"headers": _ETAG}, **problem_responses(401, 403, 404, 409, 422)},
    summary="Claim a request from the queue",
)
async def claim(
    request_id: RequestId,
    principal: Reviewer,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    access: AccessLogDep,
) -> AuthorizationRequestRead:
    """Take the request: `assigned_to` names you and the queue shows it as yours. Claiming a
    request you hold already changes nothing; one another reviewer holds is a 409."""
    now = clock.now()
    found = await review_service.claim(session, principal=principal, request_id=request_id, now=now)
    await _changed(access, principal, found)
    return _read(found, response, now)


@router.post(
    "/review/requests/{request_id}/release",
    operation_id="releaseRequest",
    response_model=AuthorizationRequestRead,
    responses={200: {"headers": _ETAG}, **problem_responses(401, 403, 404, 409, 422)},
    summary="Release a claimed request",
)
async def release(
    request_id: RequestId,
    principal: Reviewer,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    access: AccessLogDep,
) -> AuthorizationRequestRead:
    """Give the request back to the queue, unassigned. Only the reviewer who holds it, or a
    medical director, may release it (409 otherwise)."""
    now = clock.now()
    found = await review_service.release(
        session, principal=principal, request_id=request_id, now=now
    )
    await _changed(access, principal, found)
    return _read(found, response, now)


@router.post(
    "/review/requests/{request_id}/information-requests",
    operation_id="requestInformation",
    status_code=201,
    response_model=InformationRequestRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_IF_MATCH,
    responses=problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
    summary="Pend the request: ask the vendor for information or documents",
)
async def request_information(
    request_id: RequestId,
    body: InformationRequestCreate,
    principal: Reviewer,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    if_match: IfMatch = None,
) -> InformationRequestRead:
    """The request becomes `pended` and the vendor sees the question in
    `open_information_request`; the vendor's answer puts it back in review. Where the network's
    policy says so, the SLA clock stands still until the answer."""
    asked = await review_service.request_information(
        session,
        principal=principal,
        request_id=request_id,
        body=body,
        if_match=if_match,
        now=clock.now(),
    )
    await access.record(
        principal,
        action=AccessAction.CREATE,
        resource_type=ResourceType.INFORMATION_REQUEST,
        resource_id=asked.id,
        requests=[asked.request],
    )
    return information.to_read(asked, asked.request)


@router.post(
    "/review/requests/{request_id}/decision",
    operation_id="decideRequest",
    response_model=AuthorizationRequestRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_IF_MATCH,
    responses={
        200: {"headers": _ETAG},
        **problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
    },
    summary="Decide the request's open lines",
)
async def decide(
    request_id: RequestId,
    body: DecisionCreate,
    principal: Reviewer,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    access: AccessLogDep,
    if_match: IfMatch = None,
) -> AuthorizationRequestRead:
    """Approve, modify or deny each open line. Needs If-Match.

    Medical-necessity denials and modifications need a physician (California HSC 1367.01(e)):
    a reviewer gets 403; a medical director decides as themself; a network system
    (`network_client`) names the physician in `deciding_physician` (422 without it or with an
    NPI that fails its check digit). The physician is kept on the line (`deciding_physician`)."""
    now = clock.now()
    decided = await review_service.decide(
        session,
        principal=principal,
        request_id=request_id,
        body=body,
        if_match=if_match,
        now=now,
    )
    await _changed(access, principal, decided)
    return _read(decided, response, now)


@router.post(
    "/review/requests/{request_id}/urgency",
    operation_id="downgradeUrgency",
    response_model=AuthorizationRequestRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_IF_MATCH,
    responses={
        200: {"headers": _ETAG},
        **problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
    },
    summary="Downgrade an expedited request to standard, with a reason",
)
async def downgrade(
    request_id: RequestId,
    body: UrgencyChange,
    principal: Reviewer,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    access: AccessLogDep,
    if_match: IfMatch = None,
) -> AuthorizationRequestRead:
    """The standard turnaround applies from receipt; the change is an event on the timeline."""
    now = clock.now()
    changed = await review_service.downgrade(
        session,
        principal=principal,
        request_id=request_id,
        reason=body.reason,
        if_match=if_match,
        now=now,
    )
    await _changed(access, principal, changed)
    return _read(changed, response, now)


@router.get(
    "/network/requests/changes",
    operation_id="listRequestChanges",
    response_model=ChangePage,
    responses=problem_responses(401, 403, 422),
    summary="New and changed requests of your network since a cursor",
)
async def changes(
    principal: Reviewer,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    cursor: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{1,19}$",
            description="`next_cursor` of the previous call; omit it (or send 0) to start from "
            "the beginning.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Most changes in one answer.")] = 50,
) -> ChangePage:
    """Poll with the returned `next_cursor`; each change carries the request as it is now, or,
    for a member who moved to your network, only the authorizations you honour (`continuity`,
    from the move's effective date). Only requests you could read by id appear."""
    assert principal.network_id is not None
    after = int(cursor or 0)
    if after > _MAX_CHANGE_ID:
        # The change log's ids are 64-bit; a larger number is no cursor this API returned.
        raise InvalidInput("cursor", "is not a cursor this API returned")
    page = await review_feed.read_changes(
        session, principal=principal, access=access, after=after, limit=limit, now=clock.now()
    )
    return ChangePage(items=page.items, next_cursor=str(page.next_cursor))
