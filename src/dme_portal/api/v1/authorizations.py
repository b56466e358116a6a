"""Authorizations in force (and once in force): list and read, in the caller's scope."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from dme_portal.api.access import THROTTLE_RESPONSES, AccessLogDep
from dme_portal.api.deps import AnyPrincipal, ClockDep, SessionDep
from dme_portal.api.network_ref import NetworkQuery, resolve_optional
from dme_portal.api.pagination import decode_date_cursor, encode_date_cursor
from dme_portal.api.params import PageCursor, PageLimit
from dme_portal.api.problem import problem_responses
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.authorizations import reads, repository
from dme_portal.authorizations.models import AuthorizationStatus
from dme_portal.authorizations.schemas import AuthorizationPage, AuthorizationRead
from dme_portal.submissions.models import AuthorizationState

router = APIRouter(prefix="/authorizations", tags=["authorizations"])

AuthorizationId = Annotated[uuid.UUID, Path(description="The authorization's `id`.")]
_ETAG_HEADER = {
    "ETag": {"description": "The authorization's version", "schema": {"type": "string"}}
}


@router.get(
    "",
    operation_id="listAuthorizations",
    response_model=AuthorizationPage,
    responses={**problem_responses(401, 422), **THROTTLE_RESPONSES},
    summary="List the authorizations you may see, soonest end first",
)
async def list_authorizations(
    principal: AnyPrincipal,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    member_cin: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{8}[A-Z]$",
            description="Only this member's (a Medi-Cal CIN): a member look-up, logged and "
            "counted against your limit (429 with `Retry-After` past it).",
            examples=["91234567A"],
        ),
    ] = None,
    code: Annotated[
        str | None,
        Query(pattern=r"^[A-Z][0-9]{4}$", description="Only this HCPCS code.", examples=["L1960"]),
    ] = None,
    network: NetworkQuery = None,
    state: Annotated[
        list[AuthorizationState] | None,
        Query(max_length=5, description="Only these states; repeat to give several."),
    ] = None,
    expiring_within_days: Annotated[
        int | None,
        Query(
            ge=0,
            le=366,
            description="Only those in force (`active` or `expiring`) that end within this "
            "many days of today (the hub's date, UTC): `end_date` from today to today + N.",
            examples=[30],
        ),
    ] = None,
    cursor: PageCursor = None,
    limit: PageLimit = 25,
) -> AuthorizationPage:
    """Vendors see their own; a network's staff and coordinators the network's, and those it
    honours for members who moved there (continuity of care); the plan every network's.

    Filter by member, code, network (issuing or honouring), state, and
    `expiring_within_days`; follow `next_cursor`. Filtered by `member_cin`, the call is a
    member look-up: logged whatever it finds, and counted against the caller's limit."""
    action = AccessAction.SEARCH if member_cin else AccessAction.LIST
    if member_cin is not None:
        await access.guard_member_lookup(
            principal, action=action, resource_type=ResourceType.AUTHORIZATION
        )
    today = clock.now().date()
    filters = repository.ListFilter(
        member_cin=member_cin,
        hcpcs=code,
        network_id=await resolve_optional(session, network),
        states=tuple(AuthorizationStatus(s.value) for s in state or ()),
        ends_by=None
        if expiring_within_days is None
        else today + timedelta(days=expiring_within_days),
        today=today,
    )
    after = decode_date_cursor(cursor) if cursor else None
    rows = await repository.list_readable(session, principal, filters, after=after, limit=limit + 1)
    page = rows[:limit]
    items = await reads.to_reads(session, page)
    await access.record(
        principal,
        action=action,
        resource_type=ResourceType.AUTHORIZATION,
        # An answer with nothing in it still shows in the caller's network's log.
        network_id=None if page else principal.network_id,
        members=[(r.member_id, r.network_id) for r in page],
    )
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_date_cursor(last.end_date, last.id)
    return AuthorizationPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{authorization_id}",
    operation_id="getAuthorization",
    name="get_authorization",
    response_model=AuthorizationRead,
    responses={200: {"headers": _ETAG_HEADER}, **problem_responses(401, 404, 422)},
    summary="Read one authorization",
)
async def get_authorization(
    authorization_id: AuthorizationId,
    response: Response,
    principal: AnyPrincipal,
    session: SessionDep,
    access: AccessLogDep,
) -> AuthorizationRead:
    """Its number, period, quantity and state, what it renews or was superseded by, its
    continuity across networks, when a renewal may be filed (`renewable_from`), and warnings;
    404 outside your scope."""
    found = await reads.get(session, principal=principal, authorization_id=authorization_id)
    (read,) = await reads.to_reads(session, [found])
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.AUTHORIZATION,
        resource_id=found.id,
        members=[(found.member_id, found.network_id)],
    )
    response.headers["ETag"] = reads.etag_of(found)
    return read
