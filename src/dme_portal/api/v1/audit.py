"""GET /v1/audit/access-log: who read or changed which member's PHI, when, from where, why."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from dme_portal.api.access import AccessLogDep
from dme_portal.api.deps import Authenticator, SessionDep
from dme_portal.api.pagination import decode_cursor, encode_cursor
from dme_portal.api.params import AwareIsoDateTime, PageCursor
from dme_portal.api.problem import problem_responses
from dme_portal.api.v1.reports import CSV_MEDIA_TYPE, wants_csv
from dme_portal.audit import repository as audit_repository
from dme_portal.audit import service as audit_service
from dme_portal.audit.models import AccessAction, AccessLog, ResourceType
from dme_portal.audit.schemas import (
    CSV_COLUMNS,
    AccessLogMemberRead,
    AccessLogPage,
    AccessLogRead,
)
from dme_portal.auth.principal import Principal
from dme_portal.csvsafe import safe_row

router = APIRouter(prefix="/audit", tags=["audit"])

AuditReader = Annotated[Principal, Depends(Authenticator(roles=audit_service.AUDIT_READERS))]


def _read(entry: AccessLog, members: list[tuple[str, uuid.UUID | None]]) -> AccessLogRead:
    return AccessLogRead(
        id=entry.id,
        at=entry.at,
        subject=entry.subject,
        role=entry.role,
        org_kind=entry.org_kind,
        org_id=entry.org_id,
        client_id=entry.client_id,
        action=entry.action,
        resource_type=entry.resource_type,
        resource_id=entry.resource_id,
        network_id=entry.network_id,
        member_count=entry.member_count,
        members=[AccessLogMemberRead(member_cin=c, network_id=n) for c, n in members],
        method=entry.method,
        route=entry.route,
        client_address=entry.client_address,
        outcome=entry.outcome,
        purpose=entry.purpose,
    )


def _csv(items: list[AccessLogRead]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for i in items:
        writer.writerow(
            safe_row(
                [
                    i.id,
                    i.at.isoformat().replace("+00:00", "Z"),
                    i.subject,
                    i.role,
                    i.org_kind,
                    i.org_id,
                    i.client_id,
                    i.action.value,
                    i.resource_type.value,
                    i.resource_id,
                    i.network_id,
                    " ".join(m.member_cin for m in i.members),
                    i.method,
                    i.route,
                    i.client_address,
                    i.outcome.value,
                    i.purpose,
                ]
            )
        )
    return out.getvalue()


@router.get(
    "/access-log",
    operation_id="listAccessLog",
    response_model=AccessLogPage,
    responses={
        200: {
            "description": "JSON by default; CSV (a header row, then one row per entry, the "
            "members' CINs space-separated in `member_cins`) when `Accept` asks for `text/csv`. "
            "Cells that would start a spreadsheet formula are prefixed with `'`.",
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
            "headers": {
                "Link": {
                    "description": 'CSV only: `<...cursor=...>; rel="next"` when more follow',
                    "schema": {"type": "string"},
                }
            },
        },
        **problem_responses(401, 403, 422),
    },
    summary="Who read or changed PHI: the access log, newest first",
)
async def access_log(
    request: Request,
    principal: AuditReader,
    session: SessionDep,
    access: AccessLogDep,
    member_cin: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{8}[A-Z]$",
            description="Only calls that returned or changed this member's PHI: who looked at "
            "this child's record.",
        ),
    ] = None,
    subject: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Only this caller, e.g. `user:reviewer-choc` or `client:acme-dme`.",
        ),
    ] = None,
    action: Annotated[AccessAction | None, Query(description="Only this action.")] = None,
    from_: Annotated[
        AwareIsoDateTime | None,
        Query(alias="from", description="Inclusive; ISO 8601 with a time zone."),
    ] = None,
    to: Annotated[
        AwareIsoDateTime | None,
        Query(description="Exclusive; ISO 8601 with a time zone."),
    ] = None,
    cursor: PageCursor = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Most entries on one page.")] = 100,
) -> AccessLogPage | Response:
    """Plan admins see their plan's entries; a network admin sees the entries that concern its
    network's requests and members, naming only those members. Reading the log is itself an
    entry (`audit-read`). Send `X-Purpose-Of-Use` to say why you look."""
    filters = audit_repository.LogFilter(
        member_cin=member_cin, subject=subject, action=action, at_from=from_, at_to=to
    )
    rows, members = await audit_repository.list_readable(
        session,
        principal,
        filters,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.at, last.id)
    items = [_read(r, members[r.id]) for r in rows[:limit]]
    member_id = await audit_repository.member_id_by_cin(session, member_cin) if member_cin else None
    await access.record(
        principal,
        action=AccessAction.AUDIT_READ,
        resource_type=ResourceType.ACCESS_LOG,
        network_id=principal.network_id,
        members=[(member_id, principal.network_id)] if member_id else [],
    )
    page = AccessLogPage(items=items, next_cursor=next_cursor)
    if wants_csv(request.headers.get("accept")):
        headers = {"Vary": "Accept"}
        if next_cursor:
            url = request.url.include_query_params(cursor=next_cursor)
            headers["Link"] = f'<{url.path}?{url.query}>; rel="next"'
        return Response(_csv(items), media_type=CSV_MEDIA_TYPE, headers=headers)
    return page
