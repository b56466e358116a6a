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


BIRTH_DATE = "2016-05-01"  # make_world's members


def born(on: str | None = None, birth_date: str = BIRTH_DATE) -> dict[str, str]:
    """Query parameters: the members' birth date, and the date of service if given."""
    return {"birth_date": birth_date, **({"on": on} if on else {})}


class TestEligibility:
    async def test_after_the_move_the_member_is_in_network_a(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params=born("2026-11-03"), headers=vendor)

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
        r = await client.get(url(world.member.cin), params=born("2026-09-30"), headers=vendor)

        body = r.json()
        assert body["network"]["id"] == str(world.network_b.id)
        assert (body["enrollment_from"], body["enrollment_to"]) == ("2025-01-01", "2026-09-30")

    async def test_the_day_of_the_move_belongs_to_the_new_network(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params=born("2026-10-01"), headers=vendor)

        assert r.json()["network"]["id"] == str(world.network_a.id)

    async def test_not_enrolled_on_the_date(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params=born("2024-01-01"), headers=vendor)

        assert r.status_code == 200
        body = r.json()
        assert body["enrolled"] is False
        assert body["network"] is None
        assert (body["enrollment_from"], body["enrollment_to"]) == (None, None)
        assert body["ccs_eligible"] is False

    async def test_ccs_eligibility_ends_at_redetermination_while_enrollment_goes_on(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        last = await client.get(url(world.member.cin), params=born("2026-12-31"), headers=vendor)
        after = await client.get(url(world.member.cin), params=born("2027-01-01"), headers=vendor)

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
        today = await client.get(url(world.member.cin), params=born(), headers=vendor)
        assert today.json()["on"] == "2026-11-02"
        assert today.json()["ccs_eligible"] is True

        clock.set(datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
        later = auth_headers_at(settings, world.principal(Role.VENDOR), clock.now())
        moved = await client.get(url(world.member.cin), params=born(), headers=later)

        assert moved.json()["on"] == "2027-01-15"
        assert moved.json()["ccs_eligible"] is False

    async def test_no_names_or_birth_dates(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params=born(), headers=vendor)

        assert set(r.json()) == ELIGIBILITY_FIELDS
        assert "Child" not in r.text
        assert "2016-05-01" not in r.text

    async def test_unknown_member_is_404(
        self, client: httpx.AsyncClient, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(unique_cin()), params=born(), headers=vendor)

        assert_problem(r, 404, code="member.not_found")

    @pytest.mark.parametrize("cin", ["1234567A", "12345678a", "123456789", "ABCDEFGHI"])
    async def test_malformed_cin_is_422(
        self, client: httpx.AsyncClient, vendor: dict[str, str], cin: str
    ) -> None:
        r = await client.get(url(cin), params=born(), headers=vendor)

        assert_problem(r, 422, field="cin")

    @pytest.mark.parametrize("on", ["tomorrow", "2026-13-01", "2026-02-30"])
    async def test_malformed_date_is_422(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str], on: str
    ) -> None:
        r = await client.get(url(world.member.cin), params=born(on), headers=vendor)

        assert_problem(r, 422, field="on")


class TestBirthDateGate:
    """Like Medi-Cal's AEVS: the CIN and the member's date of birth, or nothing at all."""

    @pytest.mark.parametrize("role", [Role.VENDOR, Role.VENDOR_CLIENT, Role.REVIEWER])
    async def test_a_wrong_birth_date_answers_exactly_as_an_unknown_cin(
        self, client: httpx.AsyncClient, world: World, settings: Settings, role: Role
    ) -> None:
        headers = auth_headers(settings, world.principal(role))
        cin = world.member.cin

        right = await client.get(url(cin), params=born("2026-11-03"), headers=headers)
        wrong = await client.get(
            url(cin), params=born("2026-11-03", birth_date="2016-05-02"), headers=headers
        )
        unknown = await client.get(url(unique_cin()), params=born("2026-11-03"), headers=headers)

        assert right.status_code == 200, right.text
        for r in (wrong, unknown):
            assert_problem(r, 404, code="member.not_found")
        # Same status, headers and body but for the path it was asked at: no hint of which
        # part failed.
        assert wrong.headers == unknown.headers
        assert {**wrong.json(), "instance": None} == {**unknown.json(), "instance": None}
        assert "birth" not in wrong.text

    async def test_the_plan_too_needs_the_birth_date(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        headers = auth_headers(settings, world.principal(Role.PLAN_ADMIN))

        r = await client.get(
            url(world.member.cin), params=born(birth_date="2015-05-01"), headers=headers
        )

        assert_problem(r, 404, code="member.not_found")

    async def test_a_missing_birth_date_is_422(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str]
    ) -> None:
        r = await client.get(url(world.member.cin), params={"on": "2026-11-03"}, headers=vendor)

        assert_problem(r, 422, field="birth_date")

    @pytest.mark.parametrize(
        "birth_date", ["1462060800", "0.5", "05/01/2016", "20160501", "2016-5-1", "2016-02-30"]
    )
    async def test_a_birth_date_not_in_iso_form_is_422(
        self, client: httpx.AsyncClient, world: World, vendor: dict[str, str], birth_date: str
    ) -> None:
        r = await client.get(
            url(world.member.cin), params=born(birth_date=birth_date), headers=vendor
        )

        assert_problem(r, 422, field="birth_date")


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
