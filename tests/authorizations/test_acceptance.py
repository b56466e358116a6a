"""Issue 16's acceptance, end to end through the API: renew everything expiring in one call;
a child who changes network keeps its wheelchair and its renewal goes to the new network.

(The third acceptance point, a denial overturned on reconsideration by a second medical
director, is ``test_reconsideration.py::test_a_second_director_overturns_issues_the_
authorization_and_counts``.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import NOW, World, auth_headers_at, request_body
from fixtures.rules import choc_like, publish

AUTHORIZATIONS = "/v1/authorizations"
START = NOW.date() + timedelta(days=1)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)


def orthosis(hcpcs: str) -> dict[str, Any]:
    return {
        "hcpcs": hcpcs,
        "quantity": 1,
        "start_date": START.isoformat(),
        "end_date": (START + timedelta(days=89)).isoformat(),
    }


class Door:
    def __init__(
        self, client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
    ) -> None:
        self.client, self.settings, self.world, self.clock = client, settings, world, clock

    def as_(self, role: Role, org: Any = None) -> dict[str, str]:
        principal = self.world.principal(role, org)
        return auth_headers_at(self.settings, principal, self.clock.now())

    async def get(self, url: str, role: Role, org: Any = None, **params: Any) -> Any:
        r = await self.client.get(url, headers=self.as_(role, org), params=params)
        assert r.status_code == 200, r.text
        return r.json()


async def test_a_vendor_renews_everything_expiring_in_30_days_in_one_call(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    await publish(database, world.network_a, choc_like())
    door = Door(client, settings, world, clock)
    body = request_body(world, lines=[orthosis("L1960"), orthosis("L1970")])
    r = await client.post("/v1/authorization-requests", json=body, headers=door.as_(Role.VENDOR))
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "approved"  # the CP CSAG, inside the call

    # 180 days (a lifelong condition): both end on 2027-05-01. Thirty days before, the
    # vendor's list of what expires within 30 days holds exactly those two.
    end = START + timedelta(days=179)
    clock.set(at(end - timedelta(days=30)))
    assert (await door.get(AUTHORIZATIONS, Role.VENDOR, expiring_within_days=29))["items"] == []
    listed = (await door.get(AUTHORIZATIONS, Role.VENDOR, expiring_within_days=30))["items"]
    assert sorted(a["hcpcs"] for a in listed) == ["L1960", "L1970"]
    assert {a["end_date"] for a in listed} == {end.isoformat()}

    # One call renews them all; the CSAG approves each inside it.
    r = await client.post(
        "/v1/authorization-renewals",
        json={"renewals": [{"authorization_id": a["id"]} for a in listed]},
        headers=door.as_(Role.VENDOR),
    )
    assert r.status_code == 201, r.text
    results = r.json()["renewals"]
    assert len(results) == 2
    assert {x["outcome"] for x in results} == {"approved"}

    # Continuous coverage: each new authorization starts the day after the old one ends,
    # and the old one names its successor; no gap, no overlap.
    for old in listed:
        now_old = await door.get(f"{AUTHORIZATIONS}/{old['id']}", Role.VENDOR)
        successor = now_old["superseded_by"]
        assert successor is not None
        new = await door.get(f"{AUTHORIZATIONS}/{successor['id']}", Role.VENDOR)
        assert new["renews"]["id"] == old["id"]
        assert new["hcpcs"] == old["hcpcs"]
        assert date.fromisoformat(new["start_date"]) == end + timedelta(days=1)
        assert new["state"] == "active"
    # Until the new period starts the old one is what is in force.
    assert {
        a["state"] for a in (await door.get(AUTHORIZATIONS, Role.VENDOR, code="L1960"))["items"]
    } == {"active"}


async def test_a_child_who_changes_network_keeps_the_wheelchair_and_renews_at_the_new_one(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    clock: FrozenClock,
    database: Database,
) -> None:
    door = Door(client, settings, world, clock)
    created = (
        await client.post(
            "/v1/authorization-requests",
            json=request_body(world),
            headers=door.as_(Role.VENDOR),
        )
    ).json()
    reviewer = door.as_(Role.REVIEWER)
    url = f"/v1/authorization-requests/{created['id']}"
    etag = (await client.get(url, headers=reviewer)).headers["ETag"]
    r = await client.post(
        f"/v1/review/requests/{created['id']}/decision",
        json={"lines": [{"line_number": n, "outcome": "approved"} for n in (1, 2)]},
        headers={**reviewer, "If-Match": etag},
    )
    assert r.status_code == 200, r.text
    (wheelchair,) = (
        await door.get(AUTHORIZATIONS, Role.VENDOR, member_cin=world.member.cin, code="E1161")
    )["items"]
    end = date.fromisoformat(wheelchair["end_date"])

    # Network B sees nothing of the child before the move.
    b_reviewer = (Role.REVIEWER, world.network_b)
    assert (await door.get(AUTHORIZATIONS, *b_reviewer, code="E1161"))["items"] == []

    move = START + timedelta(days=20)
    r = await client.post(
        f"/v1/members/{world.member.cin}/enrollments",
        json={"network": world.network_b.code, "effective_from": move.isoformat()},
        headers=door.as_(Role.PLAN_ADMIN),
    )
    assert r.status_code == 201, r.text

    # During the continuity period the wheelchair stays active, and B sees it, naming A.
    clock.set(at(move + timedelta(days=1)))
    (seen,) = (await door.get(AUTHORIZATIONS, *b_reviewer, code="E1161"))["items"]
    assert seen["id"] == wheelchair["id"]
    assert seen["state"] == "active"
    assert seen["source_network"]["id"] == str(world.network_a.id)
    assert seen["continuity"]["network"]["id"] == str(world.network_b.id)
    assert seen["continuity"]["until"] == end.isoformat()  # its own end comes before 12 months

    # Its renewal goes to B, under B's rules, and starts the day after it ends.
    clock.set(at(end - timedelta(days=10)))
    r = await client.post(
        f"{AUTHORIZATIONS}/{wheelchair['id']}/renewals", json={}, headers=door.as_(Role.VENDOR)
    )
    assert r.status_code == 201, r.text
    renewal = r.json()["request"]
    assert renewal["kind"] == "renewal"
    assert renewal["network"]["id"] == str(world.network_b.id)
    assert renewal["lines"][0]["start_date"] == (end + timedelta(days=1)).isoformat()
    queue = await door.get("/v1/review/queue", *b_reviewer)
    assert renewal["id"] in {item["id"] for item in queue["items"]}
    # Network A no longer decides for the child.
    a_queue = await door.get("/v1/review/queue", Role.REVIEWER)
    assert renewal["id"] not in {item["id"] for item in a_queue["items"]}
