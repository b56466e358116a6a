"""Scope (DESIGN §3): another tenant's object is a 404, and only vendors change requests."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import (
    REQUESTS_URL,
    World,
    assert_problem,
    auth_headers,
    count_requests,
    line_body,
    make_world,
    request_body,
)

Headers = dict[str, str]

NETWORK_ROLES = [
    Role.REVIEWER,
    Role.MEDICAL_DIRECTOR,
    Role.NETWORK_CLIENT,
    Role.NETWORK_ADMIN,
    Role.CARE_COORDINATOR,
]
PLAN_ROLES = [Role.PLAN_ADMIN, Role.CARE_COORDINATOR]


@pytest.fixture
async def request_in_a(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> dict[str, Any]:
    """world.vendor's request for member A, routed to network A."""
    r = await client.post(
        REQUESTS_URL,
        json=request_body(world),
        headers=auth_headers(settings, world.principal(Role.VENDOR)),
    )
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    assert created["network"]["id"] == str(world.network_a.id)
    return created


async def assert_hidden(client: httpx.AsyncClient, headers: Headers, request_id: str) -> None:
    """Every read endpoint answers as if the request did not exist."""
    got = await client.get(f"{REQUESTS_URL}/{request_id}", headers=headers)
    assert_problem(got, 404, code="authorization_request.not_found")
    events = await client.get(f"{REQUESTS_URL}/{request_id}/events", headers=headers)
    assert_problem(events, 404, code="authorization_request.not_found")
    listed = await client.get(REQUESTS_URL, params={"limit": 100}, headers=headers)
    assert listed.status_code == 200
    assert request_id not in {item["id"] for item in listed.json()["items"]}
    assert request_id not in listed.text


async def assert_visible(client: httpx.AsyncClient, headers: Headers, request_id: str) -> None:
    got = await client.get(f"{REQUESTS_URL}/{request_id}", headers=headers)
    assert got.status_code == 200, got.text
    assert got.json()["id"] == request_id
    events = await client.get(f"{REQUESTS_URL}/{request_id}/events", headers=headers)
    assert events.status_code == 200
    assert [e["kind"] for e in events.json()["items"]] == ["submitted"]
    listed = await client.get(REQUESTS_URL, params={"limit": 100}, headers=headers)
    assert request_id in {item["id"] for item in listed.json()["items"]}


async def status_of(
    client: httpx.AsyncClient, settings: Settings, world: World, request_id: str
) -> str:
    owner = auth_headers(settings, world.principal(Role.VENDOR))
    got = await client.get(f"{REQUESTS_URL}/{request_id}", headers=owner)
    status: str = got.json()["status"]
    return status


class TestAnotherVendor:
    async def test_cannot_read_list_or_see_the_timeline(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
    ) -> None:
        other = auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor))

        await assert_hidden(client, other, request_in_a["id"])
        by_member = await client.get(
            REQUESTS_URL, params={"member_cin": world.member.cin}, headers=other
        )
        assert by_member.json() == {"items": [], "next_cursor": None}

    async def test_its_machine_client_cannot_either(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
    ) -> None:
        machine = auth_headers(settings, world.principal(Role.VENDOR_CLIENT, world.other_vendor))

        await assert_hidden(client, machine, request_in_a["id"])

    async def test_cancel_is_404_and_changes_nothing(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
    ) -> None:
        other = auth_headers(settings, world.principal(Role.VENDOR, world.other_vendor))
        url = f"{REQUESTS_URL}/{request_in_a['id']}/cancel"

        # The owner's current ETag, or any: never a 412 or 428 that would tell it exists.
        r = await client.post(
            url, json={"reason": "not mine"}, headers={**other, "If-Match": '"v1"'}
        )
        with_star = await client.post(url, headers={**other, "If-Match": "*"})

        assert_problem(r, 404, code="authorization_request.not_found")
        assert_problem(with_star, 404, code="authorization_request.not_found")
        assert await status_of(client, settings, world, request_in_a["id"]) == "in_review"

    async def test_the_owner_sees_it(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
    ) -> None:
        for role in (Role.VENDOR, Role.VENDOR_CLIENT):
            await assert_visible(
                client, auth_headers(settings, world.principal(role)), request_in_a["id"]
            )


class TestNetworkStaff:
    @pytest.mark.parametrize("role", NETWORK_ROLES)
    async def test_of_another_network_get_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
        role: Role,
    ) -> None:
        headers = auth_headers(settings, world.principal(role, world.network_b))

        await assert_hidden(client, headers, request_in_a["id"])
        filtered = await client.get(
            REQUESTS_URL, params={"network_id": str(world.network_a.id)}, headers=headers
        )
        assert filtered.json()["items"] == []

    @pytest.mark.parametrize("role", NETWORK_ROLES)
    async def test_of_the_routed_network_can_read(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
        role: Role,
    ) -> None:
        await assert_visible(
            client,
            auth_headers(settings, world.principal(role, world.network_a)),
            request_in_a["id"],
        )

    async def test_see_only_their_networks_requests(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
    ) -> None:
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        r = await client.post(
            REQUESTS_URL,
            json=request_body(world, member_cin=world.member_b.cin),
            headers=vendor,
        )
        in_b = r.json()

        for net, expected in ((world.network_a, request_in_a), (world.network_b, in_b)):
            headers = auth_headers(settings, world.principal(Role.REVIEWER, net))
            listed = await client.get(REQUESTS_URL, headers=headers)
            assert [i["id"] for i in listed.json()["items"]] == [expected["id"]]


class TestThePlan:
    @pytest.mark.parametrize("role", PLAN_ROLES)
    async def test_plan_wide_roles_see_every_network(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
        role: Role,
    ) -> None:
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        in_b = (
            await client.post(
                REQUESTS_URL,
                # Two weeks in network B, so as not to overlap request_in_a's L1960 (a 409).
                json=request_body(world, lines=[line_body(start=date(2026, 9, 15), days=14)]),
                headers=vendor,
            )
        ).json()
        assert in_b["network"]["id"] == str(world.network_b.id)
        headers = auth_headers(settings, world.principal(role, world.plan))

        await assert_visible(client, headers, request_in_a["id"])
        listed = await client.get(REQUESTS_URL, headers=headers)
        assert {i["id"] for i in listed.json()["items"]} == {in_b["id"], request_in_a["id"]}

    @pytest.mark.parametrize("role", PLAN_ROLES)
    async def test_another_plan_gets_404(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        request_in_a: dict[str, Any],
        role: Role,
    ) -> None:
        elsewhere = await make_world(database)
        headers = auth_headers(settings, elsewhere.principal(role, elsewhere.plan))

        await assert_hidden(client, headers, request_in_a["id"])
        assert (await client.get(REQUESTS_URL, headers=headers)).json()["items"] == []


class TestOnlyVendorsChangeRequests:
    @pytest.mark.parametrize(
        ("role", "org"),
        [*[(r, "network_a") for r in NETWORK_ROLES], *[(r, "plan") for r in PLAN_ROLES]],
    )
    async def test_others_get_403_on_submit(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        role: Role,
        org: str,
    ) -> None:
        headers = auth_headers(settings, world.principal(role, getattr(world, org)))

        r = await client.post(
            REQUESTS_URL, json=request_body(world), headers={**headers, "Idempotency-Key": "x"}
        )

        assert_problem(r, 403, code="auth.forbidden")
        assert await count_requests(database, world.vendor.id) == 0
        assert await count_requests(database, world.other_vendor.id) == 0

    @pytest.mark.parametrize(
        ("role", "org"),
        [*[(r, "network_a") for r in NETWORK_ROLES], *[(r, "plan") for r in PLAN_ROLES]],
    )
    async def test_others_get_403_on_cancel(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        request_in_a: dict[str, Any],
        role: Role,
        org: str,
    ) -> None:
        headers = auth_headers(settings, world.principal(role, getattr(world, org)))

        # The current ETag: the role is the only reason to refuse.
        r = await client.post(
            f"{REQUESTS_URL}/{request_in_a['id']}/cancel", headers={**headers, "If-Match": '"v1"'}
        )

        assert_problem(r, 403, code="auth.forbidden")
        assert await status_of(client, settings, world, request_in_a["id"]) == "in_review"


def eligibility_url(world: World, on: str | None = None) -> str:
    url = f"/v1/members/{world.member.cin}/eligibility?birth_date={world.member.birth_date}"
    return f"{url}&on={on}" if on else url


class TestEligibilityScope:
    """Member A: network B until 2026-09-30, network A from 2026-10-01."""

    @pytest.mark.parametrize("role", [Role.REVIEWER, Role.NETWORK_ADMIN, Role.CARE_COORDINATOR])
    @pytest.mark.parametrize(
        ("on", "network", "visible"),
        [
            ("2026-11-03", "network_a", True),
            ("2026-11-03", "network_b", False),
            ("2026-09-15", "network_b", True),
            ("2026-09-15", "network_a", False),
            ("2024-01-01", "network_a", False),
        ],
    )
    async def test_a_network_sees_only_its_enrollees_on_the_date(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        role: Role,
        on: str,
        network: str,
        visible: bool,
    ) -> None:
        net = getattr(world, network)
        headers = auth_headers(settings, world.principal(role, net))

        r = await client.get(eligibility_url(world, on), headers=headers)

        if visible:
            assert r.status_code == 200, r.text
            assert r.json()["network"]["id"] == str(net.id)
        else:
            assert_problem(r, 404, code="member.not_found")

    async def test_a_network_sees_its_enrollee_today_by_default(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        mine = auth_headers(settings, world.principal(Role.REVIEWER, world.network_a))
        theirs = auth_headers(settings, world.principal(Role.REVIEWER, world.network_b))

        assert (await client.get(eligibility_url(world), headers=mine)).status_code == 200
        assert_problem(await client.get(eligibility_url(world), headers=theirs), 404)

    @pytest.mark.parametrize("vendor", ["vendor", "other_vendor"])
    async def test_any_vendor_may_check_any_member(
        self, client: httpx.AsyncClient, world: World, settings: Settings, vendor: str
    ) -> None:
        headers = auth_headers(settings, world.principal(Role.VENDOR, getattr(world, vendor)))

        for on, net in (("2026-11-03", world.network_a), ("2026-09-15", world.network_b)):
            r = await client.get(eligibility_url(world, on), headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["network"]["id"] == str(net.id)

    @pytest.mark.parametrize("role", PLAN_ROLES)
    async def test_the_plan_sees_its_members_and_another_plan_does_not(
        self,
        client: httpx.AsyncClient,
        world: World,
        settings: Settings,
        database: Database,
        role: Role,
    ) -> None:
        elsewhere = await make_world(database)
        mine = auth_headers(settings, world.principal(role, world.plan))
        theirs = auth_headers(settings, elsewhere.principal(role, elsewhere.plan))

        ok = await client.get(eligibility_url(world, "2026-11-03"), headers=mine)
        hidden = await client.get(eligibility_url(world, "2026-11-03"), headers=theirs)

        assert ok.status_code == 200
        assert ok.json()["network"]["id"] == str(world.network_a.id)
        assert_problem(hidden, 404, code="member.not_found")
