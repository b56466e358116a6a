"""GET /v1/reports/sla-breaches: open requests past due with the clock running, most late first.

Hub times are hours after NOW (2026-11-02T15:00Z). Network A stops the clock while pended and
gives expedited requests 24 hours; network B never stops it. The list is read at +90h20m:

  R1  A std  received +0, claimed +1; due +72               listed, 18.33 h late
  R2  A std  received +0, decided at +80 (late)             not listed: decided
  R3  A std  received +0, pended +1 (clock stopped)         not listed: paused
  R4  A exp  received +10, due +34; the worker escalates     listed, 56.33 h late, escalated
            it at +40
  R5  B std  received +50, due +122                          not listed: not due yet
  R6  B std  received +0, cancelled +2                       not listed: cancelled
  R7  B std  received +1, pended +2 (clock runs), due +73   listed, 17.33 h late
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.networks.models import Network
from dme_portal.sla import worker
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, World, assert_problem, auth_headers_at, cancel, request_body
from fixtures.rules import no_csags, publish

URL = "/v1/reports/sla-breaches"
REQUESTS = "/v1/authorization-requests"
READ_AT = NOW + timedelta(hours=90, minutes=20)


class Scenario:
    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
    ) -> None:
        self.client, self.settings, self.world, self.clock = client, settings, world, clock
        self.ids: dict[str, str] = {}

    def headers(self, role: Role, org: Any = None) -> dict[str, str]:
        return auth_headers_at(self.settings, self.world.principal(role, org), self.clock.now())

    async def submit(self, name: str, hours: float, network: Network, **kw: Any) -> str:
        self.clock.set(NOW + timedelta(hours=hours))
        if network.id == self.world.network_b.id:
            kw["member_cin"] = self.world.member_b.cin
        r = await self.client.post(
            REQUESTS, json=request_body(self.world, **kw), headers=self.headers(Role.VENDOR)
        )
        assert r.status_code == 201, r.text
        self.ids[name] = str(r.json()["id"])
        return self.ids[name]

    async def post(
        self,
        hours: float,
        path: str,
        role: Role,
        org: Any = None,
        *,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        self.clock.set(NOW + timedelta(hours=hours))
        r = await self.client.post(
            path, headers={**self.headers(role, org), **(headers or {})}, **kw
        )
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    async def etag_of(self, request_id: str) -> dict[str, str]:
        """``If-Match`` with the request's ETag as the plan admin reads it now."""
        r = await self.client.get(f"{REQUESTS}/{request_id}", headers=self.headers(Role.PLAN_ADMIN))
        assert r.status_code == 200, r.text
        return {"If-Match": r.headers["ETag"]}

    async def read(self, name: str) -> dict[str, Any]:
        # The vendor's full read (the plan reads the status view, without `assigned_to`).
        r = await self.client.get(f"{REQUESTS}/{self.ids[name]}", headers=self.headers(Role.VENDOR))
        return dict(r.json())

    async def withdraw_open(self) -> None:
        """Cancel what is still open: other tests' SLA sweeps process every open request."""
        self.clock.set(READ_AT + timedelta(hours=1))
        vendor = self.headers(Role.VENDOR)
        for request_id in self.ids.values():
            r = await cancel(self.client, vendor, request_id, json={})
            assert r.status_code in (200, 409), r.text

    async def breaches(self, role: Role, org: Any = None, **params: Any) -> httpx.Response:
        self.clock.set(READ_AT)
        return await self.client.get(URL, params=params, headers=self.headers(role, org))


@pytest.fixture
async def scenario(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> AsyncIterator[Scenario]:
    doc = no_csags()
    doc["sla"].update(pause_while_pended=True, expedited_hours=24)
    await publish(database, world.network_a, doc)
    s = Scenario(client, settings, world, clock)
    a, b = world.network_a, world.network_b
    r1 = await s.submit("R1", 0, a)
    await s.post(1, f"/v1/review/requests/{r1}/claim", Role.REVIEWER)
    r2 = await s.submit("R2", 0, a)
    s.clock.set(NOW + timedelta(hours=80))
    etag = (await s.client.get(f"{REQUESTS}/{r2}", headers=s.headers(Role.REVIEWER))).headers[
        "ETag"
    ]
    decided = await s.post(
        80,
        f"/v1/review/requests/{r2}/decision",
        Role.REVIEWER,
        json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
        headers={"If-Match": etag},
    )
    assert decided["sla_state"] == "missed"
    r3 = await s.submit("R3", 0, a)
    ask = {"json": {"message": "Which side?"}}
    await s.post(
        1,
        f"/v1/review/requests/{r3}/information-requests",
        Role.REVIEWER,
        headers=await s.etag_of(r3),
        **ask,
    )
    await s.submit("R4", 10, a, urgency="expedited", expedited_reason="Pressure injury risk.")
    await worker.sweep(database, now=NOW + timedelta(hours=40))
    await s.submit("R5", 50, b)
    r6 = await s.submit("R6", 0, b)
    s.clock.set(NOW + timedelta(hours=2))
    assert (await cancel(s.client, s.headers(Role.VENDOR), r6, json={})).status_code == 200
    r7 = await s.submit("R7", 1, b)
    await s.post(
        2,
        f"/v1/review/requests/{r7}/information-requests",
        Role.REVIEWER,
        b,
        headers=await s.etag_of(r7),
        **ask,
    )
    yield s
    await s.withdraw_open()


async def expected(s: Scenario, name: str, hours_late: float, escalated: bool) -> dict[str, Any]:
    read = await s.read(name)
    return {
        "request_id": read["id"],
        "network_id": read["network"]["id"],
        "network_name": read["network"]["name"],
        "status": read["status"],
        "urgency": read["urgency"],
        "received_at": read["received_at"],
        "due_at": read["due_at"],
        "hours_late": hours_late,
        "assigned_to": read["assigned_to"],
        "waiting_on": read["waiting_on"],
        "escalated": escalated,
    }


class TestBreaches:
    async def test_lists_late_open_requests_most_overdue_first(self, scenario: Scenario) -> None:
        r = await scenario.breaches(Role.PLAN_ADMIN)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["generated_at"] == "2026-11-06T09:20:00Z"
        assert body["next_cursor"] is None
        assert body["items"] == [
            await expected(scenario, "R4", 56.33, True),  # due +34
            await expected(scenario, "R1", 18.33, False),  # due +72
            await expected(scenario, "R7", 17.33, False),  # due +73
        ]
        r1, r4, r7 = body["items"][1], body["items"][0], body["items"][2]
        assert r1["assigned_to"] == "user:test-reviewer"
        assert r1["status"] == "in_review"
        assert r4["urgency"] == "expedited"
        assert r7["status"] == "pended"
        assert r7["network_id"] == str(scenario.world.network_b.id)

    async def test_pages_by_due_time(self, scenario: Scenario) -> None:
        first = (await scenario.breaches(Role.PLAN_ADMIN, limit=2)).json()
        assert [i["request_id"] for i in first["items"]] == [
            scenario.ids["R4"],
            scenario.ids["R1"],
        ]
        assert first["next_cursor"]
        second = (
            await scenario.breaches(Role.PLAN_ADMIN, limit=2, cursor=first["next_cursor"])
        ).json()
        assert [i["request_id"] for i in second["items"]] == [scenario.ids["R7"]]
        assert second["next_cursor"] is None

    async def test_network_scope(self, scenario: Scenario) -> None:
        world = scenario.world
        own_a = (await scenario.breaches(Role.NETWORK_ADMIN, world.network_a)).json()
        assert [i["request_id"] for i in own_a["items"]] == [
            scenario.ids["R4"],
            scenario.ids["R1"],
        ]
        own_b = await scenario.breaches(
            Role.NETWORK_ADMIN, world.network_b, network=str(world.network_b.id)
        )
        assert [i["request_id"] for i in own_b.json()["items"]] == [scenario.ids["R7"]]
        plan_b = await scenario.breaches(Role.PLAN_ADMIN, network=str(world.network_b.id))
        assert plan_b.json()["items"] == own_b.json()["items"]
        other = await scenario.breaches(
            Role.NETWORK_ADMIN, world.network_b, network=str(world.network_a.id)
        )
        assert_problem(other, 404, code="network.not_found")
        assert_problem(await scenario.breaches(Role.REVIEWER), 403)
        assert_problem(await scenario.breaches(Role.VENDOR), 403)
        assert_problem(await scenario.breaches(Role.PLAN_ADMIN, cursor="nope"), 422, field="cursor")
        assert_problem(await scenario.breaches(Role.PLAN_ADMIN, limit=0), 422, field="limit")
