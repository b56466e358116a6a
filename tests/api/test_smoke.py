from __future__ import annotations

import httpx

from dme_portal.auth.roles import Role
from dme_portal.config import Settings
from fixtures.factories import World, auth_headers, request_body


async def test_submit_and_read(client: httpx.AsyncClient, world: World, settings: Settings) -> None:
    headers = auth_headers(settings, world.principal(Role.VENDOR))
    r = await client.post("/v1/authorization-requests", json=request_body(world), headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["network"]["id"] == str(world.network_a.id)
    r2 = await client.get(r.headers["Location"], headers=headers)
    assert r2.status_code == 200
