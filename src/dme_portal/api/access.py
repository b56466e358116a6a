"""The access-log dependency: routers record each PHI read or change with one call.

``AccessLogDep`` gives the router an object bound to the request's unit of work, its route
template, the client address and the stated purpose of use; the router adds one
``await access.record(principal, ...)`` after its service call, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.api.deps import ClockDep, SessionDep, SettingsDep
from dme_portal.api.problem import Problem
from dme_portal.audit import repository as audit_repository
from dme_portal.audit import service as audit_service
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.audit.repository import MemberRef
from dme_portal.auth.principal import Principal
from dme_portal.config import Settings
from dme_portal.sla.clock import Clock
from dme_portal.submissions.models import AuthorizationRequest

PURPOSE_HEADER = "X-Purpose-Of-Use"
PURPOSE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,63}$"

PurposeOfUse = Annotated[
    str | None,
    Header(
        alias=PURPOSE_HEADER,
        max_length=64,
        pattern=PURPOSE_PATTERN,
        description="Optional. Why you read or change this PHI, recorded in the access log: an "
        "HL7 PurposeOfUse code (`TREAT`, `HPAYMT`, `HOPERAT`, `HRESCH`...) or a short text "
        "(letters, digits, spaces and `._:/-`, at most 64 characters); 422 otherwise.",
        examples=["HPAYMT"],
    ),
]

THROTTLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "model": Problem,
        "description": "Too many member lookups by this caller in the last minute "
        "(`rate_limited.member_lookups`); retry after `Retry-After` seconds",
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    }
}


def location_id(response: Response) -> uuid.UUID | None:
    """The id at the end of a (replayed) response's Location, if any."""
    tail = response.headers.get("location", "").rstrip("/").rsplit("/", 1)[-1]
    try:
        return uuid.UUID(tail)
    except ValueError:
        return None


def _route_template(request: Request) -> str:
    """The path with each path parameter put back as ``{name}``: no CIN or id in it."""
    names = {str(v): k for k, v in request.path_params.items()}
    segments = request.url.path.split("/")
    return "/".join("{" + names[seg] + "}" if seg in names else seg for seg in segments)


class AccessLogger:
    """Records access-log entries for the current call, in its unit of work."""

    def __init__(
        self,
        *,
        session: AsyncSession,
        clock: Clock,
        settings: Settings,
        context: audit_service.CallContext,
    ) -> None:
        self._session = session
        self._clock = clock
        self._settings = settings
        self.context = context

    async def record(
        self,
        principal: Principal,
        *,
        action: AccessAction,
        resource_type: ResourceType,
        resource_id: uuid.UUID | str | None = None,
        network_id: uuid.UUID | None = None,
        requests: Iterable[AuthorizationRequest] = (),
        request_ids: Iterable[uuid.UUID] = (),
        members: Iterable[MemberRef] = (),
    ) -> None:
        """One entry for this call; the members come from ``requests``, ``request_ids`` and
        ``members`` together."""
        refs: list[MemberRef] = [(r.member_id, r.network_id) for r in requests]
        refs += await audit_repository.members_of_requests(self._session, list(request_ids))
        refs += list(members)
        if network_id is None and refs and len({n for _, n in refs}) == 1:
            network_id = refs[0][1]
        await audit_service.record(
            self._session,
            principal=principal,
            context=self.context,
            action=action,
            resource_type=resource_type,
            now=self._clock.now(),
            resource_id=resource_id,
            network_id=network_id,
            members=refs,
        )

    async def record_apart(
        self,
        principal: Principal,
        *,
        action: AccessAction,
        resource_type: ResourceType,
        outcome: Outcome,
        resource_id: str | None = None,
    ) -> None:
        """An entry that must outlive the call's error (a refused or failed lookup).

        Only for calls that change nothing (member lookups): the call's transaction is rolled
        back, and the entry alone is committed in it. A second connection would wait on the
        first's lock on SQLite (``BEGIN IMMEDIATE``); the later rollback finds nothing to undo.
        """
        await self._session.rollback()
        await audit_service.record(
            self._session,
            principal=principal,
            context=self.context,
            action=action,
            resource_type=resource_type,
            now=self._clock.now(),
            resource_id=resource_id,
            outcome=outcome,
        )
        await self._session.commit()

    async def guard_member_lookup(
        self,
        principal: Principal,
        *,
        action: AccessAction,
        resource_type: ResourceType,
        failed_only: bool = False,
    ) -> None:
        """Refuse (429) a caller past ``limits.member_lookups_per_minute``, leaving an entry.

        ``failed_only``: count only the look-ups that found no one (a submit's guard)."""
        limit = self._settings.limits.member_lookups_per_minute
        wait = await audit_service.lookups_left(
            self._session,
            principal=principal,
            limit=limit,
            now=self._clock.now(),
            failed_only=failed_only,
        )
        if wait is None:
            return
        await self.record_apart(
            principal, action=action, resource_type=resource_type, outcome=Outcome.THROTTLED
        )
        raise audit_service.throttled(limit=limit, retry_after=wait)


def get_access_logger(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    purpose: PurposeOfUse = None,
) -> AccessLogger:
    # request.client is the socket peer (or what uvicorn's --proxy-headers trusted): no
    # header a caller can set is read here.
    return AccessLogger(
        session=session,
        clock=clock,
        settings=settings,
        context=audit_service.CallContext(
            method=request.method,
            route=_route_template(request),
            client_address=request.client.host if request.client else None,
            purpose=purpose,
        ),
    )


AccessLogDep = Annotated[AccessLogger, Depends(get_access_logger)]
