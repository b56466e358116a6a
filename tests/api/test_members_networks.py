"""GET /v1/members/{cin}/eligibility and GET /v1/networks."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import (
    World,
    assert_problem,
    auth_headers,
    auth_headers_at,
    make_world,
    unique_cin,
)

ELIGIBILITY_FIELDS = {
    "cin",
    "on",
    "enrolled",
    "network",
    "enrollment_from",
    "enrollment_to",
    "ccs_eligible",
    "ccs_eligible_from",
    "ccs_eligible_to",
}


@pytest.fixture
def vendor(settings: Settings, world: World) -> dict[str, str]:
    return auth_headers(settings, world.principal(Role.VENDOR))


def url(cin: str) -> str:
    return f"/v1/members/{cin}/eligibility"


class TestEligibility:
    async def test_after_the_move_the_member_is_in_network_a(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params={"on": "2026-11-03"}, headers=vendor)

        assert r.status_code == 200, r.text
        assert r.json() == {
            "cin": world.member.cin,
            "on": "2026-11-03",
            "enrolled": True,
            "network": {
                "id": str(world.network_a.id),
                "code": world.network_a.code,
                "name": world.network_a.name,
            },
            "enrollment_from": "2026-10-01",
            "enrollment_to": None,
            "ccs_eligible": True,
            "ccs_eligible_from": "2026-01-01",
            "ccs_eligible_to": "2026-12-31",
        }

    async def test_before_the_move_the_member_is_in_network_b(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params={"on": "2026-09-30"}, headers=vendor)

        body = r.json()
        assert body["network"]["id"] == str(world.network_b.id)
        assert (body["enrollment_from"], body["enrollment_to"]) == ("2025-01-01", "2026-09-30")

    async def test_the_day_of_the_move_belongs_to_the_new_network(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params={"on": "2026-10-01"}, headers=vendor)

        assert r.json()["network"]["id"] == str(world.network_a.id)

    async def test_not_enrolled_on_the_date(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params={"on": "2024-01-01"}, headers=vendor)

        assert r.status_code == 200
        body = r.json()
        assert body["enrolled"] is False
        assert body["network"] is None
        assert (body["enrollment_from"], body["enrollment_to"]) == (None, None)
        assert body["ccs_eligible"] is False

    async def test_ccs_eligibility_ends_at_redetermination_while_enrollment_goes_on(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        last = await client.get(url(world.member.cin), params={"on": "2026-12-31"}, headers=vendor)
        after = await client.get(url(world.member.cin), params={"on": "2027-01-01"}, headers=vendor)

        assert last.json()["ccs_eligible"] is True
        assert after.json()["ccs_eligible"] is False
        assert after.json()["enrolled"] is True

    async def test_the_date_defaults_to_the_clocks_today(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        clock: FrozenClock,
        vendor: dict[str, str],
    ) -> None:
        today = await client.get(url(world.member.cin), headers=vendor)
        assert today.json()["on"] == "2026-11-02"
        assert today.json()["ccs_eligible"] is True

        clock.set(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
        later = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        moved = await client.get(url(world.member.cin), headers=later)

        assert moved.json()["on"] == "2027-01-15"
        assert moved.json()["ccs_eligible"] is False

    async def test_no_names_or_birth_dates(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), headers=vendor)

        assert set(r.json()) == ELIGIBILITY_FIELDS
        assert "Child" not in r.text
        assert "2016-05-01" not in r.text

    async def test_unknown_member_is_404(
        self, client: httpx.AsyncClient, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(unique_cin()), headers=vendor)

        assert_problem(r, 404, code="member.not_found")

    @pytest.mark.parametrize("cin", ["1234567A", "12345678a", "123456789", "ABCDEFGHI"])
    async def test_malformed_cin_is_422(
        self, client: httpx.AsyncClient, vendor: dict[str, str], cin: str
    ) -> None:
        r = await client.get(url(cin), headers=vendor)

        assert_problem(r, 422, field="cin")

    @pytest.mark.parametrize("on", ["tomorrow", "2026-13-01", "2026-02-30"])
    async def test_malformed_date_is_422(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str], on: str
    ) -> None:
        r = await client.get(url(world.member.cin), params={"on": on}, headers=vendor)

        assert_problem(r, 422, field="on")


class TestNetworks:
    async def test_lists_networks_with_their_turnaround(
        self, client: httpx.AsyncClient, database: Database, settings: Settings
    ) -> None:
        world = await make_world(database, expedited_hours=48)
        headers = auth_headers(settings, world.principal(Role.VENDOR))

        r = await client.get("/v1/networks", headers=headers)

        assert r.status_code == 200
        items = r.json()["items"]
        by_id = {item["id"]: item for item in items}
        assert by_id[str(world.network_a.id)] == {
            "id": str(world.network_a.id),
            "code": world.network_a.code,
            "name": world.network_a.name,
            "standard_turnaround_hours": 72,
            "expedited_turnaround_hours": 48,
        }
        assert by_id[str(world.network_b.id)]["name"] == world.network_b.name
        names = [item["name"] for item in items]
        assert names == sorted(names)

    @pytest.mark.parametrize(
        "role",
        [Role.VENDOR_CLIENT, Role.REVIEWER, Role.CARE_COORDINATOR, Role.PLAN_ADMIN],
    )
    async def test_every_role_may_read(
        self, client: httpx.AsyncClient, world: World, settings: Settings, role: Role
    ) -> None:
        r = await client.get("/v1/networks", headers=auth_headers(settings, world.principal(role)))

        assert r.status_code == 200
        assert str(world.network_a.id) in {item["id"] for item in r.json()["items"]}
