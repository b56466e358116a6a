"""Networks by code (issue 14.5): paths and filters that take a network id take its code too."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import NOW, REQUESTS_URL, World, assert_problem, auth_headers, request_body
from fixtures.rules import choc_like, publish

Headers = dict[str, str]


class TestPaths:
    async def test_the_ruleset_by_code_is_the_ruleset_by_id(
        self, client: httpx.AsyncClient, world: World, settings: Settings, database: Database
    ) -> None:
        await publish(database, world.network_a, choc_like())
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))

        by_id = await client.get(f"/v1/networks/{world.network_a.id}/ruleset", headers=admin)
        by_code = await client.get(f"/v1/networks/{world.network_a.code}/ruleset", headers=admin)

        assert by_id.status_code == 200, by_id.text
        assert by_code.json() == by_id.json()

    @pytest.mark.parametrize("ref", ["no-such-network", "b"])
    async def test_an_unknown_or_foreign_code_is_404(
        self, client: httpx.AsyncClient, world: World, settings: Settings, ref: str
    ) -> None:
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
        code = world.network_b.code if ref == "b" else ref  # network B is not this admin's
        r = await client.get(f"/v1/networks/{code}/ruleset", headers=admin)
        assert_problem(r, 404)

    async def test_without_a_token_a_code_is_401_not_404(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/v1/networks/no-such-network/ruleset")
        assert_problem(r, 401)

    async def test_a_malformed_reference_is_422_naming_it(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
        r = await client.get("/v1/networks/Not%20A%20Code/ruleset", headers=admin)
        assert_problem(r, 422, field="network_id")

    async def test_publishing_by_code_lands_on_the_network(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        admin = auth_headers(settings, world.principal(Role.NETWORK_ADMIN))
        base = f"/v1/networks/{world.network_a.code}/ruleset"
        saved = await client.put(
            f"{base}/draft", json={"document": choc_like()}, headers={**admin, "If-None-Match": "*"}
        )
        assert saved.status_code == 200, saved.text
        published = await client.post(
            f"{base}/publish", headers={**admin, "If-Match": saved.headers["ETag"]}
        )
        assert published.status_code == 201, published.text
        assert published.json()["network_id"] == str(world.network_a.id)


class TestFilters:
    async def test_the_request_list_filters_by_code(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        a = await client.post(REQUESTS_URL, json=request_body(world), headers=vendor)
        b = await client.post(
            REQUESTS_URL, json=request_body(world, member_cin=world.member_b.cin), headers=vendor
        )
        assert a.status_code == b.status_code == 201

        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        for network, expected in ((world.network_a, a), (world.network_b, b)):
            by_code = await client.get(
                REQUESTS_URL, params={"network_id": network.code}, headers=plan
            )
            by_id = await client.get(
                REQUESTS_URL, params={"network_id": str(network.id)}, headers=plan
            )
            assert [i["id"] for i in by_code.json()["items"]] == [expected.json()["id"]]
            assert by_code.json() == by_id.json()
        unknown = await client.get(
            REQUESTS_URL, params={"network_id": "no-such-network"}, headers=plan
        )
        assert unknown.json()["items"] == []

    async def test_the_reports_filter_by_code(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        period = {
            "from": NOW.date().isoformat(),
            "to": (NOW + timedelta(days=1)).date().isoformat(),
        }
        by_code = await client.get(
            "/v1/reports/prior-authorization-metrics",
            params={**period, "network": world.network_a.code},
            headers=plan,
        )
        by_id = await client.get(
            "/v1/reports/prior-authorization-metrics",
            params={**period, "network": str(world.network_a.id)},
            headers=plan,
        )
        assert by_code.status_code == 200, by_code.text
        assert by_code.json()["items"] == by_id.json()["items"]
        assert {i["network_id"] for i in by_code.json()["items"]} == {str(world.network_a.id)}
        breaches = await client.get(
            "/v1/reports/sla-breaches", params={"network": world.network_a.code}, headers=plan
        )
        assert breaches.status_code == 200, breaches.text
