"""Request detail: status, lines with outcome and authorization number, timeline."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from starlette.responses import Response

from dme_portal.api.access import AccessLogDep
from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.audit.models import AccessAction, ResourceType
from dme_portal.auth.roles import Role
from dme_portal.errors import Forbidden
from dme_portal.portal.session import PortalPrincipal
from dme_portal.portal.templating import render
from dme_portal.submissions import repository as request_repository
from dme_portal.submissions import service as submission_service
from dme_portal.submissions import views
from dme_portal.submissions.schemas import AuthorizationRequestRead

router = APIRouter(include_in_schema=False)


@router.get("/requests/{request_id}")
async def request_detail(
    request_id: uuid.UUID,
    request: Request,
    principal: PortalPrincipal,
    settings: SettingsDep,
    session: SessionDep,
    clock: ClockDep,
    access: AccessLogDep,
) -> Response:
    """One of the vendor's requests (the 404 page for any other id)."""
    if principal.role is not Role.VENDOR:
        raise Forbidden("This page is for vendors; your role's pages are in the navigation.")
    found = await submission_service.get(session, principal=principal, request_id=request_id)
    read = submission_service.view(found, now=clock.now(), viewer=principal.role)
    assert isinstance(read, AuthorizationRequestRead)
    events = [
        views.event_read(e, principal.role)
        for e in await request_repository.list_events(session, found.id)
    ]
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.REQUEST,
        resource_id=found.id,
        requests=[found],
    )
    await access.record(
        principal,
        action=AccessAction.READ,
        resource_type=ResourceType.TIMELINE,
        resource_id=found.id,
        requests=[found],
    )
    return render(
        request,
        "request_detail.html",
        settings=settings,
        principal=principal,
        now=clock.now(),
        item=read,
        events=events,
    )
