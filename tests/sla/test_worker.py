"""The SLA clock on real requests: worker events exactly once, pauses, expedited requests."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.sla import worker
from dme_portal.sla.clock import FrozenClock
from dme_portal.submissions.models import Escalation, RequestEvent
from fixtures.factories import NOW, World, auth_headers, auth_headers_at, if_match, request_body
from fixtures.rules import no_csags, publish

URL = "/v1/authorization-requests"


async def submit(client: httpx.AsyncClient, settings: Settings, world: World, **kw: Any) -> Any:
    r = await client.post(
        URL,
        json=request_body(world, **kw),
        headers=auth_headers(settings, world.principal(Role.VENDOR)),
    )
    assert r.status_code == 201, r.text
    return r.json()


async def kinds(database: Database, request_id: str) -> list[str]:
    async with unit_of_work(database) as s:
        rows = await s.execute(
            select(RequestEvent.kind)
            .where(RequestEvent.request_id == uuid.UUID(request_id))
            .order_by(RequestEvent.sequence)
        )
        return list(rows.scalars().all())


class TestWorker:
    async def test_at_risk_then_breached_once_with_three_workers(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        body = await submit(client, settings, world)
        three = [worker.sweep(database, now=NOW + timedelta(hours=59)) for _ in range(3)]
        await asyncio.gather(*three)
        assert await kinds(database, body["id"]) == ["submitted"]

        now = NOW + timedelta(hours=61)
        await asyncio.gather(*(worker.sweep(database, now=now, batch=7) for _ in range(3)))
        clock.set(now)
        headers = auth_headers_at(settings, world.principal(Role.VENDOR), now)
        assert (await client.get(f"{URL}/{body['id']}", headers=headers)).json()[
            "sla_state"
        ] == "at_risk"
        assert await kinds(database, body["id"]) == ["submitted", "sla_at_risk"]

        now = NOW + timedelta(hours=72, seconds=1)
        await asyncio.gather(*(worker.sweep(database, now=now, batch=7) for _ in range(3)))
        await asyncio.gather(*(worker.sweep(database, now=now) for _ in range(3)))
        assert await kinds(database, body["id"]) == ["submitted", "sla_at_risk", "sla_breached"]
        async with unit_of_work(database) as s:
            escalations = (
                (
                    await s.execute(
                        select(Escalation).where(Escalation.request_id == uuid.UUID(body["id"]))
                    )
                )
                .scalars()
                .all()
            )
        assert len(escalations) == 1
        assert escalations[0].resolved_at is None

    async def test_late_worker_records_both_events_in_order(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        body = await submit(client, settings, world)
        await worker.sweep(database, now=NOW + timedelta(days=10))
        assert await kinds(database, body["id"]) == ["submitted", "sla_at_risk", "sla_breached"]

    async def test_decision_resolves_the_escalation_and_records_missed(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        body = await submit(client, settings, world)
        late = NOW + timedelta(hours=80)
        await worker.sweep(database, now=late)
        clock.set(late)
        reviewer = auth_headers_at(settings, world.principal(Role.REVIEWER), late)
        tag = (await client.get(f"{URL}/{body['id']}", headers=reviewer)).headers["ETag"]
        r = await client.post(
            f"/v1/review/requests/{body['id']}/decision",
            json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
            headers={**reviewer, "If-Match": tag},
        )
        assert r.json()["sla_state"] == "missed"
        async with unit_of_work(database) as s:
            esc = (
                await s.execute(
                    select(Escalation).where(Escalation.request_id == uuid.UUID(body["id"]))
                )
            ).scalar_one()
        assert esc.resolved_at == late


class TestPause:
    async def pend_and_answer(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        clock: FrozenClock,
        request_id: str,
    ) -> dict[str, Any]:
        clock.set(NOW + timedelta(hours=10))
        reviewer = auth_headers_at(settings, world.principal(Role.REVIEWER), clock.now())
        r = await client.post(
            f"/v1/review/requests/{request_id}/information-requests",
            json={"message": "Which side?"},
            headers=await if_match(client, reviewer, request_id),
        )
        assert r.status_code == 201
        clock.set(NOW + timedelta(hours=30))
        vendor = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        r = await client.post(
            f"{URL}/{request_id}/information-responses", json={"message": "Right."}, headers=vendor
        )
        assert r.status_code == 201
        return dict((await client.get(f"{URL}/{request_id}", headers=vendor)).json())

    async def test_due_moves_by_paused_time_where_the_network_pauses(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        doc = no_csags()
        doc["sla"]["pause_while_pended"] = True
        await publish(database, world.network_a, doc)
        body = await submit(client, settings, world)
        clock.set(NOW + timedelta(hours=20))
        paused = await client.get(
            f"{URL}/{body['id']}",
            headers=auth_headers_at(settings, world.principal(Role.VENDOR), clock.now()),
        )
        assert paused.json()["sla_paused"] is False  # not pended yet
        after = await self.pend_and_answer(client, settings, world, clock, body["id"])
        assert after["due_at"] == (NOW + timedelta(hours=92)).isoformat().replace("+00:00", "Z")
        assert after["paused_seconds"] == 20 * 3600
        assert after["sla_paused"] is False

    async def test_due_stays_where_the_network_does_not_pause(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        await publish(database, world.network_a, no_csags())
        body = await submit(client, settings, world)
        after = await self.pend_and_answer(client, settings, world, clock, body["id"])
        assert after["due_at"] == body["due_at"]
        assert after["paused_seconds"] == 0

    async def test_paused_clock_does_not_breach(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        clock: FrozenClock,
    ) -> None:
        doc = no_csags()
        doc["sla"]["pause_while_pended"] = True
        await publish(database, world.network_a, doc)
        body = await submit(client, settings, world)
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        await client.post(
            f"/v1/review/requests/{body['id']}/information-requests",
            json={"message": "?"},
            headers=await if_match(client, reviewer, body["id"]),
        )
        late = NOW + timedelta(days=5)
        await worker.sweep(database, now=late)
        assert await kinds(database, body["id"]) == [
            "submitted",
            "rules_evaluated",
            "information_requested",
        ]
        clock.set(late)
        read = await client.get(
            f"{URL}/{body['id']}",
            headers=auth_headers_at(settings, world.principal(Role.VENDOR), late),
        )
        assert read.json()["sla_state"] == "on_time"
        assert read.json()["sla_paused"] is True


class TestExpedited:
    async def test_reason_required_and_expedited_clock(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        r = await client.post(
            URL,
            json=request_body(world, urgency="expedited"),
            headers=auth_headers(settings, world.principal(Role.VENDOR)),
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "expedited_reason"
        body = await submit(
            client,
            settings,
            world,
            urgency="expedited",
            expedited_reason="Pressure injury risk without the cushion.",
        )
        assert body["due_at"] == (NOW + timedelta(hours=24)).isoformat().replace("+00:00", "Z")

    async def test_reviewer_downgrades_with_a_reason(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        body = await submit(
            client, settings, world, urgency="expedited", expedited_reason="Urgent."
        )
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        r = await client.post(
            f"/v1/review/requests/{body['id']}/urgency",
            json={"urgency": "standard", "reason": "No risk to life or function."},
            headers=await if_match(client, reviewer, body["id"]),
        )
        assert r.status_code == 200, r.text
        assert r.json()["urgency"] == "standard"
        assert r.json()["due_at"] == (NOW + timedelta(hours=72)).isoformat().replace("+00:00", "Z")
        assert (await kinds(database, body["id"]))[-1] == "urgency_downgraded"
        again = await client.post(
            f"/v1/review/requests/{body['id']}/urgency",
            json={"urgency": "standard", "reason": "x"},
            headers=await if_match(client, reviewer, body["id"]),
        )
        assert again.status_code == 409
        vendor = await client.post(
            f"/v1/review/requests/{body['id']}/urgency",
            json={"urgency": "standard", "reason": "x"},
            headers={**auth_headers(settings, world.principal(Role.VENDOR)), "If-Match": "*"},
        )
        assert vendor.status_code == 403


async def test_sla_transition_keeps_the_etag(
    client: httpx.AsyncClient, world: World, settings: Settings, database: Database
) -> None:
    """The worker's bookkeeping is not a change a reviewer has to re-read."""
    body = await submit(client, settings, world)
    headers = auth_headers(settings, world.principal(Role.REVIEWER))
    before = (await client.get(f"{URL}/{body['id']}", headers=headers)).headers["ETag"]
    await worker.sweep(database, now=NOW + timedelta(hours=80))
    after = (await client.get(f"{URL}/{body['id']}", headers=headers)).headers["ETag"]
    assert before == after
    assert (await kinds(database, body["id"]))[-1] == "sla_breached"
