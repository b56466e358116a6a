"""Edge cases found in review: unknown token organisations, scoping, ordering of checks."""

from __future__ import annotations

import uuid

import httpx

from dme_portal.auth.principal import Principal
from dme_portal.auth.roles import OrgKind, Role
from dme_portal.config import Settings
from dme_portal.db.engine import Database
from fixtures.factories import World, auth_headers, make_world, request_body


async def test_token_for_an_unknown_vendor_is_401_not_500(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    ghost = Principal("user:ghost", Role.VENDOR, OrgKind.VENDOR, uuid.uuid4())
    r = await client.post(
        "/v1/authorization-requests",
        json=request_body(world),
        headers=auth_headers(settings, ghost),
    )
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


async def test_repeated_modifier_is_422(
    client: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    body = request_body(world)
    body["lines"][0]["modifiers"] = ["RT", "RT"]
    r = await client.post(
        "/v1/authorization-requests",
        json=body,
        headers=auth_headers(settings, world.principal(Role.VENDOR)),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "lines[0].modifiers"


async def test_anonymous_wrong_content_type_is_401_first(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/authorization-requests", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert r.status_code == 401


async def test_network_staff_see_only_their_plans_networks(
    client: httpx.AsyncClient, world: World, settings: Settings, database: Database
) -> None:
    other = await make_world(database)
    r = await client.get(
        "/v1/networks", headers=auth_headers(settings, world.principal(Role.REVIEWER))
    )
    ids = {n["id"] for n in r.json()["items"]}
    assert {str(world.network_a.id), str(world.network_b.id)} == ids
    assert str(other.network_a.id) not in ids
    r = await client.get(
        "/v1/networks", headers=auth_headers(settings, other.principal(Role.PLAN_ADMIN))
    )
    assert {n["id"] for n in r.json()["items"]} == {
        str(other.network_a.id),
        str(other.network_b.id),
    }
