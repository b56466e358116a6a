"""Authorization requests: submit, list, read, timeline, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from dme_portal.api import idempotent
from dme_portal.api.access import THROTTLE_RESPONSES, AccessLogDep, location_id
from dme_portal.api.deps import (
    AnyPrincipal,
    Authenticator,
    ClockDep,
    SessionDep,
    SettingsDep,
    require_json,
)
from dme_portal.api.idempotent import REQUIRES_IF_MATCH, REQUIRES_KEY, IdempotencyKey
from dme_portal.api.network_ref import NetworkQuery, resolve_optional
from dme_portal.api.pagination import decode_cursor, encode_cursor
from dme_portal.api.params import AwareIsoDateTime, PageCursor, PageLimit, RequestId
from dme_portal.api.problem import problem_responses
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES
from dme_portal.members.service import MemberNotFound
from dme_portal.review import service as review_service
from dme_portal.review.schemas import InformationResponseCreate
from dme_portal.submissions import information, repository, views
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.models import RequestStatus
from dme_portal.submissions.schemas import (
    AuthorizationRequestCreate,
    AuthorizationRequestPage,
    AuthorizationRequestRead,
    AuthorizationRequestStatusView,
    AuthorizationRequestView,
    CancelBody,
    EventList,
    InformationRequestList,
    InformationRequestRead,
)

router = APIRouter(prefix="/authorization-requests", tags=["authorization requests"])

VendorPrincipal = Annotated[Principal, Depends(Authenticator(roles=VENDOR_ROLES))]
QuestionReader = Annotated[Principal, Depends(Authenticator(roles=information.QUESTION_READERS))]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=100,
        description="Required. The ETag you last read; 428 without it, 412 when stale.",
    ),
]

_ETAG_HEADER = {"ETag": {"description": "The request's version", "schema": {"type": "string"}}}


@router.post(
    "",
    operation_id="submitAuthorizationRequest",
    status_code=201,
    response_model=AuthorizationRequestRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_KEY,
    responses={
        201: {
            "description": "Created (or replayed for a repeated Idempotency-Key)",
            "headers": {
                "Location": {"description": "URL of the request", "schema": {"type": "string"}},
                **_ETAG_HEADER,
            },
        },
        **problem_responses(401, 403, 404, 409, 415, 422, 428),
        404: {
            **problem_responses(404)[404],
            "description": "No member has this CIN and birth date (`member.not_found`, the "
            "same answer as eligibility's, whether the CIN exists or not)",
        },
        409: {
            **problem_responses(409)[409],
            "description": "The Idempotency-Key was used with another body, or the member "
            "already has an open request or an authorization in force for the same code and "
            "an overlapping period (`authorization_request.duplicate`: your own request is "
            "named; another vendor's is not described at all)",
        },
        **THROTTLE_RESPONSES,
    },
    summary="Submit an authorization request",
)
async def submit(
    request: Request,
    body: AuthorizationRequestCreate,
    principal: VendorPrincipal,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    access: AccessLogDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """The hub routes the request to the member's network and starts the SLA clock.

    Lines a condition-specific group covers are approved at once when their documents are on
    file (`attachment_ids`); otherwise they wait for the documents (`awaiting_documents`).
    A second `initial` request for the same member, code and an overlapping period is a 409.
    The member is found by `member_cin` with `member_birth_date`: when they match no one, the
    same 404 as eligibility; such failed matches count against the member-lookup limit (429
    with `Retry-After` past it), successful submits do not.
    """
    now = clock.now()
    claimed = await idempotent.claim(
        session,
        principal=principal,
        key=idempotency_key,
        operation="authorization_request.submit",
        payload=body.model_dump(mode="json"),
        now=now,
        window=settings.idempotency.window,
    )
    if claimed.replay is not None:
        replayed = location_id(claimed.replay)
        await access.record(
            principal,
            action=AccessAction.READ,
            resource_type=ResourceType.REQUEST,
            resource_id=replayed,
            request_ids=[replayed] if replayed else [],
        )
        return claimed.replay
    # Only submits that match no member count against the look-up limit (docs/SECURITY.md).
    await access.guard_member_lookup(
        principal, action=AccessAction.CREATE, resource_type=ResourceType.MEMBER, failed_only=True
    )
    try:
        created = await submission_service.submit(
            session,
            principal=principal,
            body=body,
            now=now,
            default_at_risk_fraction=settings.sla.at_risk_fraction,
        )
    except MemberNotFound:
        await access.record_apart(
            principal,
            action=AccessAction.CREATE,
            resource_type=ResourceType.MEMBER,
            outcome=Outcome.NOT_FOUND,
        )
        raise
    await repository.load_read_details(session, created)
    await access.record(
        principal,
        action=AccessAction.CREATE,
        resource_type=ResourceType.REQUEST,
        resource_id=created.id,
        requests=[created],
    )
    payload = submission_service.to_read(created, now=now, viewer=principal.role).model_dump(
        mode="json"
    )
    location = str(request.url_for("get_authorization_request", request_id=created.id).path)
    await claimed.complete(session, status=201, body=payload, location=location)
    return JSONResponse(
        payload,
        status_code=201,
        headers={"Location": location, "ETag": submission_service.etag_of(created)},
    )


@router.get(
    "",
    operation_id="listAuthorizationRequests",
    response_model=AuthorizationRequestPage,
    responses={**problem_responses(401, 422), **THROTTLE_RESPONSES},
    summary="List the requests you may see, newest first",
)
async def list_requests(
    principal: AnyPrincipal,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    status: Annotated[
        list[RequestStatus] | None,
        Query(max_length=10, description="Only these statuses; repeat to give several."),
    ] = None,
    member_cin: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{8}[A-Z]$",
            description="Only this member's requests (a Medi-Cal CIN): a member look-up, "
            "logged and counted against your limit (429 with `Retry-After` past it).",
            examples=["91234567A"],
        ),
    ] = None,
    network_id: NetworkQuery = None,
    submitted_from: Annotated[
        AwareIsoDateTime | None,
        Query(description="Inclusive; ISO 8601 with a time zone, e.g. 2026-11-02T15:00:00Z"),
    ] = None,
    submitted_to: Annotated[
        AwareIsoDateTime | None,
        Query(description="Exclusive; ISO 8601 with a time zone, e.g. 2026-11-09T15:00:00Z"),
    ] = None,
    cursor: PageCursor = None,
    limit: PageLimit = 25,
) -> AuthorizationRequestPage:
    """Filter by status, member, network and submission time; follow ``next_cursor``.

    Filtered by `member_cin`, the call is a member look-up: logged whatever it finds, and
    counted against the caller's limit."""
    action = AccessAction.SEARCH if member_cin else AccessAction.LIST
    if member_cin is not None:
        await access.guard_member_lookup(
            principal, action=action, resource_type=ResourceType.REQUEST
        )
    filters = repository.ListFilter(
        status=tuple(status or ()),
        member_cin=member_cin,
        network_id=await resolve_optional(session, network_id),
        submitted_from=submitted_from,
        submitted_to=submitted_to,
    )
    after = decode_cursor(cursor) if cursor else None
    rows = await repository.list_readable(session, principal, filters, after=after, limit=limit + 1)
    now = clock.now()
    items = [submission_service.view(r, now=now, viewer=principal.role) for r in rows[:limit]]
    await access.record(
        principal,
        action=action,
        resource_type=ResourceType.REQUEST,
        # An answer with nothing in it still shows in the caller's network's log.
        network_id=None if rows else principal.network_id,
        requests=rows[:limit],
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.received_at, last.id)
    return AuthorizationRequestPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{request_id}",
    operation_id="getAuthorizationRequest",
    name="get_authorization_request",
    response_model=AuthorizationRequestView,
    responses={
        200: {
            "headers": _ETAG_HEADER,
            "description": "`AuthorizationRequestRead`; for status readers (network admins, care "
            "coordinators, the plan's admins and systems) the "
            "`AuthorizationRequestStatusView` (`view: status`), with nothing clinical in it",
        },
        **problem_responses(401, 404, 422),
    },
    summary="Read one request",
)
async def get_request(
    request_id: RequestId,
    response: Response,
    principal: AnyPrincipal,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> AuthorizationRequestRead | AuthorizationRequestStatusView:
    """The request with its lines, SLA state and ``waiting_on``; 404 outside your scope.

    Status readers (network admins, care coordinators, the plan's admins and systems) read
    the status view (`AuthorizationRequestStatusView`): status, clock,
    `waiting_on`, lines and authorizations, without diagnoses, notes or decision texts."""
    found = await submission_service.get(session, principal=principal, request_id=request_id)
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.REQUEST,
        resource_id=found.id,
        requests=[found],
    )
    response.headers["ETag"] = submission_service.etag_of(found)
    return submission_service.view(found, now=clock.now(), viewer=principal.role)


@router.get(
    "/{request_id}/events",
    operation_id="listAuthorizationRequestEvents",
    response_model=EventList,
    responses=problem_responses(401, 404, 422),
    summary="The request's timeline",
)
async def list_events(
    request_id: RequestId, principal: AnyPrincipal, session: SessionDep, access: AccessLogDep
) -> EventList:
    """Every change of state, oldest first: who, when, what and why.

    Status readers (network admins, care coordinators, the plan's admins and systems) read
    each entry without its clinical detail: no `reason` text, and in
    `data` only clock, routing and authorization facts (no decision texts or rule names)."""
    rows = await submission_service.events(session, principal=principal, request_id=request_id)
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.TIMELINE,
        resource_id=request_id,
        request_ids=[request_id],
    )
    return EventList(items=[views.event_read(e, principal.role) for e in rows])


@router.get(
    "/{request_id}/information-requests",
    operation_id="listInformationRequests",
    response_model=InformationRequestList,
    responses=problem_responses(401, 403, 404, 422),
    summary="The network's questions to the vendor, with the answers",
)
async def list_information_requests(
    request_id: RequestId, principal: QuestionReader, session: SessionDep, access: AccessLogDep
) -> InformationRequestList:
    """Oldest first, each with its answer once given. Not for status readers (network admins,
    care coordinators, the plan's admins and systems: 403): the
    questions and answers can carry clinical detail; `waiting_on` says what the request awaits."""
    request, questions = await information.list_for(
        session, principal=principal, request_id=request_id
    )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.INFORMATION_REQUEST,
        resource_id=request_id,
        requests=[request],
    )
    return InformationRequestList(items=[information.to_read(q, request) for q in questions])


@router.post(
    "/{request_id}/information-responses",
    operation_id="answerInformationRequest",
    status_code=201,
    response_model=InformationRequestRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_KEY,
    responses=problem_responses(401, 403, 404, 409, 415, 422, 428),
    summary="Answer the network's request for information",
)
async def respond(
    request_id: RequestId,
    body: InformationResponseCreate,
    principal: VendorPrincipal,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    access: AccessLogDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Text and attachments (uploaded first); the request goes back to review."""
    now = clock.now()
    claimed = await idempotent.claim(
        session,
        principal=principal,
        key=idempotency_key,
        operation=f"authorization_request.respond:{request_id}",
        payload=body.model_dump(mode="json"),
        now=now,
        window=settings.idempotency.window,
    )
    if claimed.replay is not None:
        await access.record(
            principal,
            action=AccessAction.READ,
            resource_type=ResourceType.INFORMATION_REQUEST,
            resource_id=request_id,
            request_ids=[request_id],
        )
        return claimed.replay
    answered = await review_service.respond(
        session, principal=principal, request_id=request_id, body=body, now=now
    )
    await access.record(
        principal,
        action=AccessAction.CREATE,
        resource_type=ResourceType.INFORMATION_REQUEST,
        resource_id=answered.id,
        requests=[answered.request],
    )
    payload = information.to_read(answered, answered.request).model_dump(mode="json")
    await claimed.complete(session, status=201, body=payload, location=None)
    return JSONResponse(payload, status_code=201)


@router.post(
    "/{request_id}/cancel",
    operation_id="cancelAuthorizationRequest",
    response_model=AuthorizationRequestRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_IF_MATCH,
    responses={
        200: {"headers": _ETAG_HEADER},
        **problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
    },
    summary="Cancel a request that is not decided yet",
)
async def cancel(
    request_id: RequestId,
    response: Response,
    principal: VendorPrincipal,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    body: CancelBody | None = None,
    if_match: IfMatch = None,
) -> AuthorizationRequestRead:
    """Only the submitting vendor may cancel, and only before a decision.

    Needs If-Match. Authorizations the rules already issued on the request become `void`,
    and the request's SLA state is `cancelled` (neither met nor missed).
    """
    now = clock.now()
    cancelled = await submission_service.cancel(
        session,
        principal=principal,
        request_id=request_id,
        if_match=if_match,
        reason=body.reason if body else None,
        now=now,
    )
    await access.record(
        principal,
        action=AccessAction.CHANGE,
        resource_type=ResourceType.REQUEST,
        resource_id=cancelled.id,
        requests=[cancelled],
    )
    response.headers["ETag"] = submission_service.etag_of(cancelled)
    return submission_service.to_read(cancelled, now=now, viewer=principal.role)
