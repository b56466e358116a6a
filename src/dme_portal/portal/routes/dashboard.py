"""The home page: the vendor's dashboard; other roles go to their first page."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from dme_portal.api.access import AccessLogDep
from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.roles import Role
from dme_portal.authorizations import reads
from dme_portal.authorizations import repository as authorization_repository
from dme_portal.authorizations.expiry import plan_today
from dme_portal.portal.session import PortalPrincipal
from dme_portal.portal.templating import navigation, render
from dme_portal.submissions import repository as request_repository
from dme_portal.submissions import service as submission_service
from dme_portal.submissions.models import RequestStatus
from dme_portal.submissions.schemas import AuthorizationRequestRead

router = APIRouter(include_in_schema=False)

EXPIRING_WITHIN_DAYS = 30
# A dashboard, not a list: the API's pages go further for a vendor with more open work.
DASHBOARD_ROWS = 100


@router.get("/")
async def home(
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    if principal.role is not Role.VENDOR:
        pages = navigation(principal)[1:]
        if pages:
            return RedirectResponse(pages[0].href, status_code=303)
        return render(request, "landing.html", settings=settings, principal=principal)
    now = clock.now()
    today = now.date()
    rows = await request_repository.list_readable(
        session,
        principal,
        request_repository.ListFilter(status=(RequestStatus.IN_REVIEW, RequestStatus.PENDED)),
        after=None,
        limit=DASHBOARD_ROWS,
    )
    open_requests = [
        read
        for read in (submission_service.view(r, now=now, viewer=principal.role) for r in rows)
        if isinstance(read, AuthorizationRequestRead)
    ]
    open_requests.sort(key=lambda r: r.due_at)
    questions = [r for r in open_requests if r.open_information_request is not None]
    expiring_rows = await authorization_repository.list_readable(
        session,
        principal,
        authorization_repository.ListFilter(
            ends_by=today + timedelta(days=EXPIRING_WITHIN_DAYS), today=today
        ),
        after=None,
        limit=DASHBOARD_ROWS,
        today=plan_today(now),
    )
    expiring = await reads.to_reads(session, expiring_rows, viewer=principal)
    await access.record(
        principal, action=AccessAction.LIST, resource_type=ResourceType.REQUEST, requests=rows
    )
    await access.record(
        principal,
        action=AccessAction.LIST,
        resource_type=ResourceType.AUTHORIZATION,
        members=[(a.member_id, a.network_id) for a in expiring_rows],
    )
    return render(
        request,
        "dashboard.html",
        settings=settings,
        principal=principal,
        now=now,
        open_requests=open_requests,
        questions=questions,
        expiring=expiring,
        expiring_days=EXPIRING_WITHIN_DAYS,
    )
