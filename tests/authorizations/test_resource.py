"""Issue 16 point 1 and the read side of point 6: authorizations as a resource of their own,
what each role sees of them, and the request's lines reading their state from them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from dme_portal.auth.roles import Role
from dme_portal.authorizations.models import Authorization, AuthorizationStatus
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from fixtures.factories import NOW, REQUESTS_URL, World, assert_problem, auth_headers
from fixtures.rules import choc_like, publish

URL = "/v1/authorizations"
TODAY = NOW.date()
START = TODAY + timedelta(days=1)
# The rules-approved request starts after the reviewed one ends: no duplicate (409).
RULES_START = TODAY + timedelta(days=120)
WINDOW = 45
Headers = dict[str, str]


def h(settings: Settings, world: World, role: Role, org: Any = None) -> Headers:
    return auth_headers(settings, world.principal(role, org))


def _line(hcpcs: str, quantity: int, start: date, days: int = 90) -> dict[str, Any]:
    return {
        "hcpcs": hcpcs,
        "quantity": quantity,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=days - 1)).isoformat(),
    }


async def _submit(
    client: httpx.AsyncClient, settings: Settings, world: World, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    body = {
        "member_cin": world.member.cin,
        "member_birth_date": world.member.birth_date.isoformat(),
        "prescriber_npi": "1234567893",
        "urgency": "standard",
        "kind": "initial",
        "diagnoses": ["G80.0"],
        "lines": lines,
    }
    r = await client.post(REQUESTS_URL, json=body, headers=h(settings, world, Role.VENDOR))
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


async def reviewed(client: httpx.AsyncClient, settings: Settings, world: World) -> dict[str, Any]:
    """A request network A's reviewer decides (no ruleset yet): the orthoses modified to 2 of
    the 4 asked, the gait trainer's period cut to end 30 days from today."""
    body = await _submit(
        client, settings, world, [_line("L1960", 4, START), _line("E8001", 1, START)]
    )
    assert body["status"] == "in_review"
    reviewer = h(settings, world, Role.REVIEWER)
    decision = {
        "lines": [
            {
                "line_number": 1,
                "outcome": "modified",
                "quantity": 2,
                "reason_code": "quantity_exceeds_policy",
                "reason": "Two pairs.",
            },
            {
                "line_number": 2,
                "outcome": "modified",
                "end_date": (TODAY + timedelta(days=30)).isoformat(),
                "reason_code": "period_exceeds_policy",
                "reason": "A month to start.",
            },
        ]
    }
    r = await client.post(
        f"/v1/review/requests/{body['id']}/decision",
        json=decision,
        headers={**reviewer, "If-Match": f'"v{body["version"]}"'},
    )
    assert r.status_code == 200, r.text
    decided: dict[str, Any] = r.json()
    assert decided["status"] == "modified"
    return decided


async def by_rules(
    client: httpx.AsyncClient, settings: Settings, world: World, database: Database
) -> dict[str, Any]:
    """A request CHOC's cerebral palsy group approves at submission (180 days, lifelong)."""
    document = choc_like()
    document["renewals"] = {"window_days": WINDOW}
    await publish(database, world.network_a, document)
    body = await _submit(
        client,
        settings,
        world,
        [_line("L1960", 2, RULES_START), _line("E8001", 1, RULES_START)],
    )
    assert body["status"] == "approved"
    return body


@pytest.fixture
async def both(
    client: httpx.AsyncClient, settings: Settings, world: World, database: Database
) -> tuple[dict[str, Any], dict[str, Any]]:
    first = await reviewed(client, settings, world)
    second = await by_rules(client, settings, world, database)
    return first, second


async def listed(
    client: httpx.AsyncClient, headers: Headers, **params: Any
) -> list[dict[str, Any]]:
    r = await client.get(URL, params=params, headers=headers)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


class TestIssued:
    async def test_rules_and_a_reviewers_decision_both_issue_authorizations(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        first, second = both
        vendor = h(settings, world, Role.VENDOR)
        items = await listed(client, vendor)
        by_number = {a["number"]: a for a in items}
        lines = [*first["lines"], *second["lines"]]
        assert set(by_number) == {ln["authorization"]["number"] for ln in lines}
        # Ordered by end date, then id.
        assert [(a["end_date"], a["id"]) for a in items] == sorted(
            (a["end_date"], a["id"]) for a in items
        )
        for request, issued_by in ((first, "user:test-reviewer"), (second, "rules")):
            for ln in request["lines"]:
                a = by_number[ln["authorization"]["number"]]
                # The request's line names its authorization by id, and the two agree.
                assert ln["authorization"]["id"] == a["id"]
                assert ln["authorization"]["state"] == a["state"] == "active"
                assert a["request_id"] == request["id"]
                assert a["line_number"] == ln["line_number"]
                assert a["hcpcs"] == ln["hcpcs"]
                assert a["description"] == ln["description"]
                assert a["start_date"] == ln["authorization"]["start_date"]
                assert a["end_date"] == ln["authorization"]["end_date"]
                assert a["issued_by"] == issued_by
                assert a["member"] == {
                    "cin": world.member.cin,
                    "first_name": "Test",
                    "last_name": "Child",
                }
                assert a["vendor"] == {"id": str(world.vendor.id), "name": world.vendor.name}
                assert a["source_network"]["id"] == str(world.network_a.id)
                assert a["source_network"]["code"] == world.network_a.code
                assert a["renews"] is None
                assert a["superseded_by"] is None
                assert a["continuity"] is None
                # The issuing network's renewal window (its current ruleset's).
                end = date.fromisoformat(a["end_date"])
                assert a["renewable_from"] == (end - timedelta(days=WINDOW)).isoformat()
                assert a["version"] == 1
        modified = by_number[first["lines"][0]["authorization"]["number"]]
        assert modified["quantity"] == 2  # the approved quantity, not the 4 asked
        assert by_number[second["lines"][0]["authorization"]["number"]]["quantity"] == 2
        assert (
            by_number[first["lines"][1]["authorization"]["number"]]["end_date"]
            == (TODAY + timedelta(days=30)).isoformat()
        )

    async def test_read_one_with_its_etag(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        first, _ = both
        vendor = h(settings, world, Role.VENDOR)
        auth_id = first["lines"][0]["authorization"]["id"]
        r = await client.get(f"{URL}/{auth_id}", headers=vendor)
        assert r.status_code == 200, r.text
        assert r.headers["ETag"] == '"v1"'
        assert r.json()["id"] == auth_id
        assert r.json() in await listed(client, vendor)
        missing = await client.get(f"{URL}/{uuid.uuid4()}", headers=vendor)
        assert_problem(missing, 404, code="authorization.not_found")
        assert_problem(await client.get(f"{URL}/nope", headers=vendor), 422)

    async def test_ccs_eligibility_ending_first_is_a_warning(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        first, _ = both
        vendor = h(settings, world, Role.VENDOR)
        items = {a["number"]: a for a in await listed(client, vendor)}
        # The member's CCS eligibility ends on 2026-12-31.
        long_one = items[first["lines"][0]["authorization"]["number"]]
        short_one = items[first["lines"][1]["authorization"]["number"]]
        assert long_one["ccs_eligible_to"] == short_one["ccs_eligible_to"] == "2026-12-31"
        assert [w["code"] for w in long_one["warnings"]] == [
            "ccs_eligibility_ends_before_authorization"
        ]
        assert "2026-12-31" in long_one["warnings"][0]["message"]
        assert short_one["warnings"] == []

    async def test_a_cancelled_requests_authorization_is_void(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        vendor = h(settings, world, Role.VENDOR)
        # Orthoses approved by the CP group at once; the wheelchair waits for documents.
        body = await _submit(
            client, settings, world, [_line("L1960", 2, START), _line("E1161", 1, START)]
        )
        auth_id = body["lines"][0]["authorization"]["id"]
        assert auth_id is not None
        r = await client.post(
            f"{REQUESTS_URL}/{body['id']}/cancel",
            json={"reason": "The family chose another supplier."},
            headers={**vendor, "If-Match": f'"v{body["version"]}"'},
        )
        assert r.status_code == 200, r.text
        assert r.json()["lines"][0]["authorization"]["id"] == auth_id
        assert r.json()["lines"][0]["authorization"]["state"] == "void"
        got = await client.get(f"{URL}/{auth_id}", headers=vendor)
        assert got.json()["state"] == "void"
        assert got.headers["ETag"] == '"v2"'
        assert [a["id"] for a in await listed(client, vendor, state="void")] == [auth_id]
        # Not in force: never listed as expiring.
        assert await listed(client, vendor, expiring_within_days=366) == []


class TestRequestReadsTheAuthorizationState:
    @pytest.mark.parametrize("state", ["expiring", "expired", "superseded"])
    async def test_the_line_shows_the_rows_state(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        state: str,
    ) -> None:
        first = await reviewed(client, settings, world)
        auth_id = uuid.UUID(first["lines"][0]["authorization"]["id"])
        async with unit_of_work(database) as s:
            await s.execute(
                update(Authorization)
                .where(Authorization.id == auth_id)
                .values(state=AuthorizationStatus(state), version=Authorization.version + 1)
            )
        for role in (Role.VENDOR, Role.REVIEWER, Role.CARE_COORDINATOR, Role.PLAN_ADMIN):
            r = await client.get(f"{REQUESTS_URL}/{first['id']}", headers=h(settings, world, role))
            assert r.status_code == 200, r.text
            line = r.json()["lines"][0]["authorization"]
            assert line["state"] == state, role
            assert line["id"] == str(auth_id)
            # The line's own columns are left as other code writes them.
            assert line["number"] == first["lines"][0]["authorization"]["number"]
        page = await client.get(REQUESTS_URL, headers=h(settings, world, Role.VENDOR))
        (mine,) = [i for i in page.json()["items"] if i["id"] == first["id"]]
        assert mine["lines"][0]["authorization"]["state"] == state


class TestFilters:
    async def test_member_code_network_state(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        vendor = h(settings, world, Role.VENDOR)
        everything = await listed(client, vendor)
        assert len(everything) == 4
        assert await listed(client, vendor, member_cin=world.member.cin) == everything
        assert await listed(client, vendor, member_cin=world.member_b.cin) == []
        orthoses = await listed(client, vendor, code="L1960")
        assert [a["hcpcs"] for a in orthoses] == ["L1960", "L1960"]
        assert await listed(client, vendor, code="E1161") == []
        assert await listed(client, vendor, network=str(world.network_a.id)) == everything
        assert await listed(client, vendor, network=world.network_a.code) == everything
        assert await listed(client, vendor, network=world.network_b.code) == []
        assert await listed(client, vendor, network="no-such-network") == []
        assert await listed(client, vendor, state="active") == everything
        r = await client.get(URL, params=[("state", "void"), ("state", "expired")], headers=vendor)
        assert r.json()["items"] == []
        assert_problem(
            await client.get(URL, params={"state": "gone"}, headers=vendor), 422, field="state[0]"
        )
        assert_problem(
            await client.get(URL, params={"member_cin": "x"}, headers=vendor),
            422,
            field="member_cin",
        )
        assert_problem(
            await client.get(URL, params={"code": "l1960"}, headers=vendor), 422, field="code"
        )

    async def test_expiring_within_days_at_its_boundary(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        first, _ = both
        vendor = h(settings, world, Role.VENDOR)
        short = first["lines"][1]["authorization"]
        assert short["end_date"] == (TODAY + timedelta(days=30)).isoformat()
        assert [a["id"] for a in await listed(client, vendor, expiring_within_days=30)] == [
            short["id"]
        ]
        assert await listed(client, vendor, expiring_within_days=29) == []
        assert await listed(client, vendor, expiring_within_days=0) == []
        assert len(await listed(client, vendor, expiring_within_days=366)) == 4
        for bad in ("-1", "367", "soon"):
            r = await client.get(URL, params={"expiring_within_days": bad}, headers=vendor)
            assert_problem(r, 422, field="expiring_within_days")

    async def test_cursor_paging(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        vendor = h(settings, world, Role.VENDOR)
        everything = await listed(client, vendor)
        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1}
            if cursor:
                params["cursor"] = cursor
            r = await client.get(URL, params=params, headers=vendor)
            assert r.status_code == 200, r.text
            seen += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == everything
        r = await client.get(URL, params={"cursor": "garbage"}, headers=vendor)
        assert_problem(r, 422, field="cursor")


class TestScope:
    async def test_another_vendors_authorization_is_404_and_not_listed(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        first, _ = both
        auth_id = first["lines"][0]["authorization"]["id"]
        other = h(settings, world, Role.VENDOR, world.other_vendor)
        assert_problem(
            await client.get(f"{URL}/{auth_id}", headers=other), 404, code="authorization.not_found"
        )
        assert await listed(client, other) == []
        machine = h(settings, world, Role.VENDOR_CLIENT)
        assert len(await listed(client, machine)) == 4

    async def test_networks_see_their_own_and_those_they_honour(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        database: Database,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        first, _ = both
        moved = first["lines"][0]["authorization"]["id"]
        for role in (Role.REVIEWER, Role.NETWORK_ADMIN, Role.CARE_COORDINATOR):
            assert len(await listed(client, h(settings, world, role))) == 4, role
            b = h(settings, world, role, world.network_b)
            assert await listed(client, b) == [], role
            r = await client.get(f"{URL}/{moved}", headers=b)
            assert_problem(r, 404, code="authorization.not_found")
        # The member moves to network B tomorrow: B sees nothing before the effective date
        # (issue 21.1), then honours this one for the continuity period.
        until = TODAY + timedelta(days=200)
        async with unit_of_work(database) as s:
            await s.execute(
                update(Authorization)
                .where(Authorization.id == uuid.UUID(moved))
                .values(
                    continuity_network_id=world.network_b.id,
                    continuity_until=until,
                    continuity_from=TODAY + timedelta(days=1),
                )
            )
        for role in (Role.REVIEWER, Role.CARE_COORDINATOR):
            b = h(settings, world, role, world.network_b)
            assert await listed(client, b) == [], role
            assert await listed(client, b, network=world.network_b.code) == [], role
            r = await client.get(f"{URL}/{moved}", headers=b)
            assert_problem(r, 404, code="authorization.not_found")
        async with unit_of_work(database) as s:
            await s.execute(
                update(Authorization)
                .where(Authorization.id == uuid.UUID(moved))
                .values(continuity_from=TODAY)
            )
        for role in (Role.REVIEWER, Role.CARE_COORDINATOR):
            b = h(settings, world, role, world.network_b)
            (seen,) = await listed(client, b)
            assert seen["id"] == moved
            assert seen["source_network"]["id"] == str(world.network_a.id)
            assert seen["continuity"] == {
                "network": {
                    "id": str(world.network_b.id),
                    "code": world.network_b.code,
                    "name": world.network_b.name,
                },
                "until": until.isoformat(),
            }
            assert (await client.get(f"{URL}/{moved}", headers=b)).status_code == 200
            assert [a["id"] for a in await listed(client, b, network=world.network_b.code)] == [
                moved
            ]
        # Network A still sees it: it issued it.
        assert len(await listed(client, h(settings, world, Role.REVIEWER))) == 4

    async def test_plan_admins_and_plan_coordinators_see_the_plans(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        for role in (Role.PLAN_ADMIN, Role.CARE_COORDINATOR):
            plan = h(settings, world, role, world.plan)
            assert len(await listed(client, plan)) == 4, role
            assert len(await listed(client, plan, network=world.network_a.code)) == 4
        elsewhere = await _other_plan(settings, world)
        assert await listed(client, elsewhere) == []

    async def test_the_coordinators_request_status_view_carries_the_authorization(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        both: tuple[dict[str, Any], dict[str, Any]],
    ) -> None:
        first, _ = both
        coordinator = h(settings, world, Role.CARE_COORDINATOR)
        r = await client.get(f"{REQUESTS_URL}/{first['id']}", headers=coordinator)
        assert r.json()["view"] == "status"
        line = r.json()["lines"][0]["authorization"]
        assert line["id"] == first["lines"][0]["authorization"]["id"]
        got = await client.get(f"{URL}/{line['id']}", headers=coordinator)
        assert got.status_code == 200
        assert got.json()["number"] == line["number"]


async def _other_plan(settings: Settings, world: World) -> Headers:
    """A plan admin of a plan that is not the world's (a random org id: nothing is its)."""
    from dme_portal.auth.principal import Principal
    from dme_portal.auth.roles import OrgKind

    principal = Principal(
        subject="user:elsewhere", role=Role.PLAN_ADMIN, org_kind=OrgKind.PLAN, org_id=uuid.uuid4()
    )
    return auth_headers(settings, principal)


async def test_issued_rows_match_their_lines(
    client: httpx.AsyncClient, settings: Settings, world: World, database: Database
) -> None:
    """The row behind the resource: one per authorized line, nothing for others."""
    first = await reviewed(client, settings, world)
    async with unit_of_work(database) as s:
        rows = (
            await s.scalars(
                select(Authorization).where(Authorization.request_id == uuid.UUID(first["id"]))
            )
        ).all()
    assert sorted(r.line_number for r in rows) == [1, 2]
