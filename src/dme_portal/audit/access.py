"""The domain access logger: every door (API, portal, worker, webhooks, FHIR) records each PHI
read or change with the same object, built from the unit of work, the clock, the settings and
a ``CallContext`` (the actor's route, address and stated purpose), with no HTTP request.

A service that returns a child's data takes one (``access: AccessLogger``) and records in the
caller's transaction; the doors only build it (``api/access.py`` from the HTTP request).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from dme_portal.audit import repository as audit_repository
from dme_portal.audit import service as audit_service
from dme_portal.audit.models import AccessAction, Outcome, ResourceType
from dme_portal.audit.repository import MemberRef
from dme_portal.audit.service import CallContext
from dme_portal.auth.principal import Principal
from dme_portal.config import Settings
from dme_portal.sla.clock import Clock
from dme_portal.submissions.models import AuthorizationRequest

__all__ = ["AccessLogger", "CallContext", "worker_context"]


def worker_context(job: str) -> CallContext:
    """The context of a background job (no address, no HTTP method): ``job:<name>``."""
    return CallContext(method="JOB", route=f"job:{job}", client_address=None, purpose=None)


class AccessLogger:
    """Records access-log entries for the current call, in its unit of work."""

    def __init__(
        self,
        *,
        session: AsyncSession,
        clock: Clock,
        settings: Settings,
        context: CallContext,
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
