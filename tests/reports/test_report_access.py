"""The metrics report's period rules and who may read reports (no data needed)."""

from __future__ import annotations

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.sla.clock import FrozenClock
from fixtures.factories import World, assert_problem, auth_headers_at

URL = "/v1/reports/prior-authorization-metrics"
PERIOD = {"from": "2026-11-02", "to": "2026-11-04"}


class TestPeriod:
    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"from": "2026-11-04", "to": "2026-11-04"}, "to"),
            ({"from": "2026-11-05", "to": "2026-11-04"}, "to"),
            ({"from": "2025-01-01", "to": "2026-01-03"}, "to"),  # 367 days
            ({"from": "2026-11-31", "to": "2026-12-01"}, "from"),
            ({"from": "20261101", "to": "2026-12-01"}, "from"),
            ({"from": "2026-11-01", "to": "2026-12-01T00:00:00Z"}, "to"),
            ({"to": "2026-12-01"}, "from"),
            ({"from": "2026-11-01", "to": "2026-12-01", "network": "Not a network!"}, "network"),
        ],
    )
    async def test_bad_periods_name_the_field(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        clock: FrozenClock,
        params: dict[str, str],
        field: str,
    ) -> None:
        r = await client.get(
            URL,
            params=params,
            headers=auth_headers_at(settings, world.principal(Role.PLAN_ADMIN), clock.now()),
        )
        assert_problem(r, 422, field=field)

    async def test_a_leap_year_fits(
        self, client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
    ) -> None:
        r = await client.get(
            URL,
            params={"from": "2028-01-01", "to": "2029-01-01"},  # 366 days
            headers=auth_headers_at(settings, world.principal(Role.PLAN_ADMIN), clock.now()),
        )
        assert r.status_code == 200, r.text
        assert [row["requests"] for row in r.json()["items"]] == [0, 0, 0, 0]


class TestRoles:
    @pytest.mark.parametrize(
        "role",
        [
            Role.VENDOR,
            Role.VENDOR_CLIENT,
            Role.REVIEWER,
            Role.MEDICAL_DIRECTOR,
            Role.NETWORK_CLIENT,
            Role.CARE_COORDINATOR,
        ],
    )
    async def test_other_roles_are_refused(
        self,
        client: httpx.AsyncClient,
        settings: Settings,
        world: World,
        clock: FrozenClock,
        role: Role,
    ) -> None:
        headers = auth_headers_at(settings, world.principal(role), clock.now())
        r = await client.get(URL, params=PERIOD, headers=headers)
        assert_problem(r, 403, code="auth.forbidden")

    async def test_a_plan_wide_care_coordinator_is_refused(
        self, client: httpx.AsyncClient, settings: Settings, world: World, clock: FrozenClock
    ) -> None:
        principal = world.principal(Role.CARE_COORDINATOR, world.plan)
        r = await client.get(
            URL, params=PERIOD, headers=auth_headers_at(settings, principal, clock.now())
        )
        assert_problem(r, 403)

    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get(URL, params=PERIOD), 401)
        assert_problem(await client.get("/v1/reports/sla-breaches"), 401)
