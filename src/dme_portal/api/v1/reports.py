"""Transparency reports for the plan and network admins (DESIGN §10)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from dme_portal.api.access import AccessLogDep
from dme_portal.api.deps import Authenticator, ClockDep, SessionDep
from dme_portal.api.network_ref import NETWORK_REF_PATTERN, resolve_optional
from dme_portal.api.pagination import decode_cursor, encode_cursor
from dme_portal.api.params import IsoDate, PageCursor, PageLimit
from dme_portal.api.problem import problem_responses
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.principal import Principal
from dme_portal.reports import service as report_service
from dme_portal.reports.schemas import BreachPage, MetricsReport

router = APIRouter(prefix="/reports", tags=["reports"])

ReportReader = Annotated[Principal, Depends(Authenticator(roles=report_service.REPORT_ROLES))]
NetworkFilter = Annotated[
    str | None,
    Query(
        pattern=NETWORK_REF_PATTERN,
        description="One network, by id or code (`choc`); a network admin sees only its own "
        "(404 for another).",
        examples=["choc"],
    ),
]
CSV_MEDIA_TYPE = "text/csv"


def _quality(params: list[str]) -> float:
    for p in params:
        name, _, value = p.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def wants_csv(accept: str | None) -> bool:
    """Whether ``Accept`` prefers text/csv to JSON (JSON when absent, tied or unknown)."""
    if not accept:
        return False
    csv_q = json_q = wildcard_q = 0.0
    for part in accept.split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        q = _quality(params)
        if media == CSV_MEDIA_TYPE:
            csv_q = max(csv_q, q)
        elif media == "application/json":
            json_q = max(json_q, q)
        elif media in ("*/*", "application/*"):
            wildcard_q = max(wildcard_q, q)
    # An explicit text/csv beats a wildcard of the same quality, not an explicit JSON.
    return csv_q > 0 and csv_q > json_q and csv_q >= wildcard_q


@router.get(
    "/prior-authorization-metrics",
    operation_id="getPriorAuthorizationMetrics",
    response_model=MetricsReport,
    responses={
        200: {
            "description": "JSON by default; CSV (a header row, then the `items`) when the "
            "`Accept` header asks for `text/csv`.",
            "content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}},
        },
        **problem_responses(401, 403, 404, 422),
    },
    summary="Prior-authorization metrics per network and urgency",
)
async def prior_authorization_metrics(
    request: Request,
    principal: ReportReader,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    from_: Annotated[
        IsoDate, Query(alias="from", description="First day (UTC, YYYY-MM-DD), inclusive.")
    ],
    to: Annotated[
        IsoDate,
        Query(description="Day after the last (UTC, YYYY-MM-DD), exclusive; at most 366 days."),
    ],
    network: NetworkFilter = None,
) -> MetricsReport | Response:
    """Over the requests received in [from, to): volumes, outcomes, share decided by rules,
    pended and extended requests, decision times and SLA compliance. A plan admin sees every
    network of the plan side by side; a network admin its own network."""
    network_id = await resolve_optional(session, network)
    report = await report_service.metrics(
        session,
        principal=principal,
        start=from_,
        end=to,
        network_id=network_id,
        now=clock.now(),
    )
    # Aggregates only: the entry names no member.
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.REPORT,
        resource_id="prior-authorization-metrics",
        network_id=network_id or principal.network_id,
    )
    if wants_csv(request.headers.get("accept")):
        return Response(
            report_service.metrics_csv(report),
            media_type=CSV_MEDIA_TYPE,
            headers={"Vary": "Accept"},
        )
    return report


@router.get(
    "/sla-breaches",
    operation_id="listSlaBreaches",
    response_model=BreachPage,
    responses=problem_responses(401, 403, 404, 422),
    summary="Open requests past their deadline, most overdue first",
)
async def sla_breaches(
    principal: ReportReader,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
    network: NetworkFilter = None,
    cursor: PageCursor = None,
    limit: PageLimit = 25,
) -> BreachPage:
    """In review or pended, with the clock running and the deadline passed; `escalated` tells
    whether the SLA worker has put it on the network's escalation list."""
    now = clock.now()
    rows = await report_service.sla_breaches(
        session,
        principal=principal,
        network_id=await resolve_optional(session, network),
        now=now,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    # Each breach names a request, hence a member.
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.REPORT,
        resource_id="sla-breaches",
        network_id=principal.network_id,
        request_ids=[r.request_id for r in rows[:limit]],
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(last.due_at, last.request_id)
    return BreachPage(generated_at=now, items=rows[:limit], next_cursor=next_cursor)
