"""Issue 21.0: the access logger is a domain object. A service given one by any door (here a
background job, with no HTTP request) scopes and logs exactly as the API does."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from dme_portal.audit.access import AccessLogger, CallContext, worker_context
from dme_portal.audit.models import AccessAction, AccessLog, ResourceType
from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.review import feed
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import World, submit_request


async def test_the_feed_service_logs_through_a_logger_built_without_a_request(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    created = await submit_request(client, settings, world)
    principal = world.principal(Role.NETWORK_CLIENT)
    async with unit_of_work(database) as s:
        access = AccessLogger(
            session=s, clock=clock, settings=settings, context=worker_context("um-export")
        )
        page = await feed.read_changes(
            s, principal=principal, access=access, after=0, limit=200, now=clock.now()
        )
        ids = {item.request.id for item in page.items if item.request is not None}
        assert str(created["id"]) in {str(i) for i in ids}
        # Another network's client, same service: nothing of A's, and logged as such.
        other = world.principal(Role.NETWORK_CLIENT, world.network_b)
        elsewhere = await feed.read_changes(
            s,
            principal=other,
            access=AccessLogger(
                session=s,
                clock=clock,
                settings=settings,
                context=CallContext(
                    method="POST", route="/fhir/Subscription", client_address=None, purpose="TREAT"
                ),
            ),
            after=0,
            limit=200,
            now=clock.now(),
        )
        assert [i for i in elsewhere.items if i.request and i.request.id in ids] == []
    async with unit_of_work(database) as s:
        entries = list(
            await s.scalars(
                select(AccessLog).where(
                    AccessLog.org_id.in_([world.network_a.id, world.network_b.id]),
                    AccessLog.role == Role.NETWORK_CLIENT.value,
                )
            )
        )
    by_route = {e.route: e for e in entries}
    job = by_route["job:um-export"]
    assert (job.method, job.action, job.resource_type) == (
        "JOB",
        AccessAction.LIST,
        ResourceType.REQUEST,
    )
    assert job.member_count == 1
    assert job.network_id == world.network_a.id
    fhir = by_route["/fhir/Subscription"]
    assert (fhir.purpose, fhir.member_count, fhir.network_id) == ("TREAT", 0, world.network_b.id)
