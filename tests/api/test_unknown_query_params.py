"""Issue 21 point 6: a query parameter an operation does not declare is a 422 naming it.

Ignored, a misspelt filter (`?member=` where the operation takes `?member_cin=`) answered
with everything in the caller's scope. The walk below covers every operation of the OpenAPI
document, with a token of a role that reaches the operation, so that the 422 is the check's
and not the authentication's.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from dme_portal.audit.models import AccessLog
from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from dme_portal.db.session import unit_of_work
from dme_portal.submissions.models import AuthorizationRequest
from fixtures.factories import World, assert_problem, auth_headers, request_body, submit_request

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "code", "errors"}


def _only_bogus(response: httpx.Response, name: str = "bogus") -> dict[str, Any]:
    body = assert_problem(response, 422, code="validation_error", field=name)
    assert set(body) <= PROBLEM_KEYS, body
    assert [e["field"] for e in body["errors"]] == [name]
    assert body["errors"][0]["code"] == "extra_forbidden"
    assert "is not a parameter of this operation" in body["errors"][0]["message"]
    return body


async def _count(database: Database, model: Any, *where: Any) -> int:
    async with unit_of_work(database) as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


class TestSample:
    async def test_member_on_the_requests_list_is_refused_and_names_member_cin(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        await submit_request(client, settings, world)
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        before = await _count(database, AccessLog, AccessLog.org_id == world.vendor.id)
        r = await client.get(
            "/v1/authorization-requests", params={"member": world.member_b.cin}, headers=vendor
        )
        body = _only_bogus(r, "member")
        assert "did you mean `member_cin`?" in body["errors"][0]["message"]
        assert world.member_b.cin not in r.text
        # Refused before the operation: no list, so no access-log entry either.
        assert await _count(database, AccessLog, AccessLog.org_id == world.vendor.id) == before

    async def test_the_old_member_name_on_authorizations_is_refused(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        r = await client.get("/v1/authorizations", params={"member": "12345678A"}, headers=vendor)
        _only_bogus(r, "member")
        ok = await client.get(
            "/v1/authorizations", params={"member_cin": world.member.cin}, headers=vendor
        )
        assert ok.status_code == 200, ok.text

    async def test_a_submission_with_an_unknown_parameter_stores_nothing(
        self, client: httpx.AsyncClient, settings: Settings, world: World, database: Database
    ) -> None:
        vendor = auth_headers(settings, world.principal(Role.VENDOR))
        mine = AuthorizationRequest.vendor_id == world.vendor.id
        before = await _count(database, AuthorizationRequest, mine)
        r = await client.post(
            "/v1/authorization-requests",
            params={"dry_run": "true"},
            json=request_body(world),
            headers=vendor,
        )
        _only_bogus(r, "dry_run")
        assert await _count(database, AuthorizationRequest, mine) == before

    async def test_each_unknown_parameter_is_named_and_declared_ones_are_listed(
        self, client: httpx.AsyncClient, settings: Settings, world: World
    ) -> None:
        reviewer = auth_headers(settings, world.principal(Role.REVIEWER))
        r = await client.get(
            "/v1/review/queue", params={"urgency": "standard", "b": "1", "a": "2"}, headers=reviewer
        )
        body = assert_problem(r, 422, code="validation_error")
        assert [e["field"] for e in body["errors"]] == ["a", "b"]
        assert "`urgency`" in body["errors"][0]["message"]
        # An alias (`from`) is a declared name; the Python name behind it (`from_`) is not.
        plan = auth_headers(settings, world.principal(Role.PLAN_ADMIN))
        r = await client.get(
            "/v1/audit/access-log", params={"from": "2026-11-01T00:00:00Z"}, headers=plan
        )
        assert r.status_code == 200, r.text
        r = await client.get(
            "/v1/audit/access-log", params={"from_": "2026-11-01T00:00:00Z"}, headers=plan
        )
        _only_bogus(r, "from_")

    async def test_operations_without_query_parameters_and_without_a_token(
        self, client: httpx.AsyncClient
    ) -> None:
        _only_bogus(await client.get("/healthz", params={"bogus": "1"}))
        r = await client.post(
            "/v1/auth/token",
            params={"client_secret": "s"},
            data={"grant_type": "client_credentials"},
        )
        _only_bogus(r, "client_secret")
        # Like a wrong content type (415), an undeclared parameter is refused before the token
        # is read: the names the 422 lists are the OpenAPI document's, public anyway.
        _only_bogus(await client.get("/v1/authorization-requests", params={"bogus": "1"}))

    async def test_the_portal_is_not_checked(self, client: httpx.AsyncClient) -> None:
        # Browsers and tracking links add parameters; the portal's pages ignore them.
        r = await client.get("/portal/sign-in", params={"utm_source": "mail"})
        assert r.status_code == 200


# --- The walk: every operation of the document ------------------------------------------

ROLES = list(Role)


def _path_values(world: World) -> dict[str, str]:
    return {
        "network_id": str(world.network_a.id),
        "cin": world.member.cin,
        "version": "1",
    }


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in app.openapi()["paths"].items()
        for method, op in item.items()
    ]


def _url(path: str, world: World) -> str:
    values = _path_values(world)
    out = path
    while "{" in out:
        name = out[out.index("{") + 1 : out.index("}")]
        out = out.replace("{" + name + "}", values.get(name, str(uuid.uuid4())))
    return out


def _required_query(op: dict[str, Any], world: World) -> dict[str, str]:
    samples = {"birth_date": world.member.birth_date.isoformat()}
    return {
        p["name"]: samples.get(p["name"], "1")
        for p in op.get("parameters", [])
        if p["in"] == "query" and p.get("required")
    }


async def _call(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    params: dict[str, str],
    headers: dict[str, str],
) -> httpx.Response:
    if method == "GET":
        return await client.get(url, params=params, headers=headers)
    # An empty body: whatever an operation answers to it, nothing is stored.
    return await client.request(method, url, params=params, json={}, headers=headers)


async def _reaching_headers(
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
    method: str,
    url: str,
    op: dict[str, Any],
) -> dict[str, str] | None:
    """A token of a role the operation does not refuse (401/403), None for open operations."""
    if not op.get("security"):
        return None
    params = _required_query(op, world)
    for role in ROLES:
        headers = auth_headers(settings, world.principal(role))
        r = await _call(client, method, url, params, headers)
        if r.status_code not in (401, 403):
            return headers
    pytest.fail(f"no role reaches {method} {url}")


@pytest.mark.parametrize("methods", [("GET",), ("POST", "PUT", "PATCH", "DELETE")])
async def test_every_operation_refuses_an_unknown_parameter(
    methods: tuple[str, ...],
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    world: World,
) -> None:
    walked: set[str] = set()
    for method, path, op in _operations(app):
        if method not in methods:
            continue
        url = _url(path, world)
        headers = await _reaching_headers(client, settings, world, method, url, op) or {}
        params = {**_required_query(op, world), "bogus": "1"}
        r = await _call(client, method, url, params, headers)
        assert r.status_code == 422, f"{method} {path}: {r.status_code} {r.text[:300]}"
        _only_bogus(r)
        # The document says so: every operation declares its 422.
        assert "422" in op["responses"], f"{method} {path}"
        walked.add(op["operationId"])
    assert walked, methods
    everything = {op["operationId"] for m, _, op in _operations(app) if m in methods}
    assert walked == everything
