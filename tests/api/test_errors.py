"""Errors outside the resources: unknown paths, wrong methods, health checks, the spec."""

from __future__ import annotations

import httpx
import pytest

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from fixtures.factories import REQUESTS_URL, World, assert_problem, auth_headers

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code"}


class TestUnknownPath:
    @pytest.mark.parametrize(
        "path", ["/nope", "/v1/nope", "/v2/authorization-requests", f"{REQUESTS_URL}/x/y/z"]
    )
    async def test_is_a_404_problem(self, client: httpx.AsyncClient, path: str) -> None:
        r = await client.get(path)

        problem = assert_problem(r, 404, code="http.404")
        assert set(problem) >= PROBLEM_KEYS
        assert problem["type"] == "about:blank"
        assert problem["title"] == "Not Found"

    async def test_is_a_404_with_a_valid_token_too(
        self, client: httpx.AsyncClient, world: World, settings: Settings
    ) -> None:
        r = await client.get(
            "/v1/nope", headers=auth_headers(settings, world.principal(Role.VENDOR))
        )

        assert_problem(r, 404, code="http.404")


class TestWrongMethod:
    @pytest.mark.parametrize(
        ("method", "path", "allowed"),
        [
            ("PUT", f"{REQUESTS_URL}/00000000-0000-0000-0000-000000000001", {"GET"}),
            ("DELETE", f"{REQUESTS_URL}/00000000-0000-0000-0000-000000000001", {"GET"}),
            ("GET", f"{REQUESTS_URL}/00000000-0000-0000-0000-000000000001/cancel", {"POST"}),
            ("GET", "/v1/auth/token", {"POST"}),
            ("POST", "/v1/networks", {"GET"}),
            ("POST", "/healthz", {"GET"}),
        ],
    )
    async def test_is_a_405_problem_with_allow(
        self, client: httpx.AsyncClient, method: str, path: str, allowed: set[str]
    ) -> None:
        r = await client.request(method, path)

        assert_problem(r, 405, code="http.405")
        assert {m.strip() for m in r.headers["Allow"].split(",")} == allowed

    async def test_allow_lists_every_method_of_the_collection(
        self, client: httpx.AsyncClient
    ) -> None:
        r = await client.delete(REQUESTS_URL)

        assert_problem(r, 405)
        assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "POST"}


class TestHealth:
    @pytest.mark.parametrize("path", ["/healthz", "/readyz"])
    async def test_is_200_without_a_token(self, client: httpx.AsyncClient, path: str) -> None:
        r = await client.get(path)

        assert r.status_code == 200
        assert r.json() == {"status": "ok"}


class TestOpenApi:
    async def test_error_responses_are_declared_as_problem_json(
        self, client: httpx.AsyncClient
    ) -> None:
        spec = (await client.get("/openapi.json")).json()

        declared = 0
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                for status, response in operation["responses"].items():
                    if status[0] in "45":
                        declared += 1
                        assert set(response.get("content", {})) == {"application/problem+json"}, (
                            method,
                            path,
                            status,
                        )
        assert declared > 10
        submit = spec["paths"][REQUESTS_URL]["post"]["responses"]
        assert {"401", "403", "409", "415", "422"} <= set(submit)
