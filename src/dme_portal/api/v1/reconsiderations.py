"""Reconsideration: the vendor asks, the network's other physician decides (DESIGN §8)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from dme_portal.api import idempotent
from dme_portal.api.access import AccessLogDep, location_id
from dme_portal.api.deps import (
    AnyPrincipal,
    Authenticator,
    ClockDep,
    SessionDep,
    SettingsDep,
    require_json,
)
from dme_portal.api.idempotent import REQUIRES_IF_MATCH, REQUIRES_KEY, IdempotencyKey
from dme_portal.api.pagination import decode_cursor, encode_cursor
from dme_portal.api.params import PageCursor, PageLimit, RequestId
from dme_portal.api.problem import problem_responses
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import VENDOR_ROLES, Role
from dme_portal.reconsiderations import repository as reconsideration_repository
from dme_portal.reconsiderations import service as reconsideration_service
from dme_portal.reconsiderations.models import ReconsiderationStatus
from dme_portal.reconsiderations.schemas import (
    ReconsiderationCreate,
    ReconsiderationDecision,
    ReconsiderationList,
    ReconsiderationPage,
    ReconsiderationRead,
    ReconsiderationView,
)

router = APIRouter(tags=["reconsideration"])

VendorPrincipal = Annotated[Principal, Depends(Authenticator(roles=VENDOR_ROLES))]
REVIEW_ROLES = {Role.REVIEWER, Role.MEDICAL_DIRECTOR, Role.NETWORK_CLIENT}
Reviewer = Annotated[Principal, Depends(Authenticator(roles=REVIEW_ROLES))]
ReconsiderationId = Annotated[uuid.UUID, Path(description="The reconsideration's `id`.")]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=100,
        description="Required. The reconsideration's ETag as you last read it: 428 without "
        "it, 412 when it changed since.",
    ),
]
_ETAG = {"ETag": {"description": "The reconsideration's version", "schema": {"type": "string"}}}


@router.post(
    "/authorization-requests/{request_id}/reconsiderations",
    operation_id="requestReconsideration",
    status_code=201,
    response_model=ReconsiderationRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_KEY,
    responses={
        201: {
            "description": "Created (or replayed for a repeated Idempotency-Key)",
            "headers": {
                "Location": {
                    "description": "URL of the reconsideration",
                    "schema": {"type": "string"},
                },
                **_ETAG,
            },
        },
        **problem_responses(401, 403, 404, 409, 415, 422, 428),
        409: {
            **problem_responses(409)[409],
            "description": "A reconsideration of one of the lines is open already "
            "(`reconsideration.already_open`), or the Idempotency-Key was used with another "
            "body",
        },
    },
    summary="Ask for reconsideration of denied or modified lines",
)
async def request_reconsideration(
    request: Request,
    request_id: RequestId,
    body: ReconsiderationCreate,
    principal: VendorPrincipal,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    access: AccessLogDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """On the family's behalf, within the network's reconsideration period after the decision
    (`reconsideration.request_within_days` of the ruleset the request was decided under, 60
    days by default; 422 naming the last day after it). Each line must be `denied` or
    `modified` (422 naming `lines[i]`) and not under reconsideration already (409). A
    physician other than the one who decided reconsiders it, on its own clock from now: the
    ruleset's `turnaround_days` (30), or `expedited_turnaround_hours` (72) when `expedited`."""
    now = clock.now()
    claimed = await idempotent.claim(
        session,
        principal=principal,
        key=idempotency_key,
        operation=f"reconsideration.request:{request_id}",
        payload=body.model_dump(mode="json"),
        now=now,
        window=settings.idempotency.window,
    )
    if claimed.replay is not None:
        await access.record(
            principal,
            action=AccessAction.READ,
            resource_type=ResourceType.RECONSIDERATION,
            resource_id=location_id(claimed.replay),
            request_ids=[request_id],
        )
        return claimed.replay
    created, found = await reconsideration_service.request_reconsideration(
        session, principal=principal, request_id=request_id, body=body, now=now
    )
    await access.record(
        principal,
        action=AccessAction.CREATE,
        resource_type=ResourceType.RECONSIDERATION,
        resource_id=created.id,
        requests=[found],
    )
    payload = reconsideration_service.to_read(created).model_dump(mode="json")
    location = str(request.url_for("get_reconsideration", reconsideration_id=created.id).path)
    await claimed.complete(session, status=201, body=payload, location=location)
    return JSONResponse(
        payload,
        status_code=201,
        headers={"Location": location, "ETag": reconsideration_service.etag_of(created)},
    )


@router.get(
    "/authorization-requests/{request_id}/reconsiderations",
    operation_id="listRequestReconsiderations",
    response_model=ReconsiderationList,
    responses=problem_responses(401, 404, 422),
    summary="A request's reconsiderations",
)
async def list_for_request(
    request_id: RequestId, principal: AnyPrincipal, session: SessionDep, access: AccessLogDep
) -> ReconsiderationList:
    """Oldest first. Status readers (network admins, care coordinators, the plan's admins
    and systems) read each as `ReconsiderationStatusView`: status, clock
    and outcome, without the reason, documents, note or physician."""
    found, items = await reconsideration_service.list_for_request(
        session, principal=principal, request_id=request_id
    )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.RECONSIDERATION,
        resource_id=request_id,
        requests=[found],
    )
    return ReconsiderationList(
        items=[reconsideration_service.view(r, principal.role) for r in items]
    )


@router.get(
    "/reconsiderations/{reconsideration_id}",
    operation_id="getReconsideration",
    name="get_reconsideration",
    response_model=ReconsiderationView,
    responses={200: {"headers": _ETAG}, **problem_responses(401, 404, 422)},
    summary="Read one reconsideration",
)
async def get_reconsideration(
    reconsideration_id: ReconsiderationId,
    response: Response,
    principal: AnyPrincipal,
    session: SessionDep,
    access: AccessLogDep,
) -> ReconsiderationView:
    """404 outside your scope; status readers read the status view."""
    recon, found = await reconsideration_service.get(
        session, principal=principal, reconsideration_id=reconsideration_id
    )
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.RECONSIDERATION,
        resource_id=recon.id,
        requests=[found],
    )
    response.headers["ETag"] = reconsideration_service.etag_of(recon)
    return reconsideration_service.view(recon, principal.role)


@router.get(
    "/review/reconsiderations",
    operation_id="listReconsiderationQueue",
    response_model=ReconsiderationPage,
    responses=problem_responses(401, 403, 422),
    summary="The network's reconsiderations, earliest due first",
)
async def queue(
    principal: Reviewer,
    session: SessionDep,
    access: AccessLogDep,
    status: Annotated[
        ReconsiderationStatus,
        Query(description="`open` (the default: waiting for a physician) or `decided`."),
    ] = ReconsiderationStatus.OPEN,
    cursor: PageCursor = None,
    limit: PageLimit = 25,
) -> ReconsiderationPage:
    """Kept apart from the request queue (`GET /v1/review/queue`): a reconsideration runs on
    its own clock and only a medical director other than the one who decided may take it."""
    rows = await reconsideration_repository.network_queue(
        session,
        principal,
        status=status,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = rows[:limit]
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.RECONSIDERATION,
        network_id=principal.network_id,
        request_ids=[r.request_id for r in page],
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.due_at, last.id)
    return ReconsiderationPage(
        items=[reconsideration_service.to_read(r) for r in page], next_cursor=next_cursor
    )


@router.post(
    "/review/reconsiderations/{reconsideration_id}/decision",
    operation_id="decideReconsideration",
    response_model=ReconsiderationRead,
    dependencies=[Depends(require_json)],
    openapi_extra=REQUIRES_IF_MATCH,
    responses={
        200: {"headers": _ETAG},
        **problem_responses(401, 403, 404, 409, 412, 415, 422, 428),
        403: {
            **problem_responses(403)[403],
            "description": "Not a medical director or a network system "
            "(`reconsideration.physician_required`), or the physician who made the original "
            "decision (`reconsideration.same_physician`)",
        },
    },
    summary="Uphold or overturn each line under reconsideration",
)
async def decide(
    reconsideration_id: ReconsiderationId,
    body: ReconsiderationDecision,
    principal: Reviewer,
    session: SessionDep,
    clock: ClockDep,
    response: Response,
    access: AccessLogDep,
    if_match: IfMatch = None,
) -> ReconsiderationRead:
    """Needs If-Match (the reconsideration's ETag). Only a medical director other than the one
    who decided the lines, or the network's UM system (`network_client`) naming in
    `deciding_physician` a physician whose NPI differs from the original's. Overturning a line
    approves it (a smaller quantity or shorter period makes it `modified`) and issues its
    authorization, or amends the one a modified line had."""
    now = clock.now()
    recon, found = await reconsideration_service.decide(
        session,
        principal=principal,
        reconsideration_id=reconsideration_id,
        body=body,
        if_match=if_match,
        now=now,
    )
    await access.record(
        principal,
        action=AccessAction.CHANGE,
        resource_type=ResourceType.RECONSIDERATION,
        resource_id=recon.id,
        requests=[found],
    )
    response.headers["ETag"] = reconsideration_service.etag_of(recon)
    return reconsideration_service.to_read(recon)
